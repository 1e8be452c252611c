// Finding work and getting it back: the undo toast, the trash, the header's search, My tasks.
import { cards, expect, heading, shot, test, type Api } from "./support/fixtures";

const PHONE = { width: 390, height: 844 };

/** Waits until the search index has the word (it may follow the write by a moment). */
async function searchable(api: Api, token: string, q: string) {
  await expect
    .poll(async () => (await api.call("GET", `/search?q=${encodeURIComponent(q)}`, { token })).json.items?.length ?? 0, {
      message: `search never found ${q}`,
    })
    .toBeGreaterThan(0);
}

test("delete a task: Undo in the toast brings it back", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Garden");
  const taskId = await api.createTask(token, id, "Dig the beds");
  await api.createTask(token, id, "Plant beans");
  await page.goto(`/p/${id}`);
  await page.getByRole("button", { name: "Delete Dig the beds" }).click();
  await expect(page.getByText("Dig the beds", { exact: true })).toHaveCount(0);
  expect((await api.call("GET", `/projects/${id}/tasks/${taskId}`, { token })).status).toBe(404);
  const toast = page.getByRole("status", { name: "Notifications" });
  await expect(toast).toContainText("Task moved to trash");
  // Focus stays where the person was working, not on the toast.
  expect(await toast.evaluate((el) => el.contains(document.activeElement))).toBe(false);
  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByText("Dig the beds", { exact: true })).toBeVisible();
  await expect(toast).toContainText("restored");
  expect((await api.call("GET", `/projects/${id}/tasks/${taskId}`, { token })).status).toBe(200);
});

test("delete a task from its panel on the board: the panel closes, Undo brings the card back", async ({
  page,
  api,
  loggedIn,
}) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Garden");
  const taskId = await api.createTask(token, id, "Dig the beds");
  await api.createTask(token, id, "Plant beans");
  await page.goto(`/p/${id}/t/${taskId}?view=board`);
  const panel = page.getByRole("dialog", { name: "Dig the beds" });
  await panel.getByRole("button", { name: "Delete task" }).click();
  await expect(panel).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`/p/${id}\\?view=board$`));
  const board = page.getByRole("group", { name: "Board" });
  await expect(board.getByText("Dig the beds", { exact: true })).toHaveCount(0);
  await expect(board.getByText("Plant beans", { exact: true })).toBeVisible();
  expect((await api.call("GET", `/projects/${id}/tasks/${taskId}`, { token })).status).toBe(404);
  const toast = page.getByRole("status", { name: "Notifications" });
  await expect(toast).toContainText("Task moved to trash");
  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(board.getByText("Dig the beds", { exact: true })).toBeVisible();
  expect((await api.call("GET", `/projects/${id}/tasks/${taskId}`, { token })).status).toBe(200);
});

test("delete a project, find it in the workspace's trash and restore it", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Office move");
  await api.createTask(token, id, "Book the van");
  await api.createProject(token, "Quarterly report");
  await page.goto(`/p/${id}`);
  await page.getByRole("button", { name: "Delete project" }).click();
  await expect(heading(page, "Projects")).toBeVisible();
  await expect(cards(page)).toHaveText(["Quarterly report"]);

  await page.getByRole("link", { name: "Trash" }).click();
  await expect(heading(page, "Trash")).toBeVisible();
  const item = page.locator(".trash-item").filter({ hasText: "Office move" });
  await expect(item).toContainText("Deleted by Ann Example");
  await expect(item).toContainText("purged on");
  await shot(page, "trash");
  await page.setViewportSize(PHONE);
  await shot(page, "trash-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  await item.getByRole("button", { name: "Restore Office move" }).click();
  await expect(page.getByText("The trash is empty")).toBeVisible();
  await page.getByRole("link", { name: "Projects", exact: true }).first().click();
  await expect(cards(page)).toHaveText(["Quarterly report", "Office move"]);
  const restored = (await api.call("GET", `/projects/${id}`, { token })).json;
  expect(restored.task_count).toBe(1);
});

