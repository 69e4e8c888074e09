// Starts a fresh Seedream fal emulator as a child process for one test file and points the
// official client at it through its documented proxyUrl option.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFalClient } from "@fal-ai/client";

export const ENDPOINT = "fal-ai/bytedance/seedream/v5/lite/edit";
export const KEY = "compat-suite-key-3c1f9a";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..", "..");

/**
 * Spawns the emulator (EMULATOR_DLL, else `dotnet run --no-build`), waits for its
 * "listening on" line and returns handles to it.
 */
export async function startEmulator(extraArgs = []) {
  const args = ["--urls", "http://127.0.0.1:0", "--processing-ms", "200", "--runners", "2", "--ping-ms", "100", "--require-key", KEY, ...extraArgs];
  const dll = process.env.EMULATOR_DLL;
  const [command, commandArgs] = dll
    ? ["dotnet", [dll, ...args]]
    : ["dotnet", ["run", "--project", path.join(repoRoot, "src", "Seedream.Emulator"), "--no-build", "--", ...args]];
  const child = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DOTNET_NOLOGO: "1" } });
  // If this test process dies without running its after() hooks, do not leave the emulator behind.
  const killChild = () => child.kill("SIGKILL");
  process.once("exit", killChild);
  child.once("exit", () => process.removeListener("exit", killChild));
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => { stderr += text; });

  const baseUrl = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`emulator did not start within 60 s; stderr: ${stderr}`)), 60_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text) => {
      stdout += text;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      const match = /^Seedream fal emulator listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/.exec(stdout.slice(0, newline));
      clearTimeout(timer);
      if (match) resolve(match[1]);
      else reject(new Error(`unexpected first stdout line: ${stdout.slice(0, newline)}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with code ${code} before listening; stderr: ${stderr}`));
    });
  });

  return {
    baseUrl,
    proxyUrl: `${baseUrl}/api/fal/proxy`,
    jwksUrl: `${baseUrl}/.well-known/jwks.json`,
    /**
     * The client's documented configuration for this emulator: requests go to proxyUrl with the
     * real fal URL in x-fal-target-url. Outside a browser the proxy applies only with when: "always".
     */
    config(credentials = KEY) {
      return { credentials, proxyUrl: { url: `${baseUrl}/api/fal/proxy`, when: "always" } };
    },
    /** A separate client instance (same public options), e.g. with other credentials. */
    client(credentials = KEY) {
      return createFalClient(this.config(credentials));
    },
    async stats() {
      return (await fetch(`${baseUrl}/_emulator/stats`)).json();
    },
    async job(id) {
      return (await fetch(`${baseUrl}/_emulator/jobs/${id}`)).json();
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await once(child, "exit");
      clearTimeout(timer);
    },
  };
}

/**
 * A loopback server that accepts connections and never answers: an input image pointing here
 * keeps a runner busy until the job is cancelled, so queue positions do not depend on timing.
 */
export async function startHangingServer() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    imageUrl: `http://127.0.0.1:${server.address().port}/never.png`,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/**
 * A loopback server whose images arrive only after `delayMs`: a job reading one stays IN_PROGRESS
 * (already logging) at least that long, so a poller cannot miss that state.
 */
export async function startSlowImageServer(png, delayMs) {
  const server = http.createServer((req, res) => {
    const timer = setTimeout(() => res.writeHead(200, { "content-type": "image/png", "content-length": png.length }).end(png), delayMs);
    res.on("close", () => clearTimeout(timer));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    imageUrl: `http://127.0.0.1:${server.address().port}/slow.png`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** Polls until `predicate()` is truthy (returns its value) or fails after `timeoutMs`. */
export async function waitFor(predicate, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
