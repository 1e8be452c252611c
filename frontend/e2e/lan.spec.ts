// Plain HTTP on a LAN: `projectconnect dev --host 0.0.0.0` opened as http://pc.lan:PORT
// (Chromium maps pc.lan to 127.0.0.1, see playwright.config.ts). Unlike http://127.0.0.1,
// that is not a secure context, so the browser drops a refresh cookie marked Secure and a
// reload would log the person out. The server must decide Secure from the request's scheme.
import { expect, heading, PASSWORD, test, uniqueEmail } from "./support/fixtures";
import { startDevServer, type DevServer } from "./support/server";

let lan: DevServer;

test.beforeAll(async () => {
  lan = await startDevServer({
    host: "0.0.0.0",
    originHost: "pc.lan",
    logName: "server-lan.log",
    env: { AUTH_ARGON2_TIME_COST: "1", AUTH_ARGON2_MEMORY_KIB: "8192" },
  });
});

test.afterAll(async () => {
  await lan?.stop();
});

test("plain http at a LAN name: sign up, reload, still logged in", async ({ newPerson }) => {
  const { page, context } = await newPerson({ baseURL: lan.baseURL });
  await page.goto("/signup");
  expect(await page.evaluate(() => window.isSecureContext), "http://pc.lan should not be a secure context").toBe(false);
  await page.getByLabel("Email", { exact: true }).fill(uniqueEmail("lan"));
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(heading(page, "Projects")).toBeVisible();

  const cookies = await context.cookies(`${lan.baseURL}/auth/refresh`);
  expect(
    cookies.map((c) => c.name),
    "the browser refused the refresh cookie (marked Secure, sent over plain http)",
  ).toContain("refresh_token");

  await page.reload();
  await expect(heading(page, "Projects"), "a reload logged the person out").toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
});
