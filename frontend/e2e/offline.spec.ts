// No network, a dead server, a hanging server: nothing may look stuck or saved when it
// is not. The request timeout is shortened through the app's localStorage setting.
import type { Page } from "@playwright/test";
import { cards, dialog, expect, heading, shot, test } from "./support/fixtures";

const TIMEOUT_MS = 3000;

function shortenRequestTimeout(page: Page) {
  return page.evaluate((ms) => localStorage.setItem("projectconnect.request-timeout-ms", String(ms)), TIMEOUT_MS);
}

/** Requests to path (and method) get no answer until the test ends. */
async function hang(page: Page, method: string, path: RegExp) {
  await page.route(
    (url) => path.test(url.pathname),
    (route) => (route.request().method() === method ? undefined : route.fallback()),
  );
}

const banner = (page: Page) => page.locator(".connection-banner");

test("offline: creating a project fails at once, the dialog stays closable, a banner says why", async ({ page, context, loggedIn: _user, monitor }) => {
  monitor.allowNetworkErrors();
  await expect(page.getByRole("button", { name: "Create your first project" })).toBeVisible();
  await context.setOffline(true);
  await expect(banner(page)).toContainText("You’re offline");
  await page.getByRole("button", { name: "Create your first project" }).click();
  await page.getByLabel("Name").fill("Written on the train");
  await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("dialog").getByRole("alert")).toContainText("You’re offline");
  await expect(page.getByRole("dialog").getByRole("button", { name: "Create project" })).toBeEnabled();
  await shot(page, "offline-dialog");
  await page.keyboard.press("Escape");
  await expect(dialog(page)).toHaveCount(0);

  await context.setOffline(false);
  await expect(banner(page)).toHaveCount(0);
  await page.getByRole("button", { name: "Create your first project" }).click();
  await page.getByLabel("Name").fill("Written on the train");
  await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
  await expect(dialog(page)).toHaveCount(0);
  await expect(cards(page)).toHaveText(["Written on the train"]);
});

test("a hanging server: the dialog closes while creating, and a request gives up after the timeout", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowNetworkErrors();
  await expect(page.getByRole("button", { name: "Create your first project" })).toBeVisible();
  await shortenRequestTimeout(page);
  await hang(page, "POST", /^\/workspaces\/[^/]+\/projects$/);
  await page.getByRole("button", { name: "Create your first project" }).click();
  await page.getByLabel("Name").fill("Never answered");
  const create = page.getByRole("dialog").getByRole("button", { name: /Create project|Creating…/ });
  await create.click();
  await expect(create).toHaveText("Creating…");
  for (const way of ["Cancel", "Close", "Escape"]) {
    if (way === "Escape") await page.keyboard.press("Escape");
    else await page.getByRole("dialog").getByRole("button", { name: way }).click();
    await expect(dialog(page), `${way} did not close the dialog while creating`).toHaveCount(0);
    if (way !== "Escape") {
      await page.getByRole("button", { name: "Create your first project" }).click();
      await page.getByLabel("Name").fill("Never answered");
      await create.click();
      await expect(create).toHaveText("Creating…");
    }
  }

  // Left open, the attempt ends after the timeout with a plain message.
  await page.getByRole("button", { name: "Create your first project" }).click();
  await page.getByLabel("Name").fill("Never answered");
  const started = Date.now();
  await create.click();
  await expect(page.getByRole("dialog").getByRole("alert")).toContainText("didn’t answer in time", { timeout: TIMEOUT_MS + 5000 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 200);
  await expect(create).toHaveText("Create project");

  // The server answers again: the same dialog creates it.
  await page.unrouteAll({ behavior: "ignoreErrors" });
  await page.getByLabel("Name").fill("Answered");
  await create.click();
  await expect(dialog(page)).toHaveCount(0);
  await expect(cards(page)).toContainText(["Answered"]);
  const token = await api.login(loggedIn.email, loggedIn.password);
  const names = (await api.call("GET", "/projects", { token })).json.items.map((p: { name: string }) => p.name);
  expect(names).toContain("Answered");
  expect(names, "an abandoned attempt was sent again").not.toContain("Never answered");
});

