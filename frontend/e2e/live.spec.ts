// Live updates: two people in one workspace, each in their own browser, see each other's
// changes without a reload; a removed member sees that their access ended; a dropped
// connection catches up when it comes back.
import type { Page } from "@playwright/test";
import { announced, cardTitles, column, moveByKeyboard } from "./support/board";
import { expect, heading, LIVE, logIn, openSwitcher, PASSWORD, shot, test } from "./support/fixtures";
import { startProxy } from "./support/proxy";

const PHONE = { width: 390, height: 844 };

/** Goes to `path` and waits until the page's live stream is open. */
async function openLive(page: Page, path: string): Promise<void> {
  const live = page.waitForResponse((r) => new URL(r.url()).pathname === "/events/stream" && r.status() === 200);
  await page.goto(path);
  await live;
}

const openBoard = (page: Page, projectId: string) => openLive(page, `/p/${projectId}?view=board`);

/** Set once on a page: still there later, it was not reloaded meanwhile. */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));
}

async function wasNotReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
}

test("a task added, moved, commented and deleted by one shows on the other's open board", async ({
  page,
  api,
  loggedIn,
  newPerson,
  monitor,
}) => {
  // Ann's workspace "Garden club", its project "Seed swap" (one task), and Bob in it.
  const { ownerToken: annToken, projectId, memberEmail: bobEmail } = await api.sharedProject(loggedIn);
  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await openBoard(page, projectId);
  await openBoard(bob.page, projectId);
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall"]);
  await markPage(bob.page);

  // Ann adds a task on her board: it shows on Bob's, and once on hers.
  await page.getByLabel("New task").fill("Buy seed packets");
  await page.getByLabel("New task").press("Enter");
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall", "Buy seed packets"], LIVE);
  await expect(bob.page.getByText("0 of 2 tasks done")).toBeVisible(LIVE);
  await expect(cardTitles(page, "todo")).toHaveText(["Book the village hall", "Buy seed packets"]);

  // She moves it to In progress.
  await moveByKeyboard(page, "Buy seed packets", "ArrowRight");
  await expect(announced(page, /^Dropped Buy seed packets in In progress/)).toHaveCount(1);
  await expect(cardTitles(bob.page, "in_progress")).toHaveText(["Buy seed packets"], LIVE);
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall"], LIVE);
  await column(bob.page, "in_progress").scrollIntoViewIfNeeded();
  await shot(bob.page, "live-board-desktop");

  // Bob opens it; Ann comments on it from her panel: his panel shows the comment.
  await column(bob.page, "in_progress").getByRole("link", { name: "Buy seed packets" }).click();
  const bobPanel = bob.page.getByRole("dialog", { name: "Buy seed packets" });
  await expect(bobPanel.getByText("No comments yet.")).toBeVisible(LIVE);
  await column(page, "in_progress").getByRole("link", { name: "Buy seed packets" }).click();
  const annPanel = page.getByRole("dialog", { name: "Buy seed packets" });
  await annPanel.getByLabel("Add a comment").fill("Heirloom tomatoes, **two** packets");
  await annPanel.getByRole("button", { name: "Comment", exact: true }).click();
  const comment = bobPanel.locator(".comment");
  await expect(comment).toHaveCount(1, LIVE);
  await expect(comment.locator(".comment-body")).toHaveText("Heirloom tomatoes, two packets");
  await expect(comment).toContainText("Ann Example");
  await expect(bobPanel.getByRole("heading", { name: "Comments (1)" })).toBeVisible(LIVE);
  await expect(bobPanel.locator(".task-activity")).toContainText("Ann Example commented", LIVE);
  await shot(bob.page, "live-panel-comment");

  // Bob closes his panel; Ann deletes the task from hers: it leaves his board.
  await bobPanel.getByRole("button", { name: "Close", exact: true }).last().click();
  await expect(bobPanel).toHaveCount(0);
  await annPanel.getByRole("button", { name: "Delete task" }).click();
  await expect(annPanel).toHaveCount(0);
  await expect(cardTitles(bob.page, "in_progress")).toHaveCount(0, LIVE);
  await expect(bob.page.getByText("0 of 1 task done")).toBeVisible(LIVE);

  // Someone else's change through the API, on a phone.
  await bob.page.setViewportSize(PHONE);
  await api.createTask(annToken, projectId, "Water the seedlings");
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall", "Water the seedlings"], LIVE);
  await column(bob.page, "todo").scrollIntoViewIfNeeded();
  await shot(bob.page, "live-board-phone");

  expect(await wasNotReloaded(bob.page), "Bob's page was reloaded").toBe(true);
  // Neither page asked anything that failed (the monitor also fails on console errors).
  expect(monitor.requests.filter((r) => r.status >= 400)).toEqual([]);
});

