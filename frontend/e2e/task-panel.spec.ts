// The project page's filters (kept in the URL) and the task panel's comments and activity.
import type { Page } from "@playwright/test";
import { cardTitles, moveByKeyboard } from "./support/board";
import { expect, shot, test } from "./support/fixtures";

const listTitles = (page: Page) => page.locator(".task-list .task-title");
const filterBar = (page: Page) => page.getByRole("search", { name: "Filter tasks" });

test("filters: assignee Me and title text narrow the list, live in the URL and survive a reload", async ({
  page,
  api,
  loggedIn,
}) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Garden");
  const gate = await api.createTask(token, id, "Fix the gate");
  await api.createTask(token, id, "Paint the fence");
  await api.createTask(token, id, "Fix the shed");
  expect((await api.call("PATCH", `/projects/${id}/tasks/${gate}`, { token, body: { assignees: [loggedIn.id] } })).status).toBe(200);

  await page.goto(`/p/${id}`);
  await expect(listTitles(page)).toHaveText(["Fix the gate", "Paint the fence", "Fix the shed"]);

  const bar = filterBar(page);
  await bar.getByRole("button", { name: /^Assignee/ }).click();
  await bar.getByRole("checkbox", { name: "Me" }).check();
  await expect(page).toHaveURL(/assignee=me/);
  await expect(listTitles(page)).toHaveText(["Fix the gate"]);
  await page.keyboard.press("Escape");
  await shot(page, "filters-desktop");

  // Text instead of the assignee.
  await expect(bar.getByRole("checkbox", { name: "Me" })).toBeHidden();
  await bar.getByRole("button", { name: /^Assignee/ }).click();
  await bar.getByRole("checkbox", { name: "Me" }).uncheck();
  await expect(page).not.toHaveURL(/assignee=/);
  await bar.getByRole("searchbox", { name: "Title contains" }).fill("fix");
  await expect(page).toHaveURL(/q=fix/);
  await expect(listTitles(page)).toHaveText(["Fix the gate", "Fix the shed"]);

  await page.reload();
  await expect(filterBar(page).getByRole("searchbox", { name: "Title contains" })).toHaveValue("fix");
  await expect(listTitles(page)).toHaveText(["Fix the gate", "Fix the shed"]);

  // The board reads the same filters.
  await page.getByRole("navigation", { name: "View" }).getByRole("link", { name: "Board" }).click();
  await expect(page).toHaveURL(/view=board/);
  await expect(page).toHaveURL(/q=fix/);
  await expect(cardTitles(page, "todo")).toHaveText(["Fix the gate", "Fix the shed"]);

  // Clear all brings everything back.
  await filterBar(page).getByRole("button", { name: "Clear all" }).click();
  await expect(page).not.toHaveURL(/q=/);
  await expect(cardTitles(page, "todo")).toHaveText(["Fix the gate", "Paint the fence", "Fix the shed"]);

  // On a phone the filters fold behind one button.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/p/${id}?assignee=me`);
  const toggle = filterBar(page).getByRole("button", { name: /^Filters \(1\)/ });
  await expect(toggle).toBeVisible();
  await expect(filterBar(page).getByRole("searchbox")).toBeHidden();
  await shot(page, "filters-phone-closed");
  await toggle.click();
  await expect(filterBar(page).getByRole("searchbox")).toBeVisible();
  await shot(page, "filters-phone-open");
});

test("task panel: comments are posted, edited and deleted; the activity shows the board's move", async ({
  page,
  api,
  loggedIn,
}) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  const taskId = await api.createTask(token, id, "Write the copy");

  // A move on the board, by keyboard: To do to In progress.
  await page.goto(`/p/${id}?view=board`);
  await expect(cardTitles(page, "todo")).toHaveText(["Write the copy"]);
  await moveByKeyboard(page, "Write the copy", "ArrowRight", { wouldGo: /^Write the copy would go in In progress/ });
  await expect(cardTitles(page, "in_progress")).toHaveText(["Write the copy"]);
  await expect
    .poll(async () => (await api.call("GET", `/projects/${id}/tasks/${taskId}`, { token })).json.status)
    .toBe("in_progress");

  await page.goto(`/p/${id}/t/${taskId}?view=board`);
  const panel = page.getByRole("dialog", { name: "Write the copy" });
  const activity = panel.locator(".task-activity");
  await expect(activity.getByText("You moved this from To do to In progress")).toBeVisible();
  await expect(activity.getByText("You created this task")).toBeVisible();

  // Post with Ctrl+Enter; the Markdown is rendered.
  const comments = panel.locator(".task-comments");
  await expect(comments.getByText("No comments yet.")).toBeVisible();
  const box = comments.getByLabel("Add a comment");
  await box.fill("Draft is **ready** for review");
  await box.press("Control+Enter");
  const comment = comments.locator(".comment");
  await expect(comment).toHaveCount(1);
  await expect(comment.locator("strong", { hasText: "ready" })).toBeVisible();
  await expect(comment).toContainText("Ann Example (you)");
  await expect(box).toHaveValue("");
  await expect(activity.getByText("You commented")).toBeVisible();
  await shot(page, "panel-comments-desktop");

  // Edit.
  await comment.getByRole("button", { name: "Edit" }).click();
  const editor = comment.getByLabel("Edit your comment");
  await editor.fill("Draft is ready; images to follow");
  await comment.getByRole("button", { name: "Save" }).click();
  await expect(comment.locator(".comment-body")).toHaveText("Draft is ready; images to follow");
  await expect(comment).toContainText("edited");
  await expect(activity.getByText("You edited a comment")).toBeVisible();
  const saved = await api.call("GET", `/projects/${id}/tasks/${taskId}/comments`, { token });
  expect(saved.json.items.map((c: { body: string }) => c.body)).toEqual(["Draft is ready; images to follow"]);

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "panel-comments-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  // Delete, after a confirmation.
  await comment.getByRole("button", { name: "Delete" }).click();
  await comment.getByRole("group", { name: "Delete this comment?" }).getByRole("button", { name: "Delete" }).click();
  await expect(comments.getByText("No comments yet.")).toBeVisible();
  await expect(activity.getByText("You deleted a comment")).toBeVisible();
  await activity.scrollIntoViewIfNeeded();
  await shot(page, "panel-activity-desktop");
  const after = await api.call("GET", `/projects/${id}/tasks/${taskId}/comments`, { token });
  expect(after.json.items).toEqual([]);
});