test("a hanging server: Add task gives up after the timeout, says so and keeps the title", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowNetworkErrors();
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  await page.goto(`/p/${id}`);
  await shortenRequestTimeout(page);
  await hang(page, "POST", /\/tasks$/);
  const input = page.getByLabel("New task");
  await input.fill("Write the copy");
  await input.press("Enter");
  await expect(page.getByRole("button", { name: "Adding…" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("didn’t answer in time", { timeout: TIMEOUT_MS + 5000 });
  await expect(page.getByRole("button", { name: "Add task" })).toBeEnabled();
  await expect(input).toHaveValue("Write the copy");
});

test("offline: a toggle rolls back and says it was not saved; nothing is sent later", async ({ page, context, api, loggedIn, monitor }) => {
  monitor.allowNetworkErrors();
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  await api.createTask(token, id, "Write the copy", true);
  await api.createTask(token, id, "Design the homepage");
  await page.goto(`/p/${id}`);
  const progress = page.locator(".progress-card [role=progressbar]");
  await expect(progress).toHaveAttribute("aria-valuenow", "50");

  await context.setOffline(true);
  const mark = monitor.mark();
  const box = page.getByRole("checkbox", { name: "Design the homepage" });
  await box.click();
  await expect(page.getByRole("alert").filter({ hasText: "Not saved" })).toContainText("couldn’t complete “Design the homepage”");
  await expect(box).not.toBeChecked();
  await expect(progress).toHaveAttribute("aria-valuenow", "50");
  await expect(banner(page)).toContainText("You’re offline");
  await shot(page, "offline-toggle");

  const online = monitor.mark();
  await context.setOffline(false);
  await expect(banner(page)).toHaveCount(0);
  await page.getByRole("button", { name: "Dismiss" }).click();
  // Back online, nothing queued goes out behind the person's back. Whatever would send it
  // runs on the return online, as does what the return does: reload the tasks, reconnect
  // the live stream. Once both have answered, anything queued would have gone out.
  const back = (path: string) => monitor.since(online, (r) => r.method === "GET" && r.path === path && r.status === 200);
  await expect.poll(() => back(`/projects/${id}/tasks`).length > 0 && back("/events/stream").length > 0).toBe(true);
  expect(monitor.since(mark, (r) => r.method === "PATCH")).toEqual([]);
  const tasks = (await api.call("GET", `/projects/${id}/tasks`, { token })).json.items;
  expect(tasks.map((t: { done: boolean }) => t.done)).toEqual([true, false]);
});

test("a dead server: the banner shows while the browser is online, and goes once it answers", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowNetworkErrors();
  const token = await api.login(loggedIn.email, loggedIn.password);
  await api.createProject(token, "Website relaunch");
  const projectsApi = (url: URL) => url.pathname.startsWith("/projects");
  await page.route(projectsApi, (route) => route.abort("connectionrefused"));
  await page.reload();
  await expect(heading(page, "Projects")).toBeVisible();
  await expect(banner(page)).toContainText("Can’t reach Project Connect");
  expect(await page.evaluate(() => navigator.onLine)).toBe(true);
  // After its retries the list gives up too, with a way to ask again.
  await expect(page.getByRole("main").getByRole("alert")).toContainText("Can’t reach Project Connect");
  await expect(banner(page)).toBeVisible();
  await shot(page, "server-unreachable");

  await page.unroute(projectsApi);
  await banner(page).getByRole("button", { name: "Try again" }).click();
  await expect(banner(page)).toHaveCount(0);
  await expect(cards(page)).toHaveText(["Website relaunch"]);
});

test("offline: a page that cannot load says it waits for the connection, then loads", async ({ page, context, api, loggedIn, monitor }) => {
  monitor.allowNetworkErrors();
  const token = await api.login(loggedIn.email, loggedIn.password);
  await api.createProject(token, "Website relaunch");
  await page.reload();
  await expect(cards(page)).toHaveText(["Website relaunch"]);
  await context.setOffline(true);
  await page.getByRole("link", { name: "Website relaunch" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Waiting for your connection…" })).toBeVisible();
  await context.setOffline(false);
  await expect(heading(page, "Website relaunch")).toBeVisible();
  await expect(page.getByText("No tasks yet. Add the first one above.")).toBeVisible();
});
