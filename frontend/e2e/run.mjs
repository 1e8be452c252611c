#!/usr/bin/env node
// Browser tests: the built front end (dist/) against a real `projectconnect dev`, driven
// through headless Chromium with playwright-core.
//
//   npm run build && npm run test:e2e
//
// Starts the server on a free port with a temporary data dir, runs every flow, saves a
// screenshot of each page to test-results/screenshots/, stops the server, prints a
// summary and exits non-zero when anything failed. Environment:
//   PROJECTCONNECT  the CLI (default ../.venv/bin/projectconnect)
//   CHROMIUM        the browser (default /usr/bin/chromium)
//   E2E_HEADED=1    show the browser (needs a display)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = resolve(ROOT, process.env.PROJECTCONNECT ?? "../.venv/bin/projectconnect");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DIST = join(ROOT, "dist");
const RESULTS = join(ROOT, "test-results");
const SHOTS = join(RESULTS, "screenshots");
// The gateway's policy, applied to every document here so a violation shows up as a
// console error (the embedded dev server sets no CSP itself).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const PASSWORD = "violet kettle orbit 7";
const NEW_PASSWORD = "amber lantern meadow 42";
const EMAIL = `ann.${Date.now()}@example.com`;

// ---------------------------------------------------------------------------------------
// small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Polls fn until it returns something other than false/undefined (or stops throwing). */
async function eventually(fn, { timeout = 8000, interval = 50, message = "condition not met in time" } = {}) {
  const end = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value !== false && value !== undefined) return value;
      lastError = new Error(message);
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > end) throw new Error(`${message}${lastError && lastError.message !== message ? ` (${lastError.message})` : ""}`);
    await sleep(interval);
  }
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// the server

let server = null;
let BASE = "";

async function startServer(dataDir) {
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  const log = openSync(join(RESULTS, "server.log"), "w");
  server = spawn(
    CLI,
    ["dev", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, "--frontend-dir", DIST],
    { stdio: ["ignore", log, log], env: { ...process.env, LOG_FORMAT: "text" } },
  );
  let exited = null;
  server.on("exit", (code, signal) => {
    exited = { code, signal };
  });
  await eventually(
    async () => {
      if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}); see test-results/server.log`);
      const r = await fetch(`${BASE}/health/live`).catch(() => null);
      return r?.ok === true;
    },
    { timeout: 60_000, interval: 200, message: "server did not become ready" },
  );
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const done = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  const stopped = await Promise.race([done.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    server.kill("SIGKILL");
    await done;
  }
}

/** Calls the API from Node (a separate client, not the browser). */
async function api(method, path, { token, body } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

async function apiLogin(email, password) {
  const r = await api("POST", "/auth/login", { body: { email, password } });
  assert(r.status === 200, `API login failed: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.access_token;
}

// ---------------------------------------------------------------------------------------
// the browser and what it tells us

const seen = {
  tokens: new Set(), // every access and refresh token the browser received
  accessToken: null, // the latest one
  requests: [], // { step, method, path, status }
  consoleErrors: [], // { step, text, allowed }
  warnings: [],
};
let current = { name: "(setup)", expectHttp: new Set() };

function apiPath(url) {
  const u = new URL(url);
  return u.origin === BASE && /^\/(auth|projects)(\/|$)/.test(u.pathname) ? u.pathname : null;
}

function watch(page) {
  page.on("console", (msg) => {
    const type = msg.type();
    if (type === "warning") seen.warnings.push({ step: current.name, text: msg.text() });
    if (type !== "error") return;
    const text = msg.text();
    // Chromium logs every 4xx/5xx answer as "Failed to load resource"; those are fine
    // only where the step expects that status (a wrong password, a forced 401...).
    const status = /Failed to load resource: the server responded with a status of (\d{3})/.exec(text)?.[1];
    const allowed = status !== undefined && current.expectHttp.has(Number(status));
    seen.consoleErrors.push({ step: current.name, text, allowed });
  });
  page.on("pageerror", (error) => {
    seen.consoleErrors.push({ step: current.name, text: `uncaught: ${error.message}`, allowed: false });
  });
  page.on("response", async (response) => {
    const path = apiPath(response.url());
    if (!path) return;
    const request = response.request();
    seen.requests.push({
      step: current.name,
      method: request.method(),
      path,
      status: response.status(),
      auth: request.headers().authorization ?? null,
    });
    if ((path === "/auth/login" || path === "/auth/refresh") && response.ok()) {
      try {
        const body = await response.json();
        seen.tokens.add(body.access_token);
        seen.tokens.add(body.refresh_token);
        seen.accessToken = body.access_token;
      } catch {
        // body not available (navigated away): nothing to record
      }
    }
  });
}

