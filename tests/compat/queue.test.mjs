// The official client's queue, streaming and run paths against the emulator.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiError, fal } from "@fal-ai/client";
import { ENDPOINT, startEmulator, startHangingServer, startSlowImageServer, waitFor } from "./support/emulator.mjs";
import { dataUri, fromDataUri, gradientPng, pngInfo } from "./support/png.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const input = (extra = {}) => ({ prompt: "make the sky purple", image_urls: [dataUri(gradientPng(32, 24))], ...extra });

let emu;
let hang;
let slow;

before(async () => {
  emu = await startEmulator();
  hang = await startHangingServer();
  slow = await startSlowImageServer(gradientPng(32, 24), 600);
  fal.config(emu.config());
});

after(async () => {
  await slow?.close();
  await hang?.close();
  await emu?.stop();
});

/** Fills both runners with jobs that never finish on their own; returns their ids. */
async function occupyRunners() {
  const ids = [];
  for (let i = 0; i < 2; i++) {
    const { request_id } = await fal.queue.submit(ENDPOINT, { input: { prompt: "block", image_urls: [hang.imageUrl] } });
    ids.push(request_id);
  }
  await waitFor(async () => (await emu.stats()).inProgress === 2, "both runners busy");
  return ids;
}

async function release(ids) {
  for (const requestId of ids) await fal.queue.cancel(ENDPOINT, { requestId });
}

/** Downloads an output image and checks it is the PNG the result describes. */
async function assertPngOutput(image) {
  const response = await fetch(image.url);
  assert.equal(response.status, 200);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.deepEqual(pngInfo(bytes), { width: image.width, height: image.height });
  assert.equal(image.file_size, bytes.length);
  assert.equal(image.content_type, "image/png");
  return bytes;
}

test("subscribe (polling, logs) reports IN_QUEUE with queue_position, then IN_PROGRESS with logs, then COMPLETED", async () => {
  const blockers = await occupyRunners();
  const ahead = await fal.queue.submit(ENDPOINT, { input: input() }); // queued first: position 0
  assert.equal(ahead.queue_position, 0);

  const updates = [];
  let enqueued;
  let released = false;
  const result = await fal.subscribe(ENDPOINT, {
    input: input({ seed: 42, image_urls: [slow.imageUrl] }), // runs >= 600 ms: IN_PROGRESS cannot be missed
    logs: true,
    pollInterval: 50,
    onEnqueue: (id) => { enqueued = id; },
    onQueueUpdate: (update) => {
      updates.push(structuredClone(update));
      if (update.status === "IN_QUEUE" && !released) {
        released = true;
        release(blockers).catch(() => {});
      }
    },
  });

  const statuses = updates.map((u) => u.status);
  assert.equal(statuses[0], "IN_QUEUE");
  assert.equal(updates[0].queue_position, 1, "one request is queued ahead");
  assert.equal(statuses.at(-1), "COMPLETED");
  const firstProgress = statuses.indexOf("IN_PROGRESS");
  assert.ok(firstProgress > 0, `IN_PROGRESS seen: ${statuses.join(",")}`);
  assert.ok(statuses.lastIndexOf("IN_QUEUE") < firstProgress, "never back to IN_QUEUE once running");
  const running = updates.filter((u) => u.status === "IN_PROGRESS");
  assert.ok(running.some((u) => u.logs.some((l) => l.message === "Loading 1 input image(s)")), "logs while IN_PROGRESS");
  assert.ok(running.every((u) => u.queue_position === undefined));
  const completed = updates.at(-1);
  assert.equal(typeof completed.metrics.inference_time, "number");
  assert.ok(completed.metrics.inference_time >= 0.15);
  assert.deepEqual(completed.logs.map((l) => l.message).slice(-1), ["Saving results"]);

  assert.match(enqueued, UUID);
  assert.equal(result.requestId, enqueued);
  assert.equal(result.data.seed, 42);
  assert.ok(result.data.images.length >= 1);
  await assertPngOutput(result.data.images[0]);
});

test("queue.submit, queue.status and queue.result", async () => {
  const submitted = await fal.queue.submit(ENDPOINT, { input: input({ num_images: 2, seed: 7, image_urls: [slow.imageUrl] }) });
  const requestId = submitted.request_id;
  assert.match(requestId, UUID);
  assert.equal(submitted.status, "IN_QUEUE");
  assert.equal(submitted.status_url, `https://queue.fal.run/fal-ai/bytedance/requests/${requestId}/status`);
  assert.equal(submitted.response_url, `https://queue.fal.run/fal-ai/bytedance/requests/${requestId}`);
  assert.equal(submitted.cancel_url, `https://queue.fal.run/fal-ai/bytedance/requests/${requestId}/cancel`);

  const first = await fal.queue.status(ENDPOINT, { requestId, logs: true });
  assert.ok(["IN_QUEUE", "IN_PROGRESS"].includes(first.status), first.status); // the input takes 600 ms to load
  assert.equal(first.request_id, requestId);

  const done = await waitFor(async () => {
    const s = await fal.queue.status(ENDPOINT, { requestId, logs: true });
    return s.status === "COMPLETED" && s;
  }, "COMPLETED");
  assert.deepEqual(done.logs.map((l) => l.message), ["Loading 1 input image(s)", done.logs[1].message, "Saving results"]);
  assert.match(done.logs[1].message, /^Generating \d+ image\(s\) at \d+x\d+ \(seed 7\)$/);
  assert.equal(done.error, undefined);
  const quiet = await fal.queue.status(ENDPOINT, { requestId, logs: false });
  assert.equal(quiet.logs, null);

  const result = await fal.queue.result(ENDPOINT, { requestId });
  assert.equal(result.requestId, requestId);
  assert.equal(result.data.seed, 7);
  assert.ok(result.data.images.length >= 2, "num_images 2 gives at least two images");
  for (const image of result.data.images) await assertPngOutput(image);
});

