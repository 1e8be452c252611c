// Starts and stops `projectconnect dev` for the browser tests.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, FRONTEND_DIR, RESULTS } from "./paths";

export interface DevServer {
  /** Where the browser opens the app, e.g. http://127.0.0.1:41234. */
  baseURL: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntilLive(url: string, child: ChildProcess, logName: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`projectconnect dev exited early (${child.exitCode ?? child.signalCode}); see test-results/${logName}`);
    }
    const ok = await fetch(`${url}/health/live`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`projectconnect dev did not become ready; see test-results/${logName}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * `projectconnect dev` on a free port with a temporary data dir, serving the built front
 * end; `host` is the interface it listens on, the browser always reaches it as `origin`.
 */
export async function startDevServer({
  host = "127.0.0.1",
  originHost = "127.0.0.1",
  logName = "server.log",
  env = {},
}: { host?: string; originHost?: string; logName?: string; env?: Record<string, string> } = {}): Promise<DevServer> {
  mkdirSync(RESULTS, { recursive: true });
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "pc-e2e-data-"));
  const log = openSync(join(RESULTS, logName), "w");
  const child = spawn(
    CLI,
    ["dev", "--host", host, "--port", String(port), "--data-dir", dataDir, "--frontend-dir", FRONTEND_DIR],
    { stdio: ["ignore", log, log], env: { ...process.env, LOG_FORMAT: "text", ...env } },
  );
  try {
    await waitUntilLive(`http://127.0.0.1:${port}`, child, logName);
  } catch (error) {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    baseURL: `http://${originHost}:${port}`,
    port,
    dataDir,
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
