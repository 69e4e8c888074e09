// The @fal-ai/client side of the Seedream benchmark. Run by bench/Seedream.Bench, one workload per
// process:  node bench.mjs <edits|upload|queued|startup> '<json options>'
//
// Protocol on stdio (the same one the Seedream child speaks): after its warm-up the script prints
// {"event":"ready"} and waits for one line on stdin; then it runs the timed part, prints
// {"event":"result",...} and waits for stdin to close before exiting, so the driver can read the
// process's peak memory from /proc while the process still exists. `startup` has no handshake:
// a fresh process is the point of it.
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";

const t0 = performance.now();
const [workload, json] = process.argv.slice(2);
const opt = JSON.parse(json ?? "{}");
const ENDPOINT = opt.endpoint ?? "fal-ai/bytedance/seedream/v5/lite/edit";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value;
const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");

function memory() {
  const u = process.memoryUsage();
  return { rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, maxRss: process.resourceUsage().maxRSS * 1024 };
}

// proxyUrl with when:"always": by default the client proxies only in browsers, and on Node it
// would talk to the real fal hosts. The key goes in Authorization like it would to fal.
async function client(proxyUrl = opt.proxyUrl) {
  const { createFalClient } = await import("@fal-ai/client");
  return createFalClient({ credentials: opt.key, proxyUrl: { url: proxyUrl, when: "always" } });
}

// Same prompt and seed as the Seedream side: the emulator's render cache then keeps the model cheap.
const input = (_i) => ({ prompt: opt.prompt ?? "benchmark edit", image_urls: [opt.imageUrl], seed: 42 });

// How fal.subscribe waits: "polling" (its default) or "streaming" (the status stream, its best).
const MODE = opt.mode ?? "polling";

// N jobs through a pool of `concurrency` workers, each a plain fal.subscribe.
async function pool(n, concurrency, work) {
  let next = 0;
  const errors = [];
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      try { await work(i); } catch (e) { errors.push(String(e?.message ?? e)); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return errors;
}

async function handshake() {
  emit({ event: "ready", memory: memory() });
  await nextLine();
}

async function finish(result) {
  emit({ event: "result", ...result, memory: memory() });
  await nextLine(); // stdin closed (undefined) or "bye"
  process.exit(0);
}

async function edits() {
  const fal = await client();
  await pool(opt.warmup ?? 16, opt.concurrency, (i) => fal.subscribe(ENDPOINT, { input: input(-1 - i), mode: MODE }));
  await handshake();
  const ids = [];
  const start = performance.now();
  const errors = await pool(opt.n, opt.concurrency, async (i) => {
    const r = await fal.subscribe(ENDPOINT, { input: input(i), mode: MODE });
    if (!r?.data?.images?.length) throw new Error(`no images in ${r?.requestId}`);
    ids.push(r.requestId);
  });
  const wallMs = performance.now() - start;
  await finish({ wallMs, jobs: ids.length, requestIds: ids, errors: errors.slice(0, 5), errorCount: errors.length });
}

// Edits against an emulator that faults its traffic. The warm-up goes to a clean emulator, so it
// spends none of the faulty one's seeded draws. mode: "polling" (the default of fal.subscribe) or "streaming".
async function faults() {
  const warm = await client(opt.warmupProxyUrl);
  const fal = await client();
  const mode = opt.mode ?? "polling";
  await pool(opt.warmup ?? 16, opt.concurrency, (i) => warm.subscribe(ENDPOINT, { input: input(-1 - i), mode }));
  await handshake();
  const ids = [];
  const start = performance.now();
  const errors = await pool(opt.n, opt.concurrency, async (i) => {
    const r = await fal.subscribe(ENDPOINT, { input: input(i), mode });
    if (!r?.data?.images?.length) throw new Error(`no images in ${r?.requestId}`);
    ids.push(r.requestId);
  });
  const wallMs = performance.now() - start;
  await finish({ wallMs, jobs: ids.length, requestIds: ids, errors: errors.slice(0, 5), errorCount: errors.length, command: `fal.subscribe (${mode}) x ${opt.concurrency} workers` });
}

async function upload() {
  const fal = await client();
  const { openAsBlob } = await import("node:fs");
  // A Blob backed by the file (Node >= 19.8): how a Node user uploads a big file without reading it into memory.
  await fal.storage.upload(await openAsBlob(opt.warmupPath, { type: "application/octet-stream" }));
  await handshake();
  const start = performance.now();
  const url = await fal.storage.upload(await openAsBlob(opt.path, { type: "application/octet-stream" }));
  const wallMs = performance.now() - start;
  await finish({ wallMs, url, errorCount: url ? 0 : 1 });
}

async function queued() {
  const fal = await client();
  await pool(opt.warmup ?? 4, 4, (i) => fal.queue.submit(ENDPOINT, { input: input(-1 - i) }));
  await handshake();
  const ids = [];
  const start = performance.now();
  let errors = await pool(opt.n, opt.concurrency ?? 1, async (i) => {
    ids.push((await fal.queue.submit(ENDPOINT, { input: input(i) })).request_id);
  });
  const submitMs = performance.now() - start;
  // Hold the jobs: check every job's status, round after round (they stay IN_QUEUE).
  const last = [];
  for (let round = 0; round < (opt.rounds ?? 3); round++) {
    errors = errors.concat(await pool(ids.length, opt.concurrency ?? 1, async (i) => {
      last[i] = await fal.queue.status(ENDPOINT, { requestId: ids[i] });
    }));
  }
  const wallMs = performance.now() - start;
  const statuses = {};
  for (const s of last) if (s) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  await finish({ wallMs, submitMs, jobs: ids.length, statuses, errors: errors.slice(0, 5), errorCount: errors.length });
}

async function startup() {
  // Module load time, then the first edit in the same fresh process (no warm-up, by design).
  const a = performance.now();
  const fal = await client();
  const importMs = performance.now() - a;
  const b = performance.now();
  const r = await fal.subscribe(ENDPOINT, { input: input(0), mode: MODE });
  const firstEditMs = performance.now() - b;
  emit({ event: "result", processMs: a - t0, importMs, firstEditMs, requestIds: [r.requestId], errorCount: 0, memory: memory() });
  process.exit(0);
}

const workloads = { edits, upload, queued, startup, faults };
if (!workloads[workload]) {
  console.error(`usage: node bench.mjs <${Object.keys(workloads).join("|")}> '<json>'`);
  process.exit(2);
}
workloads[workload]().catch((e) => {
  emit({ event: "error", message: String(e?.stack ?? e) });
  process.exit(1);
});
