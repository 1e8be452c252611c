// Where things are, overridable from the environment:
//   PROJECTCONNECT    the CLI (default ../.venv/bin/projectconnect)
//   CHROMIUM          the browser (default /usr/bin/chromium, Debian's package)
//   E2E_FRONTEND_DIR  the built front end to serve (default dist/)
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = resolve(ROOT, process.env.PROJECTCONNECT ?? "../.venv/bin/projectconnect");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const FRONTEND_DIR = resolve(ROOT, process.env.E2E_FRONTEND_DIR ?? "dist");
export const RESULTS = join(ROOT, "test-results");
export const SHOTS = join(RESULTS, "screenshots");

/** A LAN name Chromium resolves to 127.0.0.1 (plain http there is not a secure context). */
export const LAN_HOST = "pc.lan";