function requestsIn(step, filter = () => true) {
  return seen.requests.filter((r) => r.step === step && filter(r));
}

// ---------------------------------------------------------------------------------------
// the runner

const results = [];
let aborted = false;

async function step(name, fn, { expectHttp = [] } = {}) {
  if (aborted) {
    results.push({ name, status: "skipped" });
    console.log(`  - ${name} (skipped)`);
    return;
  }
  current = { name, expectHttp: new Set(expectHttp) };
  const started = Date.now();
  try {
    await fn();
    await sleep(100); // let late console messages and responses arrive
    const unexpected = requestsIn(name, (r) => r.status >= 400 && !current.expectHttp.has(r.status));
    assert(
      unexpected.length === 0,
      `unexpected HTTP errors: ${unexpected.map((r) => `${r.method} ${r.path} → ${r.status}`).join(", ")}`,
    );
    const errors = seen.consoleErrors.filter((e) => e.step === name && !e.allowed);
    assert(errors.length === 0, `console errors: ${errors.map((e) => e.text).join(" | ")}`);
    results.push({ name, status: "passed" });
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, status: "failed", error });
    aborted = true; // the flows build on each other
    console.log(`  ✗ ${name}\n      ${String(error?.stack ?? error).split("\n").slice(0, 6).join("\n      ")}`);
    try {
      await page?.screenshot({ path: join(SHOTS, `FAILED-${results.length}.png`), fullPage: true });
    } catch {
      // no page to show
    }
  }
}

// ---------------------------------------------------------------------------------------
// the flows

let context = null;
let page = null;

async function shot(name, options = {}) {
  await page.evaluate(() => document.fonts?.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), ...options });
}

const heading = (name) => page.getByRole("heading", { level: 1, name });
const dialog = () => page.locator('[role="dialog"], [role="alertdialog"]');

async function focusIsInDialog() {
  return page.evaluate(() => {
    const d = document.querySelector('[role="dialog"], [role="alertdialog"]');
    return !!d && d.contains(document.activeElement);
  });
}

async function activeLabel() {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el ? (el.getAttribute("aria-label") ?? el.textContent ?? "").trim() : "";
  });
}

async function checkFocusTrap() {
  assert(await focusIsInDialog(), "focus did not move into the dialog");
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press("Tab");
    assert(await focusIsInDialog(), `Tab #${i + 1} left the dialog`);
  }
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press("Shift+Tab");
    assert(await focusIsInDialog(), `Shift+Tab #${i + 1} left the dialog`);
  }
  assert(
    await page.evaluate(() => document.getElementById("root")?.hasAttribute("inert")),
    "the page behind the dialog is not inert",
  );
}

async function fieldError(label) {
  // The error is tied to its input through aria-describedby.
  const input = page.getByLabel(label, { exact: true });
  await eventually(async () => (await input.getAttribute("aria-invalid")) === "true", {
    message: `field "${label}" not marked invalid`,
  });
  return input.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id))
      .filter((n) => n?.classList.contains("field-error"))
      .map((n) => n.textContent)
      .join(" "),
  );
}

async function cardNames() {
  return page.locator(".project-card .project-card-title").allTextContents();
}

