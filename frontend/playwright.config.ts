// Browser tests: the built front end (dist/) against a real `projectconnect dev`, in
// Debian's Chromium (never a downloaded browser). `npm run build && npm run test:e2e`.
import { defineConfig } from "@playwright/test";
import { CHROMIUM, LAN_HOST } from "./e2e/support/paths";

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  globalSetup: "./e2e/support/global-setup.ts",
  // Two cores shared with the server: one test at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 8_000 },
  outputDir: "test-results/artifacts",
  reporter: [
    ["list"],
    ["json", { outputFile: "test-results/e2e-report.json" }],
    ["./e2e/support/summary-reporter.ts"],
  ],
  use: {
    // baseURL comes from the global setup's server (see e2e/support/fixtures.ts).
    locale: "en-GB",
    viewport: { width: 1280, height: 860 },
    actionTimeout: 8_000,
    navigationTimeout: 15_000,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      headless: !process.env.E2E_HEADED,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // A LAN name for the plain-HTTP test: Chromium treats http://127.0.0.1 as a secure
        // context, http://pc.lan (LAN_HOST) is not one.
        `--host-resolver-rules=MAP ${LAN_HOST} 127.0.0.1`,
        // The CSP is added by intercepting documents, which Chromium then counts as coming
        // from an unknown address; without this it would block that page's own scripts at
        // the (loopback) LAN name. A real LAN page and its assets share one address.
        "--disable-features=LocalNetworkAccessChecks",
      ],
    },
  },
});