test("/ focuses the search; a result opens with the keyboard", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Garden");
  const taskId = await api.createTask(token, id, "Order zucchini seeds");
  await api.call("PATCH", `/projects/${id}/tasks/${taskId}`, {
    token,
    body: { description: "Ask <b>the</b> shop 🌱 about zucchini varieties." },
  });
  await api.createTask(token, id, "Water the beans");
  await searchable(api, token, "zucchini");
  await page.goto(`/w/${(await api.call("GET", `/projects/${id}`, { token })).json.workspace_id}`);
  await expect(heading(page, "Projects")).toBeVisible();
  await page.keyboard.press("/");
  const box = page.getByRole("combobox", { name: "Search tasks and projects" });
  await expect(box).toBeFocused();
  await expect(box).toHaveValue("");
  await page.keyboard.type("zucch");
  const option = page.getByRole("option").filter({ hasText: "Order zucchini seeds" });
  await expect(option).toBeVisible();
  await expect(option.locator("mark").first()).toHaveText(/zucchini/i);
  // The description's markup shows as text.
  await expect(option).toContainText("Ask <b>the</b> shop");
  await shot(page, "search-dropdown");
  await page.keyboard.press("ArrowDown");
  await expect(option).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/p/${id}/t/${taskId}$`));
  await expect(page.getByRole("dialog", { name: "Order zucchini seeds" })).toBeVisible();
  await page.keyboard.press("Escape");
  // Closing the panel moves focus to the page's heading: wait for that before typing.
  await expect(page.getByRole("dialog", { name: "Order zucchini seeds" })).toBeHidden();
  await expect(heading(page, "Garden")).toBeFocused();

  // "See all results" opens the results page.
  await page.keyboard.press("/");
  await page.keyboard.type("zucchini");
  await page.getByRole("option", { name: /See all results/ }).click();
  await expect(heading(page, "Search")).toBeVisible();
  await expect(page.getByRole("link", { name: /Order zucchini seeds/ })).toBeVisible();

  await page.setViewportSize(PHONE);
  await page.goto(`/p/${id}`);
  await expect(heading(page, "Garden")).toBeVisible();
  await page.getByRole("combobox", { name: "Search tasks and projects" }).fill("zucchini");
  await expect(page.getByRole("option").filter({ hasText: "Order zucchini seeds" })).toBeVisible();
  const results = (await page.locator(".search-results").boundingBox())!;
  expect(results.x).toBeGreaterThanOrEqual(0);
  expect(results.x + results.width).toBeLessThanOrEqual(PHONE.width);
  await shot(page, "search-dropdown-phone");
});

test("My tasks shows an assigned overdue task under Overdue; ? lists the shortcuts", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Garden");
  const late = await api.createTask(token, id, "Mend the fence");
  const later = await api.createTask(token, id, "Prune the roses");
  await api.createTask(token, id, "Nobody’s task");
  await api.call("PATCH", `/projects/${id}/tasks/${late}`, {
    token,
    body: { assignees: [loggedIn.id], due_date: "2020-01-15", priority: "urgent" },
  });
  await api.call("PATCH", `/projects/${id}/tasks/${later}`, { token, body: { assignees: [loggedIn.id], due_date: "2099-05-01" } });
  await page.getByRole("link", { name: "My tasks" }).click();
  await expect(heading(page, "My tasks")).toBeVisible();
  const overdue = page.getByRole("region", { name: /^Overdue/ });
  await expect(overdue.getByRole("heading")).toHaveText("Overdue 1");
  await expect(overdue.getByRole("link", { name: "Mend the fence" })).toBeVisible();
  await expect(overdue).toContainText("Garden");
  await expect(overdue).toContainText("Urgent");
  await expect(page.getByRole("region", { name: /^Later/ })).toContainText("Prune the roses");
  await expect(page.getByText("Nobody’s task")).toHaveCount(0);
  await shot(page, "my-tasks");
  await page.setViewportSize(PHONE);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await shot(page, "my-tasks-phone", { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });

  await overdue.getByRole("link", { name: "Mend the fence" }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${id}/t/${late}$`));
  await expect(page.getByRole("dialog", { name: "Mend the fence" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);

  await page.keyboard.press("?");
  const shortcuts = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(shortcuts).toBeVisible();
  await expect(shortcuts).toContainText("Search tasks and projects");
  await shot(page, "shortcuts");
  await page.keyboard.press("Escape");
  await expect(shortcuts).toHaveCount(0);
});
