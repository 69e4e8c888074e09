// The Seedream family through the official client: per version one edit and one text-to-image
// (where fal has them), and a limit of that version refused as fal refuses it (422 detail list).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiError, fal, ValidationError } from "@fal-ai/client";
import { startEmulator } from "./support/emulator.mjs";
import { dataUri, gradientPng, pngInfo } from "./support/png.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const image = dataUri(gradientPng(40, 30));

let emu;

before(async () => {
  emu = await startEmulator();
  fal.config(emu.config());
});

after(async () => {
  await emu?.stop();
});

/** Downloads an output image; returns its bytes after checking size and type against the result. */
async function fetchOutput(output) {
  const response = await fetch(output.url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), output.content_type);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(bytes.length, output.file_size);
  return bytes;
}

/** Asserts a 422 ValidationError whose one problem sits at `loc` with pydantic type `type`. */
function refusedAt(loc, type) {
  return (err) => {
    assert.ok(err instanceof ValidationError, `${err.constructor.name}: ${err.message}`);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 422);
    assert.ok(Array.isArray(err.body.detail), JSON.stringify(err.body));
    const [problem, ...rest] = err.fieldErrors;
    assert.deepEqual(rest, []);
    assert.deepEqual(problem.loc, ["body", ...loc]);
    assert.equal(problem.type, type);
    assert.equal(typeof problem.msg, "string");
    assert.deepEqual(err.getFieldErrors(loc.at(-1)), [problem]);
    return true;
  };
}

// ---------------------------------------------------------------- 5.0 Lite

test("5.0 Lite edit: auto_4K and a 4096x4096 custom size (both ids)", async () => {
  for (const endpoint of ["fal-ai/bytedance/seedream/v5/lite/edit", "bytedance/seedream/v5/lite/edit"]) {
    const auto = await fal.subscribe(endpoint, { input: { prompt: "p", image_urls: [image], image_size: "auto_4K", seed: 1 }, pollInterval: 50 });
    assert.match(auto.requestId, UUID);
    const [out] = auto.data.images;
    // auto_4K follows the input's 4:3 aspect ratio at about 4096² pixels.
    assert.ok(out.width * out.height <= 4096 * 4096 && out.width * out.height > 4000 * 4000, `${out.width}x${out.height}`);
    assert.equal(Math.round((out.width / out.height) * 100), 133);
    assert.deepEqual(pngInfo(await fetchOutput(out)), { width: out.width, height: out.height });
    assert.equal(auto.data.seed, 1);
  }

  const custom = await fal.run("bytedance/seedream/v5/lite/edit", { input: { prompt: "p", image_urls: [image], image_size: { width: 4096, height: 4096 } } });
  assert.deepEqual([custom.data.images[0].width, custom.data.images[0].height], [4096, 4096]);
});

test("5.0 Lite text-to-image: no images, seed in the output; max_images 7 refused", async () => {
  const result = await fal.subscribe("fal-ai/bytedance/seedream/v5/lite/text-to-image", {
    input: { prompt: "a kite over dunes", image_size: "landscape_16_9", seed: 77 },
    pollInterval: 50,
  });
  assert.deepEqual(Object.keys(result.data).sort(), ["images", "seed"]);
  assert.equal(result.data.seed, 77);
  assert.deepEqual([result.data.images[0].width, result.data.images[0].height], [2560, 1440]);
  await assert.rejects(fal.run("bytedance/seedream/v5/lite/text-to-image", { input: { prompt: "p", max_images: 7 } }), (err) => {
    refusedAt(["max_images"], "less_than_equal")(err);
    assert.equal(err.fieldErrors[0].ctx.le, 6);
    return true;
  });
});

// ---------------------------------------------------------------- 5.0 Pro

test("5.0 Pro edit: JPEG by default, images only, both ids", async () => {
  for (const endpoint of ["bytedance/seedream/v5/pro/edit", "fal-ai/bytedance/seedream/v5/pro/edit"]) {
    const result = await fal.subscribe(endpoint, { input: { prompt: "p", image_urls: [image], image_size: "auto_1K" }, pollInterval: 50 });
    assert.deepEqual(Object.keys(result.data), ["images"]);
    const [out] = result.data.images;
    assert.equal(out.content_type, "image/jpeg");
    assert.match(out.file_name, /\.jpeg$/);
    const bytes = await fetchOutput(out);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  }
});

test("5.0 Pro text-to-image: png when asked; a size past 2048x2048 and a 3K preset are refused", async () => {
  const result = await fal.run("bytedance/seedream/v5/pro/text-to-image", { input: { prompt: "p", output_format: "png", image_size: { width: 2048, height: 2048 } } });
  const [out] = result.data.images;
  assert.equal(out.content_type, "image/png");
  assert.deepEqual(pngInfo(await fetchOutput(out)), { width: 2048, height: 2048 });

  await assert.rejects(
    fal.subscribe("bytedance/seedream/v5/pro/text-to-image", { input: { prompt: "p", image_size: { width: 2049, height: 2048 } }, pollInterval: 50 }),
    (err) => {
      refusedAt(["image_size"], "value_error")(err);
      assert.match(err.fieldErrors[0].msg, /between 1024x1024 and 2048x2048/);
      assert.match(err.requestId, UUID);
      return true;
    },
  );
  await assert.rejects(fal.run("bytedance/seedream/v5/pro/text-to-image", { input: { prompt: "p", image_size: "auto_3K" } }), (err) => {
    refusedAt(["image_size"], "literal_error")(err);
    assert.match(err.fieldErrors[0].ctx.expected, /'auto_1K' or 'auto_2K'$/);
    return true;
  });
});

