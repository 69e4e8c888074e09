// Minimal PNG writing and header reading, so the suite needs no image library.
import { randomFillSync } from "node:crypto";
import zlib from "node:zlib";

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let table;
function crc32(buffer) {
  if (typeof zlib.crc32 === "function") return zlib.crc32(buffer); // Node >= 20.15
  table ??= Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of buffer) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function encode(width, height, rows, level) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([PNG_SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(rows, { level })), chunk("IEND", Buffer.alloc(0))]);
}

/** A small RGB gradient PNG. */
export function gradientPng(width, height) {
  const stride = 1 + width * 3;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * stride + 1 + x * 3;
      rows[o] = 200;
      rows[o + 1] = Math.round((x * 255) / Math.max(1, width - 1));
      rows[o + 2] = Math.round((y * 255) / Math.max(1, height - 1));
    }
  }
  return encode(width, height, rows, 6);
}

/** A PNG of random pixels stored without compression: its size is about width × height × 3 bytes. */
export function noisePng(width, height) {
  const stride = 1 + width * 3;
  const rows = randomFillSync(Buffer.allocUnsafe(stride * height));
  for (let y = 0; y < height; y++) rows[y * stride] = 0; // filter type "none"
  return encode(width, height, rows, 0);
}

/** Signature check and IHDR size; throws if the bytes are not a PNG. */
export function pngInfo(bytes) {
  const buffer = Buffer.from(bytes);
  if (buffer.length < 24 || !buffer.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("not a PNG (bad signature)");
  if (buffer.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG (first chunk is not IHDR)");
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}

export function dataUri(png) {
  return `data:image/png;base64,${png.toString("base64")}`;
}

/** Decodes a base64 data URI; checks the media type. */
export function fromDataUri(uri, mediaType = "image/png") {
  const prefix = `data:${mediaType};base64,`;
  if (!uri.startsWith(prefix)) throw new Error(`not a ${mediaType} base64 data URI: ${uri.slice(0, 40)}`);
  return Buffer.from(uri.slice(prefix.length), "base64");
}
