// The board (drag and drop by mouse and keyboard) and the task panel (fields, Markdown, 412).
import type { Locator, Page } from "@playwright/test";
import { announced, cardTitles, column, moveByKeyboard } from "./support/board";
import { expect, heading, LIVE, logIn, PASSWORD, shot, test, type Api } from "./support/fixtures";

/** The server's order of a project's tasks: each status column's titles, by position. */
async function serverColumns(api: Api, token: string, projectId: string): Promise<Record<string, string[]>> {
  const r = await api.call("GET", `/projects/${projectId}/tasks?limit=100`, { token });
  const items = r.json.items as { title: string; status: string; position: string }[];
  const columns: Record<string, string[]> = {};
  for (const t of [...items].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))) {
    (columns[t.status] ??= []).push(t.title);
  }
  return columns;
}

/** Presses the mouse on `from`, moves in steps (so the pointer sensor starts a drag) and lets go over `to`. */
async function dragWithMouse(page: Page, from: Locator, to: Locator, where: "top" | "bottom" = "bottom"): Promise<void> {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 12, a.y + a.height / 2 + 4, { steps: 4 });
  const y = where === "top" ? b.y + 12 : b.y + b.height - 12;
  await page.mouse.move(b.x + b.width / 2, y, { steps: 20 });
  await page.mouse.move(b.x + b.width / 2, y + 2, { steps: 2 });
  await page.mouse.up();
}

test("board: cards move between and within columns by mouse and by keyboard; the server keeps the order", async ({
  page,
  api,
  loggedIn,
}) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  const started = await api.createTask(token, id, "Pick a CMS");
  expect((await api.call("PATCH", `/projects/${id}/tasks/${started}`, { token, body: { status: "in_progress" } })).status).toBe(200);

  await page.goto(`/p/${id}`);
  await page.getByRole("navigation", { name: "View" }).getByRole("link", { name: "Board" }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${id}\\?view=board$`));
  await expect(cardTitles(page, "in_progress")).toHaveText(["Pick a CMS"]);

  // New tasks go to the end of To do, where the board shows them at once.
  const input = page.getByLabel("New task");
  for (const title of ["Write the copy", "Design the homepage", "Set up analytics"]) {
    await input.fill(title);
    await input.press("Enter");
    await expect(cardTitles(page, "todo").filter({ hasText: title })).toBeVisible();
  }
  await expect(cardTitles(page, "todo")).toHaveText(["Write the copy", "Design the homepage", "Set up analytics"]);
  // The view is remembered in the URL.
  await page.reload();
  await expect(cardTitles(page, "todo")).toHaveText(["Write the copy", "Design the homepage", "Set up analytics"]);
  await shot(page, "board-desktop");

  // Mouse: "Write the copy" from To do to the bottom of In progress.
  await dragWithMouse(page, column(page, "todo").locator(".board-card", { hasText: "Write the copy" }), column(page, "in_progress").locator(".board-cards"));
  await expect(cardTitles(page, "in_progress")).toHaveText(["Pick a CMS", "Write the copy"]);
  await expect(cardTitles(page, "todo")).toHaveText(["Design the homepage", "Set up analytics"]);
  await expect.poll(() => serverColumns(api, token, id)).toMatchObject({
    todo: ["Design the homepage", "Set up analytics"],
    in_progress: ["Pick a CMS", "Write the copy"],
  });

  // Keyboard: "Set up analytics" up one place within To do (Space, ArrowUp, Space).
  await moveByKeyboard(page, "Set up analytics", "ArrowUp", {
    pickedUp: "Picked up Set up analytics, in To do, position 2 of 2.",
    wouldGo: "Set up analytics would go in To do, position 1 of 2.",
  });
  await expect(cardTitles(page, "todo")).toHaveText(["Set up analytics", "Design the homepage"]);
  await expect(announced(page, "Dropped Set up analytics in To do, position 1 of 2.")).toHaveCount(1);

  // Keyboard: "Design the homepage" to the next column (Space, ArrowRight, Space).
  await moveByKeyboard(page, "Design the homepage", "ArrowRight", {
    pickedUp: "Picked up Design the homepage, in To do, position 2 of 2.",
    wouldGo: /^Design the homepage would go in In progress/,
  });
  await expect(announced(page, /^Dropped Design the homepage in In progress/)).toHaveCount(1);
  await expect(cardTitles(page, "in_progress").filter({ hasText: "Design the homepage" })).toBeVisible();
  await expect(cardTitles(page, "todo")).toHaveText(["Set up analytics"]);

  // Escape cancels a move: the card stays where it was.
  await moveByKeyboard(page, "Set up analytics", "ArrowRight", { wouldGo: /^Set up analytics would go in In progress/ }, "Escape");
  await expect(announced(page, "Moving Set up analytics was cancelled. It is back in To do, position 1 of 1.")).toHaveCount(1);
  await expect(cardTitles(page, "todo")).toHaveText(["Set up analytics"]);

  const shown = await cardTitles(page, "in_progress").allTextContents();
  expect(shown).toHaveLength(3);
  await expect.poll(() => serverColumns(api, token, id)).toMatchObject({ todo: ["Set up analytics"], in_progress: shown });
  await page.reload();
  await expect(cardTitles(page, "in_progress")).toHaveText(shown);
  await expect(cardTitles(page, "todo")).toHaveText(["Set up analytics"]);

  // The list view shows the same statuses, editable in the row.
  await page.getByRole("navigation", { name: "View" }).getByRole("link", { name: "List" }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${id}$`));
  await expect(page.getByLabel("Status of Write the copy")).toHaveValue("in_progress");
  await page.getByLabel("Priority of Set up analytics").selectOption("high");
  await page.getByLabel("Due date of Set up analytics").fill("2020-01-31");
  await expect
    .poll(async () => {
      const t = (await api.call("GET", `/projects/${id}/tasks`, { token })).json.items.find((x: { title: string }) => x.title === "Set up analytics");
      return [t.priority, t.due_date];
    })
    .toEqual(["high", "2020-01-31"]);
  await expect(page.getByLabel("Due date of Set up analytics")).toHaveClass(/inline-date-overdue/);
});