// ---------------------------------------------------------------- 4.5

test("4.5 edit and text-to-image run; 10 inputs + max_images 6 exceed 15 images", async () => {
  const edit = await fal.subscribe("fal-ai/bytedance/seedream/v4.5/edit", { input: { prompt: "p", image_urls: [image], image_size: "auto_2K" }, pollInterval: 50 });
  assert.deepEqual(Object.keys(edit.data), ["images"]); // 4.5 edit answers images only
  assert.deepEqual([edit.data.images[0].width, edit.data.images[0].height], [2365, 1774]);

  const t2i = await fal.run("fal-ai/bytedance/seedream/v4.5/text-to-image", { input: { prompt: "p", image_size: { width: 1920, height: 1920 }, seed: 5 } });
  assert.deepEqual([t2i.data.images[0].width, t2i.data.images[0].height], [1920, 1920]);
  assert.equal(t2i.data.seed, 5);

  const ten = Array.from({ length: 10 }, () => image);
  await assert.rejects(fal.run("fal-ai/bytedance/seedream/v4.5/edit", { input: { prompt: "p", image_urls: ten, max_images: 6 } }), (err) => {
    refusedAt(["max_images"], "value_error")(err);
    assert.match(err.fieldErrors[0].msg, /must not exceed 15/);
    return true;
  });
  await assert.rejects(fal.run("fal-ai/bytedance/seedream/v4.5/text-to-image", { input: { prompt: "p", image_size: { width: 1000, height: 1000 } } }),
    refusedAt(["image_size"], "value_error"));
});

// ---------------------------------------------------------------- 4.0

test("4.0 edit scales small sizes up; 4.0 text-to-image refuses them", async () => {
  const edit = await fal.subscribe("fal-ai/bytedance/seedream/v4/edit", {
    input: { prompt: "p", image_urls: [image], image_size: { width: 640, height: 480 }, enhance_prompt_mode: "fast", seed: 9 },
    pollInterval: 50,
  });
  const [out] = edit.data.images;
  assert.ok(out.width * out.height >= 921600, `${out.width}x${out.height}`);
  assert.equal(Math.round((out.width / out.height) * 100), 133);
  assert.equal(edit.data.seed, 9);

  const t2i = await fal.run("fal-ai/bytedance/seedream/v4/text-to-image", { input: { prompt: "p", image_size: { width: 960, height: 960 } } });
  assert.deepEqual([t2i.data.images[0].width, t2i.data.images[0].height], [960, 960]);
  await assert.rejects(fal.run("fal-ai/bytedance/seedream/v4/text-to-image", { input: { prompt: "p", image_size: { width: 959, height: 960 } } }), (err) => {
    refusedAt(["image_size"], "value_error")(err);
    assert.match(err.fieldErrors[0].msg, /960x960 and 4096x4096/);
    return true;
  });
  await assert.rejects(fal.run("fal-ai/bytedance/seedream/v4/edit", { input: { prompt: "p", image_urls: [image], enhance_prompt_mode: "turbo" } }),
    refusedAt(["enhance_prompt_mode"], "literal_error"));
});

// ---------------------------------------------------------------- 3.0

test("3.0 text-to-image runs with guidance_scale; a side past 2048 is refused at image_size.width", async () => {
  const result = await fal.subscribe("fal-ai/bytedance/seedream/v3/text-to-image", {
    input: { prompt: "p", guidance_scale: 4, image_size: { width: 2048, height: 512 }, seed: 3 },
    pollInterval: 50,
  });
  assert.deepEqual([result.data.images[0].width, result.data.images[0].height], [2048, 512]);
  assert.equal(result.data.seed, 3);
  await assert.rejects(fal.run("fal-ai/bytedance/seedream/v3/text-to-image", { input: { prompt: "p", image_size: { width: 2049, height: 512 } } }), (err) => {
    refusedAt(["image_size", "width"], "less_than_equal")(err);
    assert.equal(err.fieldErrors[0].ctx.le, 2048);
    return true;
  });
});

test("an endpoint the emulator does not serve is an ApiError 404 with fal's detail and no error_type", async () => {
  await assert.rejects(fal.run("fal-ai/bytedance/seedream/v3/edit", { input: { prompt: "p" } }), (err) => {
    assert.ok(err instanceof ApiError);
    assert.ok(!(err instanceof ValidationError));
    assert.equal(err.status, 404);
    assert.match(err.body.detail, /not found/);
    assert.equal(err.body.error_type, undefined);
    return true;
  });
});
