// The browser tests' fixtures: the server's address, a Node-side API client, a monitor
// that fails a test on console errors or unexpected HTTP errors, the gateway's CSP on
// every page, people who have signed up (and logged in), and small page helpers.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { test as base, expect, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { CLI, LAN_HOST, SHOTS } from "./paths";
import { linkIn, mailTo } from "./mail";

export { expect };

// The gateway's policy, applied to every document so a violation shows up as a console
// error (the embedded dev server sets no CSP itself).
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

export const PASSWORD = "violet kettle orbit 7";
/** For what travels from one browser to another: a write, its live notice, a refetch (more on a busy machine). */
export const LIVE = { timeout: 15_000 };
export const NEW_PASSWORD = "amber lantern meadow 42";

let emails = 0;
/** An address nobody has used on this server yet. */
export function uniqueEmail(who = "ann"): string {
  emails += 1;
  return `${who}.${Date.now()}.${process.pid}.${emails}@example.com`;
}

// ---------------------------------------------------------------------------------------
// the API, called from Node (a separate client, not the browser)

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export class Api {
  constructor(readonly baseURL: string) {}

  async call(method: string, path: string, { token, body }: { token?: string | null; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(`${this.baseURL}${path}`, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await r.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: r.status, json };
  }

  async login(email: string, password: string): Promise<string> {
    const r = await this.call("POST", "/auth/login", { body: { email, password } });
    expect(r.status, `API login failed: ${JSON.stringify(r.json)}`).toBe(200);
    return r.json.access_token as string;
  }

  async register(email: string, password: string, displayName: string | null): Promise<string> {
    const r = await this.call("POST", "/auth/register", { body: { email, password, display_name: displayName } });
    expect(r.status, `API register failed: ${JSON.stringify(r.json)}`).toBe(201);
    return r.json.id as string;
  }

  async createProject(token: string, name: string, description: string | null = null): Promise<string> {
    const r = await this.call("POST", "/projects", { token, body: { name, description } });
    expect(r.status, `create project: ${JSON.stringify(r.json)}`).toBe(201);
    return r.json.id as string;
  }

  async createWorkspace(token: string, name: string): Promise<string> {
    const r = await this.call("POST", "/workspaces", { token, body: { name } });
    expect(r.status, `create workspace: ${JSON.stringify(r.json)}`).toBe(201);
    return r.json.id as string;
  }

  async createProjectIn(token: string, workspaceId: string, name: string): Promise<string> {
    const r = await this.call("POST", `/workspaces/${workspaceId}/projects`, { token, body: { name } });
    expect(r.status, `create project in a workspace: ${JSON.stringify(r.json)}`).toBe(201);
    return r.json.id as string;
  }

  /** Invites `email` and returns the invitation's token (the last part of its link). */
  async invite(token: string, workspaceId: string, email: string, role: string): Promise<string> {
    const r = await this.call("POST", `/workspaces/${workspaceId}/invitations`, { token, body: { email, role } });
    expect(r.status, `invite: ${JSON.stringify(r.json)}`).toBe(201);
    return r.json.token as string;
  }

  /** Follows the verification link mailed to `email` (accepting an invitation requires it). */
  async verifyEmail(email: string): Promise<void> {
    const link = new URL(linkIn(await mailTo(email, /Confirm your email address/), "/verify-email"), this.baseURL);
    const r = await this.call("POST", "/auth/email/verify", { body: { token: link.searchParams.get("token") } });
    expect(r.status, `verify email: ${JSON.stringify(r.json)}`).toBe(204);
  }

  /** Someone signed up (through the API) who verified their email and joined the workspace with `role`; their token. */
  async join(ownerToken: string, workspaceId: string, email: string, displayName: string, role: string): Promise<string> {
    const invitation = await this.invite(ownerToken, workspaceId, email, role);
    await this.register(email, PASSWORD, displayName);
    await this.verifyEmail(email);
    const token = await this.login(email, PASSWORD);
    const r = await this.call("POST", `/invitations/${invitation}/accept`, { token });
    expect(r.status, `accept: ${JSON.stringify(r.json)}`).toBe(200);
    return token;
  }

  /**
   * Two people in one workspace: `owner`'s new workspace with a project of one task, and a
   * second person (signed up through the API, not in a browser yet) who joined it.
   */
  async sharedProject(
    owner: Pick<Account, "email" | "password">,
    { workspace = "Garden club", project = "Seed swap", task = "Book the village hall", member = "Bob Builder", role = "member" } = {},
  ) {
    const ownerToken = await this.login(owner.email, owner.password);
    const workspaceId = await this.createWorkspace(ownerToken, workspace);
    const projectId = await this.createProjectIn(ownerToken, workspaceId, project);
    const taskId = await this.createTask(ownerToken, projectId, task);
    const memberEmail = uniqueEmail(member.split(" ")[0]!.toLowerCase());
    const memberToken = await this.join(ownerToken, workspaceId, memberEmail, member, role);
    return { ownerToken, workspaceId, projectId, taskId, memberEmail, memberToken };
  }

  async createTask(token: string, projectId: string, title: string, done = false): Promise<string> {
    const r = await this.call("POST", `/projects/${projectId}/tasks`, { token, body: { title } });
    expect(r.status, `create task: ${JSON.stringify(r.json)}`).toBe(201);
    if (done) {
      const u = await this.call("PATCH", `/projects/${projectId}/tasks/${r.json.id}`, { token, body: { done: true } });
      expect(u.status).toBe(200);
    }
    return r.json.id as string;
  }
}

// ---------------------------------------------------------------------------------------
// what the browser did

interface Seen {
  method: string;
  path: string;
  status: number;
}

/**
 * Watches every page of a test: API answers, console errors, uncaught exceptions and the
 * tokens the browser received. At the end of the test, any console error or HTTP error
 * the test did not declare fails it. Chromium logs every 4xx/5xx answer (and every
 * request that got no answer) as "Failed to load resource"; those are fine only when the
 * test allowed that status (allowHttp) or network failures (allowNetworkErrors).
 */
export class Monitor {
  readonly requests: Seen[] = [];
  readonly tokens = new Set<string>();
  accessToken: string | null = null;
  private readonly consoleErrors: string[] = [];
  private readonly allowedHttp = new Set<number>();
  private networkErrors = false;

  allowHttp(...statuses: number[]): void {
    for (const s of statuses) this.allowedHttp.add(s);
  }

  allowNetworkErrors(): void {
    this.networkErrors = true;
  }

  /** A position in the request log, for since(). */
  mark(): number {
    return this.requests.length;
  }

  since(mark: number, filter: (r: Seen) => boolean = () => true): Seen[] {
    return this.requests.slice(mark).filter(filter);
  }

  watch(page: Page): void {
    page.on("console", (msg) => {
      if (msg.type() === "error") this.consoleErrors.push(msg.text());
    });
    page.on("pageerror", (error) => this.consoleErrors.push(`uncaught: ${error.message}`));
    page.on("response", async (response) => {
      const url = new URL(response.url());
      // Every API's paths (the app's own never start so: see App.tsx).
      if (!/^\/(auth|projects|workspaces|invitations|events|notifications|search|me)(\/|$)/.test(url.pathname)) return;
      this.requests.push({ method: response.request().method(), path: url.pathname, status: response.status() });
      if ((url.pathname === "/auth/login" || url.pathname === "/auth/refresh") && response.ok()) {
        try {
          const body = (await response.json()) as { access_token: string; refresh_token: string };
          this.tokens.add(body.access_token);
          this.tokens.add(body.refresh_token);
          this.accessToken = body.access_token;
        } catch {
          // body gone (navigated away): nothing to record
        }
      }
    });
  }

  /** What the test did not expect; empty when all is well. */
  problems(): string[] {
    const out: string[] = [];
    for (const r of this.requests) {
      if (r.status >= 400 && !this.allowedHttp.has(r.status)) out.push(`unexpected HTTP error: ${r.method} ${r.path} → ${r.status}`);
    }
    for (const text of this.consoleErrors) {
      const status = /Failed to load resource: the server responded with a status of (\d{3})/.exec(text)?.[1];
      if (status !== undefined && this.allowedHttp.has(Number(status))) continue;
      if (this.networkErrors && /Failed to load resource: net::ERR_/.test(text)) continue;
      out.push(`console error: ${text}`);
    }
    return out;
  }
}

/** The gateway's CSP on every document the context loads. */
async function applyCsp(context: BrowserContext): Promise<void> {
  await context.route("**/*", async (route) => {
    const request = route.request();
    if (request.resourceType() !== "document") return route.fallback();
    // Node fetches the document for us and cannot resolve the LAN name Chromium maps.
    const url = new URL(request.url());
    const lan = url.hostname === LAN_HOST;
    if (lan) url.hostname = "127.0.0.1";
    const response = await route.fetch(lan ? { url: url.href, headers: { ...request.headers(), host: new URL(request.url()).host } } : {});
    return route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": CSP } });
  });
}

// ---------------------------------------------------------------------------------------
// fixtures

export interface Account {
  id: string;
  email: string;
  password: string;
  displayName: string;
}

export interface Person {
  context: BrowserContext;
  page: Page;
}

interface Fixtures {
  api: Api;
  monitor: Monitor;
  /** Someone who has signed up (through the API); not logged in in the browser. */
  account: Account;
  /** `account`, logged in through the login page; the page shows the dashboard. */
  loggedIn: Account;
  /**
   * Opens another browser context (another person's browser), with the CSP and monitor;
   * `baseURL` points it at another server.
   */
  newPerson: (options?: { baseURL?: string }) => Promise<Person>;
}

export const test = base.extend<Fixtures>({
  baseURL: async ({}, use) => {
    const url = process.env.E2E_BASE_URL;
    if (!url) throw new Error("E2E_BASE_URL is not set: run through `npm run test:e2e` (global setup starts the server)");
    await use(url);
  },

  api: async ({ baseURL }, use) => {
    await use(new Api(baseURL!));
  },

  monitor: [
    async ({}, use, testInfo) => {
      const monitor = new Monitor();
      await use(monitor);
      // A test that already failed says why; these checks would only add noise.
      if (testInfo.status !== testInfo.expectedStatus) return;
      expect(monitor.problems(), "console errors or HTTP errors the test did not expect").toEqual([]);
    },
    { auto: true },
  ],

  context: async ({ context, monitor }, use) => {
    await applyCsp(context);
    context.on("page", (page) => monitor.watch(page));
    await use(context);
  },

  newPerson: async ({ browser, monitor, baseURL }, use) => {
    const opened: BrowserContext[] = [];
    await use(async (options = {}) => {
      const context = await (browser as Browser).newContext({ baseURL: options.baseURL ?? baseURL!, locale: "en-GB" });
      opened.push(context);
      await applyCsp(context);
      context.on("page", (page) => monitor.watch(page));
      return { context, page: await context.newPage() };
    });
    for (const context of opened) await context.close();
  },

  account: async ({ api }, use) => {
    const email = uniqueEmail();
    const displayName = "Ann Example";
    const id = await api.register(email, PASSWORD, displayName);
    await use({ id, email, password: PASSWORD, displayName });
  },

  loggedIn: async ({ page, account }, use) => {
    await logIn(page, account.email, account.password);
    await use(account);
  },
});

// ---------------------------------------------------------------------------------------
// page helpers

export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(heading(page, "Projects")).toBeVisible();
}

