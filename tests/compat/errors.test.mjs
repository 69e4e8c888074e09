// Error shapes as the official client surfaces them: ValidationError for 422s, ApiError 401.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiError, fal, ValidationError } from "@fal-ai/client";
import { ENDPOINT, startEmulator } from "./support/emulator.mjs";
import { dataUri, gradientPng } from "./support/png.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const image = dataUri(gradientPng(16, 16));

let emu;

before(async () => {
  emu = await startEmulator();
  fal.config(emu.config());
});

after(async () => {
  await emu?.stop();
});

test("a 422 from a queued request surfaces as ValidationError with fieldErrors", async () => {
  await assert.rejects(fal.subscribe(ENDPOINT, { input: { prompt: "p", image_urls: [] }, pollInterval: 50 }), (err) => {
    assert.ok(err instanceof ValidationError, err.constructor.name);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 422);
    assert.match(err.requestId, UUID);
    assert.equal(err.fieldErrors.length, 1);
    const [problem] = err.fieldErrors;
    assert.deepEqual(problem.loc, ["body", "image_urls"]);
    assert.equal(problem.type, "sequence_too_short");
    assert.equal(typeof problem.msg, "string");
    assert.deepEqual(err.getFieldErrors("image_urls"), [problem]);
    assert.deepEqual(err.getFieldErrors("prompt"), []);
    return true;
  });
});

test("fal.run reports every invalid field in one ValidationError", async () => {
  await assert.rejects(fal.run(ENDPOINT, { input: { prompt: "", image_urls: [image], num_images: 7, image_size: "huge" } }), (err) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.status, 422);
    const byField = Object.fromEntries(err.fieldErrors.map((e) => [e.loc.at(-1), e]));
    assert.deepEqual(Object.keys(byField).sort(), ["image_size", "num_images", "prompt"]);
    assert.equal(byField.prompt.type, "string_too_short");
    assert.equal(byField.num_images.type, "less_than_equal");
    assert.equal(byField.num_images.ctx.le, 6);
    assert.equal(err.getFieldErrors("num_images")[0].input, 7);
    return true;
  });
});

test("an input image that cannot be downloaded is a ValidationError (file_download_error)", async () => {
  await assert.rejects(fal.run(ENDPOINT, { input: { prompt: "p", image_urls: [image, "http://127.0.0.1:1/missing.png"] } }), (err) => {
    assert.ok(err instanceof ValidationError);
    const [problem] = err.getFieldErrors(1);
    assert.deepEqual(problem.loc, ["body", "image_urls", 1]);
    assert.equal(problem.type, "file_download_error");
    assert.equal(problem.input, "http://127.0.0.1:1/missing.png");
    return true;
  });
});

test("a wrong key is an ApiError with status 401 on every host", async () => {
  const before = await emu.stats();
  const wrong = emu.client("sk-wrong-key");
  const isUnauthorized = (err) => {
    assert.ok(err instanceof ApiError);
    assert.ok(!(err instanceof ValidationError));
    assert.equal(err.status, 401);
    // fal documents no error_type for a 401: detail only.
    assert.equal(typeof err.body.detail, "string");
    assert.equal(err.body.error_type, undefined);
    return true;
  };
  await assert.rejects(wrong.run(ENDPOINT, { input: { prompt: "p", image_urls: [image] } }), isUnauthorized);
  await assert.rejects(wrong.queue.submit(ENDPOINT, { input: { prompt: "p", image_urls: [image] } }), isUnauthorized);
  await assert.rejects(wrong.storage.upload(new Blob([Buffer.from("x")], { type: "text/plain" })), isUnauthorized);
  // No key at all is refused the same way.
  await assert.rejects(emu.client("").run(ENDPOINT, { input: { prompt: "p", image_urls: [image] } }), isUnauthorized);

  const after = await emu.stats();
  assert.equal(after.unauthorized - before.unauthorized, 4);
  assert.equal(after.submitted, before.submitted);
  assert.equal(after.syncRuns, before.syncRuns);
});
