import { checkFocusTrap, expect, fieldError, heading, NEW_PASSWORD, ownedRows, shot, test } from "./support/fixtures";

test("account page: display name, password change with field errors", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowHttp(403);
  await page.getByRole("link", { name: "Account" }).click();
  await expect(heading(page, "Account")).toBeVisible();
  await expect(page.getByText(loggedIn.email)).toBeVisible();
  await shot(page, "account", { fullPage: true });

  await page.getByLabel("Display name").fill("Ann Smith");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.locator(".app-user-name")).toHaveText("Ann Smith");

  const current = page.getByLabel("Current password");
  await current.fill("definitely wrong");
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  expect(await fieldError(current)).toMatch(/incorrect/i);
  await expect(current).toBeFocused();

  await current.fill(loggedIn.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed.")).toBeVisible();
  await api.login(loggedIn.email, NEW_PASSWORD);
  expect((await api.call("POST", "/auth/login", { body: { email: loggedIn.email, password: loggedIn.password } })).status).toBe(401);
});

test("delete the account after typing the password → its projects are gone", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowHttp(403);
  const token = await api.login(loggedIn.email, loggedIn.password);
  for (let i = 1; i <= 3; i += 1) {
    const id = await api.createProject(token, `Project ${i}`);
    await api.createTask(token, id, "A task", i === 1);
  }
  expect(ownedRows(loggedIn.id)).toEqual({ projects: 3, tasks: 3, marked: false });

  await page.getByRole("link", { name: "Account" }).click();
  await expect(heading(page, "Account")).toBeVisible();
  await page.getByRole("button", { name: "Delete account…" }).click();
  const d = page.getByRole("alertdialog");
  await expect(d).toBeVisible();
  await expect(d.getByLabel("Password"), "the dialog should start in its field").toBeFocused();
  await checkFocusTrap(page);
  const confirm = d.getByRole("button", { name: "Delete my account" });
  await expect(confirm, "deletion possible without a password").toBeDisabled();
  await d.getByLabel("Password").fill("wrong password");
  await confirm.click();
  expect(await fieldError(d.getByLabel("Password"))).toMatch(/incorrect/i);
  await shot(page, "delete-account-dialog");
  await d.getByLabel("Password").fill(loggedIn.password);
  await confirm.click();
  await expect(heading(page, "Log in")).toBeVisible();
  await expect(page.getByText("Your account has been deleted.")).toBeVisible();

  // Through the API: no way in any more.
  expect((await api.call("POST", "/auth/login", { body: { email: loggedIn.email, password: loggedIn.password } })).status).toBe(401);
  expect((await api.call("GET", "/projects", { token })).status, "the deleted user's token still lists projects").toBe(401);
  // Nobody can see the projects through the API any more, so look in the projects
  // database in the server's data dir (emptied by an event within a second).
  await expect.poll(() => ownedRows(loggedIn.id), { timeout: 5000 }).toEqual({ projects: 0, tasks: 0, marked: true });
});