test("queue.cancel before the request starts: it completes as cancelled", async () => {
  const blockers = await occupyRunners();
  try {
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input: input() });
    assert.equal((await fal.queue.status(ENDPOINT, { requestId })).status, "IN_QUEUE");

    await fal.queue.cancel(ENDPOINT, { requestId }); // 202 CANCELLATION_REQUESTED resolves

    const status = await fal.queue.status(ENDPOINT, { requestId });
    assert.equal(status.status, "COMPLETED");
    assert.equal(status.error, "Request was cancelled");
    assert.equal(status.error_type, "client_cancelled");
    const job = await emu.job(requestId);
    assert.equal(job.outcome, "cancelled");
    assert.equal(job.startedAt, null, "never ran");
    await assert.rejects(fal.queue.result(ENDPOINT, { requestId }), (err) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 400);
      assert.equal(err.body.error_type, "client_cancelled");
      assert.equal(err.requestId, requestId);
      return true;
    });
  } finally {
    await release(blockers);
  }
});

test("queue.cancel after completion: the client rejects with ALREADY_COMPLETED (ApiError 400)", async () => {
  const { requestId, data } = await fal.subscribe(ENDPOINT, { input: input({ seed: 9 }), pollInterval: 50 });
  await assert.rejects(fal.queue.cancel(ENDPOINT, { requestId }), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    assert.deepEqual(err.body, { status: "ALREADY_COMPLETED" });
    return true;
  });
  // The result is untouched by the late cancel.
  assert.deepEqual((await fal.queue.result(ENDPOINT, { requestId })).data, data);
});

test("subscribe with mode: streaming follows the SSE status stream", async () => {
  const before = await emu.stats();
  const updates = [];
  const result = await fal.subscribe(ENDPOINT, {
    input: input({ seed: 5 }),
    mode: "streaming",
    logs: true,
    onQueueUpdate: (update) => updates.push(structuredClone(update)),
  });
  const after = await emu.stats();

  assert.equal((after.requestsByRoute.stream ?? 0) - (before.requestsByRoute.stream ?? 0), 1, "one status stream");
  assert.equal(after.requestsByRoute.status ?? 0, before.requestsByRoute.status ?? 0, "no polling");
  assert.equal(updates.at(-1).status, "COMPLETED");
  // The client accumulates the per-event log lines the stream sends.
  assert.deepEqual(updates.at(-1).logs.map((l) => l.message).filter((m) => !m.startsWith("Generating")), ["Loading 1 input image(s)", "Saving results"]);
  assert.equal(result.data.seed, 5);
  await assertPngOutput(result.data.images[0]);
});

test("fal.run answers synchronously with the request id", async () => {
  const before = await emu.stats();
  const result = await fal.run(ENDPOINT, { input: input({ seed: 11, image_size: "landscape_16_9" }) });
  const after = await emu.stats();

  assert.match(result.requestId, UUID);
  assert.equal(result.data.seed, 11);
  const image = result.data.images[0];
  assert.ok(image.width > image.height, "16:9 landscape");
  await assertPngOutput(image);
  assert.equal(after.syncRuns, before.syncRuns + 1);
  assert.equal(after.submitted, before.submitted, "no queue job");
});

test("sync_mode returns the images as PNG data URIs (run and queue)", async () => {
  const run = await fal.run(ENDPOINT, { input: input({ sync_mode: true, seed: 3 }) });
  const queued = await fal.subscribe(ENDPOINT, { input: input({ sync_mode: true, seed: 3 }), pollInterval: 50 });
  for (const image of [run.data.images[0], queued.data.images[0]]) {
    const bytes = fromDataUri(image.url);
    assert.deepEqual(pngInfo(bytes), { width: image.width, height: image.height });
    assert.equal(image.file_size, bytes.length);
  }
  // Same prompt, seed and input: the same picture either way.
  assert.equal(run.data.images[0].url, queued.data.images[0].url);
});

test("the mid-2026 schema: auto_4K and a 4096x4096 custom size, on both endpoint ids", async () => {
  // A square input, so auto_4K (which follows the first input's aspect ratio) is square too.
  const square = { image_urls: [dataUri(gradientPng(32, 32))] };
  const auto = await fal.subscribe(ENDPOINT, { input: input({ ...square, image_size: "auto_4K" }) });
  assert.equal(auto.data.images[0].width * auto.data.images[0].height, 4096 * 4096);
  const custom = await fal.subscribe("bytedance/seedream/v5/lite/edit", { input: input({ image_size: { width: 4096, height: 4096 } }) });
  assert.deepEqual([custom.data.images[0].width, custom.data.images[0].height], [4096, 4096]);
  await assertPngOutput(custom.data.images[0]);
});
