// Checks the prerequisites, starts one `projectconnect dev` for every spec and returns
// the teardown that stops it. Workers find it through E2E_BASE_URL and E2E_DATA_DIR.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM, CLI, FRONTEND_DIR, SHOTS } from "./paths";
import { startDevServer } from "./server";

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  check(existsSync(join(FRONTEND_DIR, "index.html")), `${FRONTEND_DIR}/index.html is missing: run \`npm run build\` first.`);
  check(existsSync(CLI), `projectconnect not found at ${CLI} (set PROJECTCONNECT).`);
  check(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (set CHROMIUM, or apt-get install chromium).`);
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });

  // Every test signs up its own people: lift the registrations-per-address throttle, and
  // hash passwords cheaply (the production cost is for attackers, not for test runs).
  // Notification mail goes out at once rather than minutes later.
  const server = await startDevServer({
    env: {
      AUTH_REGISTRATIONS_PER_IP: "10000 per hour",
      AUTH_ARGON2_TIME_COST: "1",
      AUTH_ARGON2_MEMORY_KIB: "8192",
      PROJECTS_NOTIFICATION_MAIL_INTERVAL_SECONDS: "1",
      PROJECTS_NOTIFICATION_MAIL_DELAY_SECONDS: "0",
      PROJECTS_NOTIFICATION_MAIL_GAP_SECONDS: "0",
    },
  });
  process.env.E2E_BASE_URL = server.baseURL;
  process.env.E2E_DATA_DIR = server.dataDir;
  console.log(`  server: ${server.baseURL} (data dir ${server.dataDir})`);
  return () => server.stop();
}
