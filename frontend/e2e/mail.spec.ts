// The account's mailed links, end to end: the mail the server wrote, the link in it, the
// page it leads to.
import type { Page } from "@playwright/test";
import { expect, fieldError, heading, logIn, NEW_PASSWORD, PASSWORD, shot, test, uniqueEmail } from "./support/fixtures";
import { linkIn, mailsTo, mailTo } from "./support/mail";

const PHONE = { width: 390, height: 844 };

/** Screenshots of the page as it is, at desktop size and at phone size. */
async function shots(page: Page, name: string): Promise<void> {
  await shot(page, name);
  const desktop = page.viewportSize();
  await page.setViewportSize(PHONE);
  await shot(page, `${name}-phone`);
  if (desktop) await page.setViewportSize(desktop);
}

const banner = (page: Page) => page.getByRole("region", { name: "Email verification" });

test("forgot password → mail → new password; the old one no longer works", async ({ page, api, account, monitor }) => {
  monitor.allowHttp(401, 422);
  await page.goto("/login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(heading(page, "Forgot your password?")).toBeVisible();
  await expect(page.getByLabel("Email"), "the address typed at login comes along").toHaveValue(account.email);
  await page.getByRole("button", { name: "Send link" }).click();
  await expect(page.getByText(`If an account exists for ${account.email}, we sent a link`)).toBeVisible();
  await shots(page, "forgot-password-sent");

  const link = linkIn(await mailTo(account.email, /Reset your Project Connect password/), "/reset-password");
  await page.goto(link);
  await expect(heading(page, "Choose a new password")).toBeVisible();
  // The policy's word, at its field: the account's own address is no password.
  const password = page.getByLabel("New password", { exact: true });
  await password.fill(account.email);
  await page.getByLabel("Confirm new password").fill(account.email);
  await page.getByRole("button", { name: "Set new password" }).click();
  expect(await fieldError(password)).not.toBe("");
  await shots(page, "reset-password-error");

  await password.fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(heading(page, "Log in")).toBeVisible();
  await expect(page.getByText("Your password has been changed")).toBeVisible();
  await shots(page, "reset-password-done");

  // The old password fails, the new one signs in.
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(heading(page, "Projects")).toBeVisible();

  // The link worked once: again, it says so and offers a new one.
  await page.goto(link);
  await page.getByLabel("New password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm new password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("This link no longer works");
  await expect(page.getByRole("link", { name: "Ask for a new link" })).toBeVisible();
  await shots(page, "reset-password-spent");
  expect((await api.call("POST", "/auth/login", { body: { email: account.email, password: PASSWORD } })).status).toBe(401);
});

test("sign up → verification banner → the mailed link → the banner is gone", async ({ page, api, monitor }) => {
  monitor.allowHttp(422);
  const email = uniqueEmail();
  await page.goto("/signup");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(heading(page, "Projects")).toBeVisible();
  await expect(banner(page)).toContainText("Please verify your email address");
  await shots(page, "verification-banner");

  const link = linkIn(await mailTo(email, /Confirm your email address/), "/verify-email");
  await page.goto(link);
  await expect(page.getByText("your email address is confirmed")).toBeVisible();
  await shots(page, "verify-email-done");
  const me = await api.call("GET", "/auth/me", { token: monitor.accessToken });
  expect(me.json.email_verified).toBe(true);

  await page.getByRole("link", { name: "Go to your projects" }).click();
  await expect(heading(page, "Projects")).toBeVisible();
  await expect(banner(page)).toHaveCount(0);

  // A second visit: the link is spent, and the page says so.
  await page.goto(link);
  await expect(page.getByRole("alert")).toContainText("This link no longer works");
  await expect(page.getByText("is verified already")).toBeVisible();
  await shots(page, "verify-email-spent");
});

test("the verification banner resends a link and can be put away for the session", async ({ page, loggedIn }) => {
  await expect(banner(page)).toBeVisible();
  await banner(page).getByRole("button", { name: "Resend link" }).click();
  await expect(banner(page)).toContainText(`A new link is on its way to ${loggedIn.email}.`);
  // The one from signing up, and the new one.
  const confirmations = async () => (await mailsTo(loggedIn.email)).filter((m) => /Confirm your email address/.test(m.subject));
  await expect.poll(async () => (await confirmations()).length).toBe(2);
  await shots(page, "verification-banner-resent");
  await banner(page).getByRole("button", { name: "Not now: hide the verification reminder" }).click();
  await expect(banner(page)).toHaveCount(0);
  await page.reload();
  await expect(heading(page, "Projects")).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
});

test("change email → link mailed to the new address → the account has it", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowHttp(403);
  const newEmail = uniqueEmail("ann.new");
  await page.getByRole("link", { name: "Account" }).click();
  await expect(heading(page, "Account")).toBeVisible();
  await page.getByLabel("New email").fill(newEmail);
  const password = page.getByLabel("Password", { exact: true });
  await password.fill("definitely wrong");
  await page.getByRole("button", { name: "Change email" }).click();
  expect(await fieldError(password)).toMatch(/incorrect/i);

  await password.fill(loggedIn.password);
  await page.getByRole("button", { name: "Change email" }).click();
  await expect(page.getByText(`We sent a link to ${newEmail}. Your address stays ${loggedIn.email} until you follow it.`)).toBeVisible();
  await shots(page, "email-change-sent");

  const link = linkIn(await mailTo(newEmail, /Confirm your new email address/), "/verify-email");
  await page.goto(link);
  await expect(page.getByText("your email address is confirmed")).toBeVisible();
  await page.getByRole("link", { name: "Go to your projects" }).click();
  // Home sends on to the workspace once it knows it: land there before moving on.
  await expect(heading(page, "Projects")).toBeVisible();
  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.locator(".details")).toContainText(newEmail);
  const me = await api.call("GET", "/auth/me", { token: monitor.accessToken });
  expect(me.json.email).toBe(newEmail);
  await mailTo(loggedIn.email, /was changed/);

  // The new address signs in.
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await logIn(page, newEmail, loggedIn.password);
});