test("task panel: its own URL, every field, safe Markdown; Escape and Back close it", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  const taskId = await api.createTask(token, id, "Write the copy");
  await api.createTask(token, id, "Design the homepage");

  await page.goto(`/p/${id}/t/${taskId}?view=board`);
  const panel = page.getByRole("dialog", { name: "Write the copy" });
  await expect(panel).toBeVisible();
  await expect(panel.getByLabel("Title")).toHaveValue("Write the copy");

  await panel.getByRole("button", { name: "Add description" }).click();
  await panel
    .getByLabel("Description (Markdown)")
    .fill("Follow [the brief](https://example.com/brief).\n\n<script>window.pwned = 1</script> **Soon**");
  await panel.getByRole("button", { name: "Save description" }).click();
  const link = panel.locator('.markdown a[rel="noopener noreferrer"]');
  await expect(link).toHaveText("the brief");
  await expect(link).toHaveAttribute("href", "https://example.com/brief");
  await expect(link).toHaveAttribute("target", "_blank");
  await expect(panel.locator(".markdown")).toContainText("<script>window.pwned = 1</script>");
  await expect(panel.locator(".markdown script")).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

  await panel.getByLabel("Status").selectOption("in_progress");
  await panel.getByLabel("Priority").selectOption("urgent");
  await panel.getByLabel("Due date").fill("2031-05-20");
  // The tick shows once the server has kept the assignment: click, then wait for it.
  await panel.getByRole("checkbox", { name: "Ann Example" }).click();
  await expect(panel.getByRole("checkbox", { name: "Ann Example" })).toBeChecked();
  await panel.getByLabel("New label name").fill("Copy");
  await panel.getByRole("button", { name: "Add label" }).click();
  await expect(panel.getByRole("checkbox", { name: "Copy" })).toBeChecked();
  await panel.getByLabel("Title").fill("Write the launch copy");
  await panel.getByLabel("Title").press("Enter");

  await expect
    .poll(async () => {
      const t = (await api.call("GET", `/projects/${id}/tasks/${taskId}`, { token })).json;
      return [t.title, t.status, t.priority, t.due_date, t.assignees, t.labels.length, t.description?.startsWith("Follow")];
    })
    .toEqual(["Write the launch copy", "in_progress", "urgent", "2031-05-20", [loggedIn.id], 1, true]);
  await shot(page, "panel-desktop");

  // Escape closes it, back to the board it was opened over.
  await page.keyboard.press("Escape");
  await expect(panel).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`/p/${id}\\?view=board$`));
  const card = column(page, "in_progress").locator(".board-card", { hasText: "Write the launch copy" });
  await expect(card).toContainText("Urgent");
  await expect(card).toContainText("Copy");
  await expect(card.locator(".avatar")).toHaveText("AE");

  // Opened from a card, the back button closes it.
  await card.getByRole("link", { name: "Write the launch copy" }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${id}/t/${taskId}\\?view=board$`));
  await expect(page.getByRole("dialog", { name: "Write the launch copy" })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`/p/${id}\\?view=board$`));
  // And from a list row.
  await page.goto(`/p/${id}`);
  await page.getByRole("link", { name: "Open Design the homepage" }).click();
  await expect(page.getByRole("dialog", { name: "Design the homepage" })).toBeVisible();
  await page.getByRole("dialog").getByRole("button", { name: "Close", exact: true }).first().click();
  await expect(page).toHaveURL(new RegExp(`/p/${id}$`));
});

test("two people edit the same description at once: the second is told, and chooses to overwrite or reload", async ({
  page,
  api,
  loggedIn,
  newPerson,
  monitor,
}) => {
  monitor.allowHttp(412);
  const { ownerToken: annToken, projectId, taskId, memberEmail: bobEmail } = await api.sharedProject(loggedIn);
  const description = async () =>
    (await api.call("GET", `/projects/${projectId}/tasks/${taskId}`, { token: annToken })).json.description as string | null;

  await page.goto(`/p/${projectId}/t/${taskId}`);
  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await bob.page.goto(`/p/${projectId}/t/${taskId}`);
  const annPanel = page.getByRole("dialog", { name: "Book the village hall" });
  const bobPanel = bob.page.getByRole("dialog", { name: "Book the village hall" });
  await expect(annPanel).toBeVisible();
  await expect(bobPanel).toBeVisible();

  // Bob starts writing; meanwhile Ann writes hers and saves it first.
  await bobPanel.getByRole("button", { name: "Add description" }).click();
  await bobPanel.getByLabel("Description (Markdown)").fill("Bob: the big hall, Sunday.");
  await annPanel.getByRole("button", { name: "Add description" }).click();
  await annPanel.getByLabel("Description (Markdown)").fill("Ann: the small hall, Saturday.");
  await annPanel.getByRole("button", { name: "Save description" }).click();
  await expect.poll(description).toBe("Ann: the small hall, Saturday.");
  // Bob's panel hears of it (live) while his draft stays as he left it.
  await expect(bobPanel.locator(".task-activity")).toContainText("Ann Example edited the description", LIVE);
  await expect(bobPanel.getByLabel("Description (Markdown)")).toHaveValue("Bob: the big hall, Sunday.");

  // His save is checked against the version he started from: told, not silently over hers.
  await bobPanel.getByRole("button", { name: "Save description" }).click();
  const conflict = bob.page.getByRole("alertdialog", { name: /Someone changed this task/ });
  await expect(conflict).toBeVisible();
  await expect(conflict).toBeFocused();
  await shot(bob.page, "panel-conflict");
  await conflict.getByRole("button", { name: "Overwrite" }).click();
  await expect(conflict).toHaveCount(0);
  await expect(bobPanel.locator(".markdown")).toHaveText("Bob: the big hall, Sunday.");
  await expect.poll(description).toBe("Bob: the big hall, Sunday.");
  // Ann's open panel shows his text without a reload.
  await expect(annPanel.locator(".markdown")).toHaveText("Bob: the big hall, Sunday.", LIVE);

  // Now Ann edits while Bob changes it again: told too; Reload shows his text and keeps hers out.
  await annPanel.getByRole("button", { name: "Edit description" }).click();
  await annPanel.getByLabel("Description (Markdown)").fill("Ann: the small hall after all.");
  await bobPanel.getByRole("button", { name: "Edit description" }).click();
  await bobPanel.getByLabel("Description (Markdown)").fill("Bob: the big hall, Sunday at noon.");
  await bobPanel.getByRole("button", { name: "Save description" }).click();
  await expect.poll(description).toBe("Bob: the big hall, Sunday at noon.");
  await expect(annPanel.locator(".activity-entry", { hasText: "Bob Builder edited the description" })).toHaveCount(2, LIVE);
  await annPanel.getByRole("button", { name: "Save description" }).click();
  const annConflict = page.getByRole("alertdialog", { name: /Someone changed this task/ });
  await expect(annConflict).toBeVisible();
  await annConflict.getByRole("button", { name: "Reload" }).click();
  await expect(annConflict).toHaveCount(0);
  await expect(annPanel.locator(".markdown")).toHaveText("Bob: the big hall, Sunday at noon.");
  expect(await description()).toBe("Bob: the big hall, Sunday at noon.");
});

test("phone size: the board scrolls sideways a column at a time; the panel fills the screen", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  const taskId = await api.createTask(token, id, "Write the copy");
  await api.createTask(token, id, "Design the homepage");
  await api.call("PATCH", `/projects/${id}/tasks/${taskId}`, {
    token,
    body: { priority: "high", due_date: "2020-02-01", description: "See [the brief](https://example.com)." },
  });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/p/${id}?view=board`);
  await expect(heading(page, "Website relaunch")).toBeVisible();
  const board = page.locator(".board");
  await expect(cardTitles(page, "todo")).toHaveText(["Write the copy", "Design the homepage"]);
  await expect(column(page, "todo").locator(".due-overdue")).toHaveText("Overdue: 1 Feb 2020");
  // The page itself does not scroll sideways; the board does, and snaps to columns.
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  expect(await board.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  expect(await board.evaluate((el) => getComputedStyle(el).scrollSnapType)).toContain("x");
  await board.scrollIntoViewIfNeeded();
  await shot(page, "board-phone");

  await column(page, "todo").getByRole("link", { name: "Write the copy" }).click();
  const panel = page.getByRole("dialog", { name: "Write the copy" });
  await expect(panel).toBeVisible();
  const box = (await panel.boundingBox())!;
  expect(box.width).toBeGreaterThanOrEqual(389);
  await shot(page, "panel-phone");
});