async function main() {
  if (!existsSync(join(DIST, "index.html"))) {
    console.error("dist/index.html is missing: run `npm run build` first.");
    process.exit(2);
  }
  if (!existsSync(CLI)) {
    console.error(`projectconnect not found at ${CLI} (set PROJECTCONNECT).`);
    process.exit(2);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM} (set CHROMIUM).`);
    process.exit(2);
  }
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "pc-e2e-data-"));
  const profileDir = mkdtempSync(join(tmpdir(), "pc-e2e-chromium-"));

  console.log("Project Connect browser tests");
  try {
    await startServer(dataDir);
    console.log(`  server: ${BASE} (data dir ${dataDir})`);
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: !process.env.E2E_HEADED,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ].filter((a) => a !== "--headless" || !process.env.E2E_HEADED),
      viewport: { width: 1280, height: 860 },
      locale: "en-GB",
    });
    context.setDefaultTimeout(8000);
    await context.route(
      (url) => url.origin === BASE,
      async (route) => {
        if (route.request().resourceType() !== "document") return route.continue();
        const response = await route.fetch();
        return route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": CSP } });
      },
    );
    page = context.pages()[0] ?? (await context.newPage());
    watch(page);
    await runFlows(dataDir);
  } catch (error) {
    results.push({ name: "(harness)", status: "failed", error });
    console.log(`  ✗ harness: ${error?.stack ?? error}`);
  } finally {
    await context?.close().catch(() => {});
    await stopServer();
    rmSync(profileDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
  report();
}

async function runFlows(dataDir) {
  let userId = null;
  const projectIds = {};

  await step("sign-up page: renders, checks the form before sending", async () => {
    await page.goto(`${BASE}/signup`);
    await heading("Create an account").waitFor();
    assert(
      requestsIn(current.name, (r) => r.path === "/auth/refresh").length === 0,
      "an anonymous visitor should not need a refresh call",
    );
    await shot("signup");
    await page.getByRole("button", { name: "Create account" }).click();
    assert((await fieldError("Email")).includes("Enter your email"), "no client-side email error");
    assert(await page.getByLabel("Email", { exact: true }).evaluate((el) => el === document.activeElement), "focus not on the first invalid field");
  });

  await step("sign-up: the API's field errors show at their fields", async () => {
    await page.getByLabel("Name").fill("Ann Example");
    await page.getByLabel("Email", { exact: true }).fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill("password");
    await page.getByRole("button", { name: "Create account" }).click();
    const message = await fieldError("Password");
    assert(/common/i.test(message), `expected the password policy message, got "${message}"`);
  }, { expectHttp: [422] });

  await step("sign up → logged in, empty dashboard", async () => {
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await heading("Projects").waitFor();
    await page.getByRole("heading", { name: "No projects yet" }).waitFor();
    await page.getByText("Ann Example").waitFor();
    assert(new URL(page.url()).pathname === "/", `expected /, got ${page.url()}`);
    const me = await api("GET", "/auth/me", { token: seen.accessToken });
    assert(me.status === 200 && me.json.email === EMAIL, "the token the browser holds does not work");
    userId = me.json.id;
  });

  await step("tokens: none in localStorage, sessionStorage or script-readable cookies", async () => {
    assert(seen.tokens.size >= 2, "no tokens were observed");
    const storage = await page.evaluate(() => {
      const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
      return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie };
    });
    const everything = JSON.stringify(storage);
    for (const token of seen.tokens) assert(!everything.includes(token), "a token is readable from storage");
    assert(!/eyJ[\w-]+\.eyJ[\w-]+\./.test(everything), "something JWT-like is in storage");
    assert(!storage.cookie.includes("refresh_token"), "the refresh cookie is readable by scripts");
    const cookies = await context.cookies(`${BASE}/auth/refresh`);
    const refresh = cookies.find((c) => c.name === "refresh_token");
    assert(refresh && refresh.httpOnly && refresh.path === "/auth", "no HttpOnly refresh cookie on /auth");
  });

  await step("create a project in a modal dialog (focus trap, Escape, focus return)", async () => {
    const open = page.getByRole("button", { name: "New project" });
    await open.click();
    await dialog().waitFor();
    await checkFocusTrap();
    await page.keyboard.press("Escape");
    await dialog().waitFor({ state: "detached" });
    assert((await activeLabel()) === "New project", `focus did not return to "New project" (${await activeLabel()})`);

    await open.click();
    await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
    assert((await fieldError("Name")).includes("name"), "an empty name was not caught");
    await page.getByLabel("Name").fill("Website relaunch");
    await page.getByLabel("Description").fill("New marketing site: content, design and launch.");
    await shot("new-project-dialog");
    await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
    await dialog().waitFor({ state: "detached" });
    await eventually(async () => (await cardNames()).includes("Website relaunch"), { message: "new project not listed" });
    assert((await activeLabel()) === "New project", "focus did not return after creating");
    const list = await api("GET", "/projects", { token: seen.accessToken });
    projectIds.main = list.json.items.find((p) => p.name === "Website relaunch")?.id;
    assert(projectIds.main, "project not found through the API");
  });

  await step("project page: add, toggle, rename and delete tasks; progress follows", async () => {
    await page.getByRole("link", { name: "Website relaunch" }).click();
    await heading("Website relaunch").waitFor();
    assert(new URL(page.url()).pathname === `/p/${projectIds.main}`, `unexpected URL ${page.url()}`);
    await page.getByText("No tasks yet").waitFor();
    const input = page.getByLabel("New task");
    for (const title of ["Write the copy", "Design the homepage", "Set up analytics", "Launch party"]) {
      await input.fill(title);
      await input.press("Enter");
      await page.getByText(title, { exact: true }).waitFor();
    }
    assert((await input.inputValue()) === "", "the input was not cleared");
    const progress = page.locator(".progress-card [role=progressbar]");
    await page.getByLabel("Write the copy", { exact: true }).check();
    await page.getByLabel("Design the homepage", { exact: true }).check();
    await eventually(async () => (await progress.getAttribute("aria-valuenow")) === "50", { message: "progress is not 50%" });

    await page.getByRole("button", { name: "Rename Set up analytics" }).click();
    const rename = page.getByLabel("Rename “Set up analytics”");
    assert(await rename.evaluate((el) => el === document.activeElement), "rename input not focused");
    await rename.fill("Set up privacy-friendly analytics");
    await rename.press("Enter");
    await page.getByText("Set up privacy-friendly analytics", { exact: true }).waitFor();

    await page.getByRole("button", { name: "Delete Launch party" }).click();
    await page.getByText("Launch party", { exact: true }).waitFor({ state: "detached" });
    await eventually(async () => (await progress.getAttribute("aria-valuenow")) === "66", { message: "progress is not 66%" });
    await page.getByText("2 of 3 tasks done").waitFor();

    await eventually(async () => {
      const p = await api("GET", `/projects/${projectIds.main}`, { token: seen.accessToken });
      return p.json.task_count === 3 && p.json.done_count === 2 && p.json.progress === 66;
    }, { message: "the API disagrees about the counts" });
    const tasks = await api("GET", `/projects/${projectIds.main}/tasks`, { token: seen.accessToken });
    const titles = tasks.json.items.map((t) => t.title);
    assert(titles.includes("Set up privacy-friendly analytics") && !titles.includes("Launch party"), `tasks: ${titles}`);
    await shot("project");
  });

  await step("a refused task toggle rolls back and says so", async () => {
    // The server "fails" after a while, so the optimistic state can be seen first.
    const handler = async (route) => {
      if (route.request().method() !== "PATCH") return route.continue();
      await sleep(700);
      return route.fulfill({
        status: 500,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Internal Server Error", status: 500 }),
      });
    };
    await page.route((url) => url.pathname.includes("/tasks/"), handler);
    try {
      const box = page.getByLabel("Set up privacy-friendly analytics", { exact: true });
      await box.click();
      await eventually(() => box.isChecked(), { timeout: 500, message: "the toggle did not show at once" });
      await page.getByRole("alert").filter({ hasText: "Couldn’t complete" }).waitFor();
      await eventually(async () => !(await box.isChecked()), { message: "the toggle was not rolled back" });
      const progress = page.locator(".progress-card [role=progressbar]");
      await eventually(async () => (await progress.getAttribute("aria-valuenow")) === "66", { message: "progress not rolled back" });
    } finally {
      await page.unroute((url) => url.pathname.includes("/tasks/"), handler);
    }
  }, { expectHttp: [500] });

  await step("reload: the session comes back from the HttpOnly cookie (one refresh)", async () => {
    const before = seen.accessToken;
    await page.reload();
    await heading("Website relaunch").waitFor();
    await page.getByText("2 of 3 tasks done").waitFor();
    const refreshes = requestsIn(current.name, (r) => r.path === "/auth/refresh");
    assert(refreshes.length === 1 && refreshes[0].status === 200, `expected one refresh, saw ${refreshes.length}`);
    assert(seen.accessToken !== before, "no new access token after reload");
  });

  await step("dashboard: edit a project optimistically, with progress shown", async () => {
    // More projects, made through the API, so the dashboard has something to show.
    const token = seen.accessToken;
    const extra = [
      ["Quarterly report", "Numbers, charts and the summary for the board.", 5, 5],
      ["Office move", "Pack, label, move and unpack by the end of the month.", 6, 2],
      ["Hiring: backend engineer", null, 4, 1],
    ];
    for (const [name, description, tasks, done] of extra) {
      const p = await api("POST", "/projects", { token, body: { name, description } });
      for (let i = 0; i < tasks; i += 1) {
        const t = await api("POST", `/projects/${p.json.id}/tasks`, { token, body: { title: `Task ${i + 1}` } });
        if (i < done) await api("PATCH", `/projects/${p.json.id}/tasks/${t.json.id}`, { token, body: { done: true } });
      }
      projectIds[name] = p.json.id;
    }
    await page.getByRole("link", { name: "All projects" }).click();
    await heading("Projects").waitFor();
    await page.reload(); // fresh list
    await eventually(async () => (await cardNames()).length === 4, { message: "expected 4 projects" });

    // Slow the PATCH down so the optimistic state is observable before the answer.
    const slow = async (route) => {
      if (route.request().method() === "PATCH") await sleep(600);
      return route.continue();
    };
    await page.route((url) => url.pathname === `/projects/${projectIds["Office move"]}`, slow);
    await page.getByRole("button", { name: "Edit Office move" }).click();
    const name = page.getByLabel("Name");
    assert((await name.inputValue()) === "Office move", "the edit form is not prefilled");
    await name.fill("Office move to Leeds");
    await page.getByRole("button", { name: "Save changes" }).click();
    await dialog().waitFor({ state: "detached" });
    await eventually(async () => (await cardNames()).includes("Office move to Leeds"), {
      timeout: 400,
      message: "the new name did not show before the server answered",
    });
    assert((await activeLabel()) === "Edit Office move to Leeds", "focus did not return to the Edit button");
    await page.unroute((url) => url.pathname === `/projects/${projectIds["Office move"]}`, slow);
    await eventually(async () => {
      const p = await api("GET", `/projects/${projectIds["Office move"]}`, { token: seen.accessToken });
      return p.json.name === "Office move to Leeds";
    }, { message: "the API did not get the new name" });
    await page.getByRole("progressbar", { name: "Progress of Quarterly report" }).waitFor();
    await shot("dashboard");
  });

  await step("delete a project after confirming (Escape cancels)", async () => {
    const open = page.getByRole("button", { name: "Delete Hiring: backend engineer" });
    await open.click();
    const confirm = page.getByRole("alertdialog");
    await confirm.waitFor();
    assert((await activeLabel()) === "Cancel", "focus should start on Cancel");
    await checkFocusTrap();
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    assert((await activeLabel()) === "Delete Hiring: backend engineer", "focus did not return to the Delete button");
    assert((await cardNames()).includes("Hiring: backend engineer"), "cancel deleted anyway");

    await open.click();
    await confirm.getByRole("button", { name: "Delete project" }).click();
    await confirm.waitFor({ state: "detached" });
    await eventually(async () => !(await cardNames()).includes("Hiring: backend engineer"), { message: "card still there" });
    const gone = await api("GET", `/projects/${projectIds["Hiring: backend engineer"]}`, { token: seen.accessToken });
    assert(gone.status === 404, `deleted project answers ${gone.status}`);
  });

  await step("more than one page of projects: Load more follows next_cursor", async () => {
    const token = seen.accessToken;
    for (let i = 1; i <= 20; i += 1) {
      await api("POST", "/projects", { token, body: { name: `Backlog item ${String(i).padStart(2, "0")}` } });
    }
    await page.reload();
    await eventually(async () => (await cardNames()).length === 20, { message: "first page should hold 20" });
    const more = page.getByRole("button", { name: "Load more projects" });
    await more.click();
    await eventually(async () => (await cardNames()).length === 23, { message: "expected 23 after loading more" });
    await more.waitFor({ state: "detached" });
    const lists = requestsIn(current.name, (r) => r.path === "/projects" && r.method === "GET");
    assert(lists.length >= 2, "Load more did not fetch another page");
    const names = await cardNames();
    assert(new Set(names).size === names.length, "a project is listed twice");
  });

  await step("an invalidated access token: concurrent 401s share one refresh, then retry", async () => {
    // Every request still carrying the current token gets a broken one instead, as if
    // it had expired; after the refresh the new token passes untouched.
    const stale = seen.accessToken;
    const breakToken = (route) => {
      const headers = route.request().headers();
      if (headers.authorization === `Bearer ${stale}`) {
        return route.continue({ headers: { ...headers, authorization: "Bearer expired.or.revoked" } });
      }
      return route.continue();
    };
    const matcher = (url) => url.origin === BASE && url.pathname.startsWith("/projects");
    await page.route(matcher, breakToken);
    try {
      await page.getByRole("link", { name: "Quarterly report" }).click();
      await heading("Quarterly report").waitFor();
      await page.getByText("5 of 5 tasks done").waitFor();
    } finally {
      await page.unroute(matcher, breakToken);
    }
    const unauthorized = requestsIn(current.name, (r) => r.status === 401);
    const refreshes = requestsIn(current.name, (r) => r.path === "/auth/refresh");
    assert(unauthorized.length >= 2, `expected concurrent 401s (detail and tasks), saw ${unauthorized.length}`);
    assert(refreshes.length === 1, `expected exactly one refresh, saw ${refreshes.length}`);
    const retried = requestsIn(current.name, (r) => r.status === 200 && r.path.startsWith("/projects/"));
    assert(retried.length >= 2, "the requests were not retried");
    assert(new URL(page.url()).pathname.startsWith("/p/"), "left the page");
  }, { expectHttp: [401] });

  await step("phone width: the dashboard fits and stays usable", async () => {
    await page.getByRole("link", { name: "All projects" }).click();
    await heading("Projects").waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(150);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await page.getByRole("button", { name: "New project" }).waitFor();
    await shot("dashboard-phone");
    await page.goto(`${BASE}/p/${projectIds.main}`);
    await heading("Website relaunch").waitFor();
    await page.getByText("Write the copy").waitFor();
    const overflowProject = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflowProject <= 0, `the project page scrolls sideways by ${overflowProject}px`);
    await shot("project-phone", { fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.getByRole("link", { name: "All projects" }).click();
    await heading("Projects").waitFor();
  });

  await step("log out → login page; a reload stays logged out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await heading("Log in").waitFor();
    await page.getByText("You have been logged out.").waitFor();
    const cookies = await context.cookies(`${BASE}/auth/refresh`);
    assert(!cookies.some((c) => c.name === "refresh_token"), "the refresh cookie survived logout");
    await page.goto(`${BASE}/`);
    await heading("Log in").waitFor();
    assert(new URL(page.url()).pathname === "/login", "a protected page showed without a session");
  });

  await step("log in (a wrong password is reported plainly)", async () => {
    await shot("login");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "The email or password is incorrect." }).waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await heading("Projects").waitFor();
  }, { expectHttp: [401] });

  await step("a session revoked elsewhere: refresh fails once, back to login, then back to the page", async () => {
    const other = await apiLogin(EMAIL, PASSWORD);
    const r = await api("POST", "/auth/logout-all", { token: other });
    assert(r.status === 204, `logout-all answered ${r.status}`);
    await page.getByRole("link", { name: "Backlog item 05" }).click();
    await heading("Log in").waitFor();
    await page.getByText("Your session has ended. Please log in again.").waitFor();
    const refreshes = requestsIn(current.name, (x) => x.path === "/auth/refresh");
    assert(refreshes.length === 1 && refreshes[0].status === 401, `expected one failed refresh, saw ${refreshes.length}`);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await heading("Backlog item 05").waitFor();
    assert(new URL(page.url()).pathname.startsWith("/p/"), "not back on the project page");
  }, { expectHttp: [401] });

  await step("account page: display name, password change with field errors", async () => {
    await page.getByRole("link", { name: "Account" }).click();
    await heading("Account").waitFor();
    await page.getByText(EMAIL).waitFor();
    await shot("account", { fullPage: true });

    const name = page.getByLabel("Display name");
    await name.fill("Ann Smith");
    await page.getByRole("button", { name: "Save name" }).click();
    await page.getByText("Saved.").waitFor();
    await page.locator(".app-user-name").filter({ hasText: "Ann Smith" }).waitFor();

    await page.getByLabel("Current password").fill("definitely wrong");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    assert(/incorrect/i.test(await fieldError("Current password")), "no error at the current password");
    assert(await page.getByLabel("Current password").evaluate((el) => el === document.activeElement), "focus not on the field at fault");

    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed.").waitFor();
    await apiLogin(EMAIL, NEW_PASSWORD);
    const old = await api("POST", "/auth/login", { body: { email: EMAIL, password: PASSWORD } });
    assert(old.status === 401, "the old password still works");
  }, { expectHttp: [403] });

  await step("log out everywhere ends every session", async () => {
    const other = await apiLogin(EMAIL, NEW_PASSWORD);
    await page.getByRole("button", { name: "Log out everywhere" }).click();
    await heading("Log in").waitFor();
    const r = await api("GET", "/auth/me", { token: other });
    assert(r.status === 401, `another session still works after logout everywhere (${r.status})`);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await heading("Projects").waitFor();
  });

  await step("delete the account after typing the password → its projects are gone", async () => {
    const before = await api("GET", "/projects?limit=100", { token: seen.accessToken });
    assert(before.json.items.length === 23, `expected 23 projects before, found ${before.json.items.length}`);
    const heldToken = seen.accessToken;

    await page.getByRole("link", { name: "Account" }).click();
    await heading("Account").waitFor();
    await page.getByRole("button", { name: "Delete account…" }).click();
    const d = page.getByRole("alertdialog");
    await d.waitFor();
    await checkFocusTrap();
    const confirm = d.getByRole("button", { name: "Delete my account" });
    assert(await confirm.isDisabled(), "deletion possible without a password");
    await d.getByLabel("Password").fill("wrong password");
    await confirm.click();
    assert(/incorrect/i.test(await fieldError("Password")), "no error at the password");
    await shot("delete-account-dialog");
    await d.getByLabel("Password").fill(NEW_PASSWORD);
    await confirm.click();
    await heading("Log in").waitFor();
    await page.getByText("Your account and all its projects have been deleted.").waitFor();

    // Through the API: no way in any more.
    const login = await api("POST", "/auth/login", { body: { email: EMAIL, password: NEW_PASSWORD } });
    assert(login.status === 401, `login after deletion answered ${login.status}`);
    const list = await api("GET", "/projects", { token: heldToken });
    assert(list.status === 401, `the deleted user's token still lists projects (${list.status})`);
    // The projects are unreachable through the API for anyone, so look in the projects
    // database the server keeps in our temporary data dir (deleted by an event within a second).
    await eventually(() => ownedRows(dataDir, userId).then((n) => n.projects === 0 && n.tasks === 0 && n.marked), {
      timeout: 3000,
      message: "the deleted user's projects are still in the database",
    });
  }, { expectHttp: [403] });

  await step("the console stayed clean", async () => {
    const unexpected = seen.consoleErrors.filter((e) => !e.allowed);
    assert(unexpected.length === 0, unexpected.map((e) => `[${e.step}] ${e.text}`).join("\n"));
  });
}

