// Webhooks requested through the official client (queue.submit webhookUrl), checked with Node's
// own crypto: ED25519 over request_id \n user_id \n timestamp \n sha256hex(raw body), key from the JWKS.
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import { after, before, test } from "node:test";
import { fal } from "@fal-ai/client";
import { ENDPOINT, startEmulator, waitFor } from "./support/emulator.mjs";
import { dataUri, gradientPng, pngInfo } from "./support/png.mjs";

const input = (extra = {}) => ({ prompt: "add a moon", image_urls: [dataUri(gradientPng(20, 20))], ...extra });

let emu;
let publicKey;
let jwk;

before(async () => {
  emu = await startEmulator(["--webhook-retries", "2", "--webhook-retry-ms", "100"]);
  fal.config(emu.config());
  const response = await fetch(emu.jwksUrl); // public: no key sent
  assert.equal(response.status, 200);
  [jwk] = (await response.json()).keys;
  publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" });
});

after(async () => {
  await emu?.stop();
});

/** A loopback endpoint that records raw bodies and answers with the scripted status codes (then 200). */
async function startReceiver(...answers) {
  const received = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const status = answers.length > 0 ? answers.shift() : 200;
    received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks), at: Date.now(), status });
    res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "try later");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}/fal/webhook?tenant=compat`,
    received,
    waitFor: (count) => waitFor(() => received.length >= count && received, `${count} webhook request(s)`),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** fal's documented check, written out with Node's crypto only. */
function signatureValid(hook, body = hook.body, key = publicKey) {
  const digest = createHash("sha256").update(body).digest("hex");
  const message = [hook.headers["x-fal-webhook-request-id"], hook.headers["x-fal-webhook-user-id"], hook.headers["x-fal-webhook-timestamp"], digest].join("\n");
  return verify(null, Buffer.from(message, "utf8"), key, Buffer.from(hook.headers["x-fal-webhook-signature"], "hex"));
}

test("the JWKS publishes one Ed25519 signing key", () => {
  assert.equal(jwk.kty, "OKP");
  assert.equal(jwk.crv, "Ed25519");
  assert.equal(jwk.use, "sig");
  assert.equal(jwk.alg, "EdDSA");
  assert.equal(typeof jwk.kid, "string");
  assert.equal(Buffer.from(jwk.x, "base64url").length, 32);
  assert.equal(publicKey.asymmetricKeyType, "ed25519");
});

test("a completed request's webhook carries the OK payload and a signature Node's crypto verifies", async () => {
  const receiver = await startReceiver();
  try {
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input: input({ seed: 99 }), webhookUrl: receiver.url });
    const [hook] = await receiver.waitFor(1);

    assert.equal(hook.method, "POST");
    assert.equal(hook.url, "/fal/webhook?tenant=compat");
    assert.match(hook.headers["content-type"], /^application\/json/);
    assert.equal(hook.headers["x-fal-webhook-request-id"], requestId);
    assert.ok(hook.headers["x-fal-webhook-user-id"]);
    assert.match(hook.headers["x-fal-webhook-signature"], /^[0-9a-f]{128}$/);
    const age = Date.now() / 1000 - Number(hook.headers["x-fal-webhook-timestamp"]);
    assert.ok(age >= -1 && age < 60, `timestamp ${age} s old`);
    assert.equal(hook.headers.authorization, undefined);

    assert.equal(signatureValid(hook), true);
    const tampered = Buffer.from(hook.body.toString("utf8").replace('"seed":99', '"seed":98'));
    assert.notDeepEqual(tampered, hook.body);
    assert.equal(signatureValid(hook, tampered), false);
    assert.equal(signatureValid({ ...hook, headers: { ...hook.headers, "x-fal-webhook-timestamp": String(Number(hook.headers["x-fal-webhook-timestamp"]) + 1) } }), false);

    const event = JSON.parse(hook.body.toString("utf8"));
    assert.equal(event.request_id, requestId);
    assert.equal(event.gateway_request_id, requestId);
    assert.equal(event.status, "OK");
    assert.equal(event.error, undefined);
    assert.equal(event.payload.seed, 99);
    assert.deepEqual(event.payload, (await fal.queue.result(ENDPOINT, { requestId })).data);
    const image = event.payload.images[0];
    const bytes = Buffer.from(await (await fetch(image.url)).arrayBuffer());
    assert.deepEqual(pngInfo(bytes), { width: image.width, height: image.height });
  } finally {
    await receiver.close();
  }
});

test("a failed request's webhook carries status ERROR with the 422 body", async () => {
  const receiver = await startReceiver();
  try {
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input: { prompt: "p", image_urls: [] }, webhookUrl: receiver.url });
    const [hook] = await receiver.waitFor(1);
    assert.equal(signatureValid(hook), true);
    const event = JSON.parse(hook.body.toString("utf8"));
    assert.equal(event.request_id, requestId);
    assert.equal(event.status, "ERROR");
    assert.equal(event.error, "Invalid status code: 422");
    assert.deepEqual(event.payload.detail.map((d) => [d.loc, d.type]), [[["body", "image_urls"], "sequence_too_short"]]);
  } finally {
    await receiver.close();
  }
});

test("a webhook the receiver refuses is retried with backoff and signed afresh", async () => {
  const receiver = await startReceiver(503);
  try {
    const before = await emu.stats();
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input: input(), webhookUrl: receiver.url });
    const hooks = await receiver.waitFor(2);
    const job = await waitFor(async () => {
      const info = await emu.job(requestId);
      return info.webhook.state === "delivered" && info;
    }, "delivery recorded");

    assert.deepEqual(hooks.map((h) => h.status), [503, 200]);
    assert.ok(hooks[1].at - hooks[0].at >= 90, `retried after ${hooks[1].at - hooks[0].at} ms`);
    assert.deepEqual(hooks[1].body, hooks[0].body, "the same bytes each time");
    assert.ok(hooks.every((h) => signatureValid(h)));
    assert.equal(job.webhook.attempts, 2);
    const after = await emu.stats();
    assert.equal(after.webhookAttempts - before.webhookAttempts, 2);
    assert.equal(after.webhooksDelivered - before.webhooksDelivered, 1);
    assert.equal(after.webhooksFailed, before.webhooksFailed);
  } finally {
    await receiver.close();
  }
});