test("a card being dragged stays put: the board refetches when the drag ends", async ({ api, loggedIn, newPerson, monitor }) => {
  const { ownerToken: annToken, projectId, memberEmail: bobEmail } = await api.sharedProject(loggedIn);
  await api.createTask(annToken, projectId, "Sort the seed tins");
  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await openBoard(bob.page, projectId);
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall", "Sort the seed tins"]);

  // Bob picks a card up; meanwhile Ann adds one.
  await bob.page.getByRole("button", { name: "Move Sort the seed tins" }).focus();
  await bob.page.keyboard.press("Space");
  await expect(announced(bob.page, /^Picked up Sort the seed tins/)).toHaveCount(1);
  const mark = monitor.mark();
  await api.createTask(annToken, projectId, "Label the trays");
  // The notice came (the project's counts are not held)...
  await expect(bob.page.getByText("0 of 3 tasks done")).toBeVisible(LIVE);
  // ...but the board was not asked again while the card is in his hand.
  const boardReads = () => monitor.since(mark, (r) => r.path === `/projects/${projectId}/tasks`);
  expect(boardReads()).toEqual([]);
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall", "Sort the seed tins"]);

  // He puts it back: now the board catches up.
  await bob.page.keyboard.press("Escape");
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall", "Sort the seed tins", "Label the trays"], LIVE);
  expect(boardReads().length).toBeGreaterThan(0);
});

test("a member removed by the owner sees that their access ended, and goes home from there", async ({
  page: _page,
  api,
  loggedIn,
  newPerson,
}) => {
  const { ownerToken: annToken, workspaceId, projectId, memberEmail: bobEmail, memberToken } = await api.sharedProject(loggedIn);
  const bobId = (await api.call("GET", "/auth/me", { token: memberToken })).json.id as string;
  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await openBoard(bob.page, projectId);
  await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall"]);
  await expect(await openSwitcher(bob.page)).toContainText("Garden club");
  await bob.page.keyboard.press("Escape");
  // A second tab on the workspace's own page.
  const tab = await bob.context.newPage();
  await openLive(tab, `/w/${workspaceId}`);
  await expect(tab.locator(".workspace-name")).toHaveText("Garden club");

  expect((await api.call("DELETE", `/workspaces/${workspaceId}/members/${bobId}`, { token: annToken })).status).toBe(204);

  // Both pages say so at once, with the way home; no request of theirs fails (no 404s).
  await expect(heading(bob.page, "Your access to “Garden club” has ended")).toBeVisible(LIVE);
  await expect(bob.page.getByRole("alert")).toContainText("You’re no longer a member", LIVE);
  await expect(column(bob.page, "todo")).toHaveCount(0, LIVE);
  await expect(heading(tab, "Your access to “Garden club” has ended")).toBeVisible(LIVE);
  await shot(bob.page, "access-ended-desktop");
  await bob.page.setViewportSize(PHONE);
  await shot(bob.page, "access-ended-phone");
  expect(await bob.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

  // The workspace left the switcher; home is his personal workspace.
  await bob.page.setViewportSize({ width: 1280, height: 860 });
  await expect(await openSwitcher(bob.page)).not.toContainText("Garden club");
  await bob.page.keyboard.press("Escape");
  await bob.page.getByRole("link", { name: "Go to your projects" }).click();
  await expect(heading(bob.page, "Projects")).toBeVisible();
  await expect(bob.page.locator(".workspace-name")).not.toHaveText("Garden club");
});

test("a dropped connection catches up when it comes back (Last-Event-ID)", async ({ page: _page, api, loggedIn, newPerson, monitor, baseURL }) => {
  // Bob's connection is cut on purpose: his browser's failed requests are expected.
  monitor.allowNetworkErrors();
  const proxy = await startProxy(baseURL!);
  try {
    const { ownerToken: annToken, projectId, taskId: hall, memberEmail: bobEmail } = await api.sharedProject(loggedIn);
    const bob = await newPerson({ baseURL: proxy.url });
    await logIn(bob.page, bobEmail, PASSWORD);
    await openBoard(bob.page, projectId);
    await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall"]);
    await markPage(bob.page);
    // Live before the cut: a change arrives, and with it an event id to resume from.
    await api.createTask(annToken, projectId, "Order compost");
    await expect(cardTitles(bob.page, "todo")).toHaveText(["Book the village hall", "Order compost"], LIVE);

    proxy.cut();
    await api.createTask(annToken, projectId, "Mend the cold frame");
    const moved = await api.call("PATCH", `/projects/${projectId}/tasks/${hall}`, { token: annToken, body: { status: "done" } });
    expect(moved.status).toBe(200);
    // His browser has noticed: it tried to come back while the connection was down.
    await expect.poll(() => proxy.refused, { timeout: 15_000 }).toBeGreaterThan(0);
    await expect(cardTitles(bob.page, "done")).toHaveCount(0);

    proxy.restore();
    await expect(cardTitles(bob.page, "done")).toHaveText(["Book the village hall"], { timeout: 30_000 });
    await expect(cardTitles(bob.page, "todo")).toHaveText(["Order compost", "Mend the cold frame"], LIVE);
    expect(await wasNotReloaded(bob.page), "Bob's page was reloaded").toBe(true);
    // The stream came back from where it was.
    const last = proxy.streamRequests.at(-1) ?? "";
    expect(proxy.streamRequests.length).toBeGreaterThanOrEqual(2);
    expect(last).toMatch(/^last-event-id: \S+/im);
    expect(proxy.streamRequests[0]).not.toMatch(/^last-event-id:/im);
  } finally {
    await proxy.close();
  }
});