/** Counts a user's rows in the projects database (SQLite, via the venv's Python). */
async function ownedRows(dataDir, userId) {
  const python = existsSync(join(dirname(CLI), "python")) ? join(dirname(CLI), "python") : "python3";
  const script = `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
u = sys.argv[2].replace("-", "")
print(json.dumps({
  "projects": c.execute("select count(*) from projects where replace(owner_id, '-', '') = ?", (u,)).fetchone()[0],
  "tasks": c.execute("select count(*) from tasks where replace(owner_id, '-', '') = ?", (u,)).fetchone()[0],
  "marked": c.execute("select count(*) from deleted_users where replace(user_id, '-', '') = ?", (u,)).fetchone()[0] > 0,
}))`;
  const r = spawnSync(python, ["-c", script, join(dataDir, "projects.db"), userId], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not read the projects database: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function report() {
  const passed = results.filter((r) => r.status === "passed").length;
  const failed = results.filter((r) => r.status === "failed").length;
  const skipped = results.filter((r) => r.status === "skipped").length;
  const allowed = seen.consoleErrors.filter((e) => e.allowed);
  writeFileSync(
    join(RESULTS, "e2e-report.json"),
    JSON.stringify({ results: results.map((r) => ({ ...r, error: r.error ? String(r.error) : undefined })), console: seen.consoleErrors, warnings: seen.warnings }, null, 2),
  );
  console.log("");
  console.log(`  screenshots: ${SHOTS}`);
  if (allowed.length) {
    console.log(`  ${allowed.length} expected HTTP error line(s) logged by Chromium (wrong passwords, forced 401s/500s)`);
  }
  if (seen.warnings.length) console.log(`  ${seen.warnings.length} console warning(s): see test-results/e2e-report.json`);
  console.log("");
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await context?.close().catch(() => {});
    await stopServer();
    process.exit(130);
  });
}

await main();
