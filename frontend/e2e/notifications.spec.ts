// Notifications: what Bob does that concerns Ann reaches her bell without a reload; she
// follows a notification to its task, marks all read, and a kind she turns off stops coming.
import type { Page } from "@playwright/test";
import { expect, LIVE, logIn, PASSWORD, shot, test } from "./support/fixtures";
import { linkIn, mailTo } from "./support/mail";

const PHONE = { width: 390, height: 844 };

/** Goes to `path` and waits until the page's live stream is open. */
async function openLive(page: Page, path: string): Promise<void> {
  const live = page.waitForResponse((r) => new URL(r.url()).pathname === "/events/stream" && r.status() === 200);
  await page.goto(path);
  await live;
}

const bell = (page: Page) => page.getByRole("button", { name: /^Notifications/ });
const panel = (page: Page) => page.getByRole("region", { name: "Notifications", exact: true });

test("Bob's assignment and mention reach Ann's bell live; she follows one, marks all read, turns a kind off", async ({
  page,
  api,
  loggedIn,
  newPerson,
}) => {
  // Ann's workspace with a task she created, and Bob in it.
  const shared = await api.sharedProject(loggedIn);
  const { ownerToken: annToken, projectId, taskId, memberEmail: bobEmail, memberToken: bobToken } = shared;
  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await openLive(page, "/");
  await expect(bell(page)).toHaveAccessibleName("Notifications");
  await expect(page.locator(".bell-badge")).toHaveCount(0);
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));

  // Bob assigns her the task; then, in his browser, mentions her in a comment on it.
  const assigned = await api.call("PATCH", `/projects/${projectId}/tasks/${taskId}`, { token: bobToken, body: { assignees: [loggedIn.id] } });
  expect(assigned.status).toBe(200);
  await expect(bell(page)).toHaveAccessibleName("Notifications, 1 unread", LIVE);
  await bob.page.goto(`/p/${projectId}/t/${taskId}`);
  const bobPanel = bob.page.getByRole("dialog", { name: "Book the village hall" });
  await bobPanel.getByLabel("Add a comment").fill(`<@${loggedIn.id}> the hall is booked for Saturday`);
  await bobPanel.getByRole("button", { name: "Comment", exact: true }).click();
  await expect(bell(page)).toHaveAccessibleName("Notifications, 2 unread", LIVE);
  await expect(page.locator(".bell-badge")).toHaveText("2");
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  // She opens the panel: both, unread, newest first.
  await bell(page).click();
  const links = panel(page).getByRole("listitem");
  await expect(links).toHaveText([
    /Bob Builder mentioned you in a comment on ‘Book the village hall’/,
    /Bob Builder assigned you ‘Book the village hall’/,
  ]);
  await expect(panel(page).locator(".notification-unread")).toHaveCount(2);
  await shot(page, "notifications-panel-desktop");

  // She follows the mention to the task: its panel opens, the count falls.
  await panel(page).getByRole("link", { name: /mentioned you/ }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${projectId}/t/${taskId}$`));
  await expect(page.getByRole("dialog", { name: "Book the village hall" })).toBeVisible();
  // (The page behind the task's panel is inert: the bell shows once it closes.)
  await page.keyboard.press("Escape");
  await expect(bell(page)).toHaveAccessibleName("Notifications, 1 unread");

  // "Mark all read" clears it (and the server agrees).
  await bell(page).click();
  await panel(page).getByRole("button", { name: "Mark all read" }).click();
  await expect(bell(page)).toHaveAccessibleName("Notifications");
  await expect(page.locator(".bell-badge")).toHaveCount(0);
  expect((await api.call("GET", "/notifications", { token: annToken })).json.unread_count).toBe(0);

  // On the notifications page she turns mentions and comments off (a comment on her task
  // with a mention would otherwise come as a comment).
  await panel(page).getByRole("link", { name: "All notifications and settings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
  for (const kind of ["Mentions", "Comments"]) {
    const saved = page.waitForResponse((r) => new URL(r.url()).pathname === "/notifications/preferences" && r.request().method() === "PUT");
    // A click, then a look that waits: the box shows the change once the optimistic update
    // renders, a moment after the click (`uncheck` looks at once).
    const inApp = page.getByRole("group", { name: kind }).getByRole("checkbox", { name: "In the app" });
    await inApp.click();
    await expect(inApp).not.toBeChecked();
    expect((await saved).status()).toBe(200);
  }
  await shot(page, "notifications-page-desktop", { fullPage: true });

  // Bob mentions her again, then assigns her a new task: only the assignment arrives
  // (notifications are made in order, so once it is here the mention would have been too).
  await bobPanel.getByLabel("Add a comment").fill(`<@${loggedIn.id}> and the chairs?`);
  await bobPanel.getByRole("button", { name: "Comment", exact: true }).click();
  await expect(bobPanel.locator(".comment")).toHaveCount(2, LIVE);
  const second = await api.createTask(bobToken, projectId, "Stack the chairs");
  expect((await api.call("PATCH", `/projects/${projectId}/tasks/${second}`, { token: bobToken, body: { assignees: [loggedIn.id] } })).status).toBe(200);
  await expect(bell(page)).toHaveAccessibleName("Notifications, 1 unread", LIVE);
  const list = page.getByRole("list", { name: "Notifications" });
  await expect(list.locator(".notification-unread")).toHaveText([/Bob Builder assigned you ‘Stack the chairs’/], LIVE);
  const unread = (await api.call("GET", "/notifications?unread=true", { token: annToken })).json;
  expect(unread.items.map((n: { kind: string }) => n.kind)).toEqual(["assigned"]);

  // At phone size: the page, and the bell's panel as a sheet across the screen.
  await page.setViewportSize(PHONE);
  await shot(page, "notifications-page-phone", { fullPage: true });
  await bell(page).click();
  await expect(panel(page)).toBeVisible();
  const box = (await panel(page).boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
  expect(box.width).toBeGreaterThan(PHONE.width - 40);
  await shot(page, "notifications-panel-phone");
  await panel(page).getByRole("link", { name: /Stack the chairs/ }).click();
  await expect(page.getByRole("dialog", { name: "Stack the chairs" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(bell(page)).toHaveAccessibleName("Notifications");
});

test("an assignment comes by mail too, and the mail's link opens the task", async ({ page, api, loggedIn }) => {
  const { projectId, taskId, memberToken: bobToken } = await api.sharedProject(loggedIn);
  const assigned = await api.call("PATCH", `/projects/${projectId}/tasks/${taskId}`, { token: bobToken, body: { assignees: [loggedIn.id] } });
  expect(assigned.status).toBe(200);

  const mail = await mailTo(loggedIn.email, /^Bob Builder assigned you ‘Book the village hall’$/, { timeout: 30_000 });
  expect(linkIn(mail, "/inbox")).toBe("/inbox");
  await page.goto(linkIn(mail, `/p/${projectId}/t/${taskId}`));
  await expect(page.getByRole("dialog", { name: "Book the village hall" })).toBeVisible();
});