/** Saves test-results/screenshots/<name>.png. */
export async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), ...options });
}

export const heading = (page: Page, name: string | RegExp) => page.getByRole("heading", { level: 1, name });

/** Opens the header's workspace switcher; its list of the person's workspaces. */
export async function openSwitcher(page: Page): Promise<Locator> {
  await page.getByRole("button", { name: /^Workspace:/ }).click();
  return page.getByRole("list", { name: "Your workspaces" });
}
export const dialog = (page: Page) => page.locator('[role="dialog"], [role="alertdialog"]');
export const cards = (page: Page) => page.locator(".project-card .project-card-title");

/** The accessible name (or text) of the focused element. */
export function activeLabel(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return "";
    const labelledBy = el.getAttribute("aria-labelledby");
    if (labelledBy) return labelledBy.split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join(" ").trim();
    const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
    return (el.getAttribute("aria-label") ?? label ?? el.textContent ?? "").trim();
  });
}

function focusIsInDialog(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const d = document.querySelector('[role="dialog"], [role="alertdialog"]');
    return !!d && d.contains(document.activeElement);
  });
}

/** Tab and Shift+Tab stay inside the open dialog; the page behind is inert. */
export async function checkFocusTrap(page: Page): Promise<void> {
  expect(await focusIsInDialog(page), "focus did not move into the dialog").toBe(true);
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press("Tab");
    expect(await focusIsInDialog(page), `Tab #${i + 1} left the dialog`).toBe(true);
  }
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press("Shift+Tab");
    expect(await focusIsInDialog(page), `Shift+Tab #${i + 1} left the dialog`).toBe(true);
  }
  await expect(page.locator("#root")).toHaveAttribute("inert", "");
}

