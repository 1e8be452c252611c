import { expect, fieldError, heading, PASSWORD, shot, test, uniqueEmail } from "./support/fixtures";

test("the sign-up page checks the form before sending", async ({ page, monitor }) => {
  await page.goto("/signup");
  await expect(heading(page, "Create an account")).toBeVisible();
  expect(monitor.since(0, (r) => r.path === "/auth/refresh"), "an anonymous visitor needs no refresh call").toEqual([]);
  await shot(page, "signup");
  await page.getByRole("button", { name: "Create account" }).click();
  const email = page.getByLabel("Email", { exact: true });
  expect(await fieldError(email)).toContain("Enter your email");
  await expect(email).toBeFocused();
  expect(monitor.since(0, (r) => r.path === "/auth/register"), "nothing should be sent").toEqual([]);
});

test("the API's field errors show at their fields", async ({ page, monitor }) => {
  monitor.allowHttp(422);
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Ann Example");
  await page.getByLabel("Email", { exact: true }).fill(uniqueEmail());
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByRole("button", { name: "Create account" }).click();
  expect(await fieldError(page.getByLabel("Password", { exact: true }))).toMatch(/common/i);
});

test("sign up → logged in on an empty dashboard; no token is readable by scripts", async ({ page, api, monitor, context }) => {
  const email = uniqueEmail();
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Ann Example");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(heading(page, "Projects")).toBeVisible();
  await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();
  // The header names who is signed in (shown on wide screens; the Account page always).
  await expect(page.locator(".app-user-name")).toHaveText("Ann Example");
  // The app opens the new account's personal workspace.
  expect(new URL(page.url()).pathname).toMatch(/^\/w\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("button", { name: "Workspace: Personal" })).toBeVisible();
  const me = await api.call("GET", "/auth/me", { token: monitor.accessToken });
  expect(me.status, "the token the browser holds does not work").toBe(200);
  expect(me.json.email).toBe(email);

  expect(monitor.tokens.size, "no tokens were observed").toBeGreaterThanOrEqual(2);
  const storage = await page.evaluate(() => {
    const dump = (s: Storage) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i)!)]));
    return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie };
  });
  const everything = JSON.stringify(storage);
  for (const token of monitor.tokens) expect(everything.includes(token), "a token is readable from storage").toBe(false);
  expect(everything, "something JWT-like is in storage").not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
  expect(storage.cookie).not.toContain("refresh_token");
  const cookies = await context.cookies(`${new URL(page.url()).origin}/auth/refresh`);
  const refresh = cookies.find((c) => c.name === "refresh_token");
  expect(refresh?.httpOnly && refresh.path === "/auth", "no HttpOnly refresh cookie on /auth").toBe(true);
});

test("the whole form is checked at once, in words for people", async ({ page, monitor }) => {
  await page.goto("/signup");
  await page.getByLabel("Email", { exact: true }).fill("ann@example");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  expect(await fieldError(page.getByLabel("Email", { exact: true }))).toContain("Enter an email address like name@example.com.");
  expect(await fieldError(page.getByLabel("Password", { exact: true }))).toContain("Use at least 8 characters.");
  expect(monitor.since(0, (r) => r.path === "/auth/register"), "nothing should be sent").toEqual([]);
});

test("every field error the server sends shows at once", async ({ page, monitor }) => {
  monitor.allowHttp(422);
  await page.route("**/auth/register", (route) =>
    route.fulfill({
      status: 422,
      contentType: "application/problem+json",
      body: JSON.stringify({
        type: "about:blank",
        title: "Unprocessable Content",
        status: 422,
        errors: [
          { field: "body.email", code: "email_invalid", message: "This email address cannot receive mail." },
          { field: "body.password", code: "password_common", message: "This password is among the most commonly used; choose another." },
        ],
      }),
    }),
  );
  await page.goto("/signup");
  await page.getByLabel("Email", { exact: true }).fill(uniqueEmail());
  await page.getByLabel("Password", { exact: true }).fill("password123");
  await page.getByRole("button", { name: "Create account" }).click();
  expect(await fieldError(page.getByLabel("Email", { exact: true }))).toContain("cannot receive mail");
  expect(await fieldError(page.getByLabel("Password", { exact: true }))).toContain("most commonly used");
  await shot(page, "signup-errors");
});

test("a taken email offers to log in with it", async ({ page, account, monitor }) => {
  monitor.allowHttp(409);
  await page.goto("/signup");
  await page.getByLabel("Email", { exact: true }).fill(account.email);
  await page.getByLabel("Password", { exact: true }).fill("another good passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  expect(await fieldError(page.getByLabel("Email", { exact: true }))).toMatch(/taken/i);
  await page.getByRole("link", { name: `Log in as ${account.email}` }).click();
  await expect(heading(page, "Log in")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(account.email);
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(account.password);
  await page.keyboard.press("Enter");
  await expect(heading(page, "Projects")).toBeVisible();
});
