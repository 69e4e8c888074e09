// fal storage through the official client: single PUT uploads, multipart over 90 MB, and
// uploaded URLs used as model inputs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fal } from "@fal-ai/client";
import { ENDPOINT, startEmulator } from "./support/emulator.mjs";
import { gradientPng, noisePng, pngInfo } from "./support/png.mjs";

const MULTIPART_THRESHOLD = 90 * 1024 * 1024; // the client's own rule
const PART = 10 * 1024 * 1024;

let emu;

before(async () => {
  emu = await startEmulator();
  fal.config(emu.config());
});

after(async () => {
  await emu?.stop();
});

async function assertPngOutput(image) {
  const bytes = Buffer.from(await (await fetch(image.url)).arrayBuffer());
  assert.deepEqual(pngInfo(bytes), { width: image.width, height: image.height });
  return bytes;
}

test("storage.upload of a small file serves the same bytes and works as an image_urls input", async () => {
  const png = gradientPng(40, 30);
  const before = await emu.stats();
  const url = await fal.storage.upload(new File([png], "small input.png", { type: "image/png" }));
  const after = await emu.stats();

  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/files\/[^/]+\/.+/);
  assert.equal(after.uploads - before.uploads, 1);
  assert.equal(after.multipartUploads, before.multipartUploads);
  const response = await fetch(url);
  assert.equal(response.headers.get("content-type"), "image/png");
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), png);

  const result = await fal.subscribe(ENDPOINT, { input: { prompt: "p", image_urls: [url] }, pollInterval: 50 });
  await assertPngOutput(result.data.images[0]);
});

test("Blob inputs are uploaded by the client before submit", async () => {
  const before = await emu.stats();
  const result = await fal.subscribe(ENDPOINT, {
    input: { prompt: "p", image_urls: [new Blob([gradientPng(24, 24)], { type: "image/png" })] },
    pollInterval: 50,
  });
  const after = await emu.stats();
  assert.equal(after.uploads - before.uploads, 1);
  const job = await emu.job(result.requestId);
  assert.match(job.input.image_urls[0], /^http:\/\/127\.0\.0\.1:\d+\/files\//, "the job saw a storage URL, not the bytes");
  await assertPngOutput(result.data.images[0]);
});

test("storage.upload of a file over 90 MB goes up in 10 MB parts and its URL works as an image_urls input", async () => {
  const png = noisePng(5600, 5700); // ~96 MB of uncompressed pixels: still a decodable PNG
  assert.ok(png.length > MULTIPART_THRESHOLD, `${png.length} bytes`);
  const before = await emu.stats();
  const url = await fal.storage.upload(new Blob([png], { type: "image/png" }));
  const after = await emu.stats();

  assert.equal(after.multipartUploads - before.multipartUploads, 1);
  assert.equal(after.uploadParts - before.uploadParts, Math.ceil(png.length / PART));
  assert.equal(after.uploads, before.uploads, "no single-PUT upload");
  const head = await fetch(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get("content-length")), png.length);

  const result = await fal.subscribe(ENDPOINT, { input: { prompt: "p", image_urls: [url], image_size: "square_hd" }, pollInterval: 100 });
  const [image] = result.data.images;
  const output = await assertPngOutput(image);
  assert.equal(image.width, image.height, "square_hd is square");
  assert.ok(output.length > 1000);
});
