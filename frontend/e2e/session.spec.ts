import { expect, heading, logIn, shot, test } from "./support/fixtures";

test("reload: the session comes back from the HttpOnly cookie (one refresh)", async ({ page, api, loggedIn, monitor }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const projectId = await api.createProject(token, "Website relaunch");
  await api.createTask(token, projectId, "Write the copy", true);
  await page.goto(`/p/${projectId}`);
  await expect(page.getByText("1 of 1 task done")).toBeVisible();
  const before = monitor.accessToken;
  const mark = monitor.mark();
  await page.reload();
  await expect(heading(page, "Website relaunch")).toBeVisible();
  await expect(page.getByText("1 of 1 task done")).toBeVisible();
  const refreshes = monitor.since(mark, (r) => r.path === "/auth/refresh");
  expect(refreshes.map((r) => r.status)).toEqual([200]);
  expect(monitor.accessToken, "no new access token after reload").not.toBe(before);
});

test("an invalidated access token: concurrent 401s share one refresh, then retry", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowHttp(401);
  const token = await api.login(loggedIn.email, loggedIn.password);
  const projectId = await api.createProject(token, "Quarterly report");
  for (let i = 1; i <= 5; i += 1) await api.createTask(token, projectId, `Task ${i}`, true);
  await page.reload();
  await expect(page.getByRole("link", { name: "Quarterly report" })).toBeVisible();

  // Every request still carrying the current token gets a broken one instead, as if it
  // had expired; after the refresh the new token passes untouched.
  const stale = monitor.accessToken;
  await page.route(
    (url) => url.pathname.startsWith("/projects"),
    (route) => {
      const headers = route.request().headers();
      if (headers.authorization === `Bearer ${stale}`) {
        return route.fallback({ headers: { ...headers, authorization: "Bearer expired.or.revoked" } });
      }
      return route.fallback();
    },
  );
  const mark = monitor.mark();
  await page.getByRole("link", { name: "Quarterly report" }).click();
  await expect(heading(page, "Quarterly report")).toBeVisible();
  await expect(page.getByText("5 of 5 tasks done")).toBeVisible();
  expect(monitor.since(mark, (r) => r.status === 401).length, "expected concurrent 401s (detail and tasks)").toBeGreaterThanOrEqual(2);
  expect(monitor.since(mark, (r) => r.path === "/auth/refresh"), "expected exactly one refresh").toHaveLength(1);
  expect(monitor.since(mark, (r) => r.status === 200 && r.path.startsWith("/projects/")).length).toBeGreaterThanOrEqual(2);
  expect(new URL(page.url()).pathname).toBe(`/p/${projectId}`);
});

test("log out → login page; a reload stays logged out", async ({ page, context, loggedIn: _user }) => {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(heading(page, "Log in")).toBeVisible();
  await expect(page.getByText("You have been logged out.")).toBeVisible();
  const cookies = await context.cookies(`${new URL(page.url()).origin}/auth/refresh`);
  expect(cookies.some((c) => c.name === "refresh_token"), "the refresh cookie survived logout").toBe(false);
  await page.goto("/");
  await expect(heading(page, "Log in")).toBeVisible();
  expect(new URL(page.url()).pathname).toBe("/login");
});

test("log in (a wrong password is reported plainly)", async ({ page, account, monitor }) => {
  monitor.allowHttp(401);
  await page.goto("/login");
  await shot(page, "login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The email or password is incorrect." })).toBeVisible();
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(heading(page, "Projects")).toBeVisible();
});

test("a session revoked elsewhere: refresh fails once, back to login, then back to the page", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowHttp(401);
  const other = await api.login(loggedIn.email, loggedIn.password);
  await api.createProject(other, "Backlog item 05");
  await page.reload();
  await expect(page.getByRole("link", { name: "Backlog item 05" })).toBeVisible();
  expect((await api.call("POST", "/auth/logout-all", { token: other })).status).toBe(204);
  const mark = monitor.mark();
  await page.getByRole("link", { name: "Backlog item 05" }).click();
  await expect(heading(page, "Log in")).toBeVisible();
  await expect(page.getByText("Your session has ended. Please log in again.")).toBeVisible();
  expect(monitor.since(mark, (r) => r.path === "/auth/refresh").map((r) => r.status)).toEqual([401]);
  await page.getByLabel("Email").fill(loggedIn.email);
  await page.getByLabel("Password").fill(loggedIn.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(heading(page, "Backlog item 05")).toBeVisible();
  expect(new URL(page.url()).pathname).toMatch(/^\/p\//);
});

test("log out everywhere ends every session", async ({ page, api, loggedIn }) => {
  const other = await api.login(loggedIn.email, loggedIn.password);
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(heading(page, "Log in")).toBeVisible();
  expect((await api.call("GET", "/auth/me", { token: other })).status, "another session still works").toBe(401);
  await logIn(page, loggedIn.email, loggedIn.password);
});