/** The error text tied to a field through aria-describedby, once the field is marked invalid. */
export async function fieldError(field: Locator): Promise<string> {
  await expect(field).toHaveAttribute("aria-invalid", "true");
  return field.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id))
      .filter((n) => n?.classList.contains("field-error"))
      .map((n) => n!.textContent)
      .join(" "),
  );
}

/**
 * Counts the rows a user created in the projects database (SQLite in the server's data
 * dir), and whether the service recorded the account's deletion.
 */
export function ownedRows(userId: string): { projects: number; tasks: number; marked: boolean } {
  const dataDir = process.env.E2E_DATA_DIR;
  if (!dataDir) throw new Error("E2E_DATA_DIR is not set");
  const python = existsSync(join(dirname(CLI), "python")) ? join(dirname(CLI), "python") : "python3";
  const script = `
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
u = sys.argv[2].replace("-", "")
print(json.dumps({
  "projects": c.execute("select count(*) from projects where replace(created_by, '-', '') = ?", (u,)).fetchone()[0],
  "tasks": c.execute("select count(*) from tasks where replace(created_by, '-', '') = ?", (u,)).fetchone()[0],
  "marked": c.execute("select count(*) from deleted_users where replace(user_id, '-', '') = ?", (u,)).fetchone()[0] > 0,
}))`;
  const r = spawnSync(python, ["-c", script, join(dataDir, "projects.db"), userId], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not read the projects database: ${r.stderr}`);
  return JSON.parse(r.stdout) as { projects: number; tasks: number; marked: boolean };
}
