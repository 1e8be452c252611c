import { expect, heading, shot, test } from "./support/fixtures";

test("project page: add, toggle, rename and delete tasks; progress follows", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch", "New marketing site: content, design and launch.");
  await page.reload();
  await page.getByRole("link", { name: "Website relaunch" }).click();
  await expect(heading(page, "Website relaunch")).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(`/p/${id}`);
  await expect(page.getByText("No tasks yet")).toHaveCount(2);
  const input = page.getByLabel("New task");
  for (const title of ["Write the copy", "Design the homepage", "Set up analytics", "Launch party"]) {
    await input.fill(title);
    await input.press("Enter");
    await expect(page.getByText(title, { exact: true })).toBeVisible();
  }
  await expect(input).toHaveValue("");
  const progress = page.locator(".progress-card [role=progressbar]");
  await page.getByLabel("Write the copy", { exact: true }).check();
  await page.getByLabel("Design the homepage", { exact: true }).check();
  await expect(progress).toHaveAttribute("aria-valuenow", "50");

  await page.getByRole("button", { name: "Rename Set up analytics" }).click();
  const rename = page.getByLabel("Rename “Set up analytics”");
  await expect(rename).toBeFocused();
  await rename.fill("Set up privacy-friendly analytics");
  await rename.press("Enter");
  await expect(page.getByText("Set up privacy-friendly analytics", { exact: true })).toBeVisible();

  // Deleting needs no confirm: the toast's Undo brings the task back from the trash.
  await page.getByRole("button", { name: "Delete Launch party" }).click();
  await expect(page.getByRole("alertdialog")).toHaveCount(0);
  await expect(page.getByText("Launch party", { exact: true })).toHaveCount(0);
  const toast = page.getByRole("status", { name: "Notifications" });
  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByText("Launch party", { exact: true })).toBeVisible();
  await expect(progress).toHaveAttribute("aria-valuenow", "50");
  await page.getByRole("button", { name: "Delete Launch party" }).click();
  await expect(page.getByText("Launch party", { exact: true })).toHaveCount(0);
  await expect(progress).toHaveAttribute("aria-valuenow", "66");
  await expect(page.getByText("2 of 3 tasks done")).toBeVisible();

  await expect
    .poll(async () => {
      const p = (await api.call("GET", `/projects/${id}`, { token })).json;
      return [p.task_count, p.done_count, p.progress];
    }, { message: "the API disagrees about the counts" })
    .toEqual([3, 2, 66]);
  const titles = (await api.call("GET", `/projects/${id}/tasks`, { token })).json.items.map((t: { title: string }) => t.title);
  expect(titles).toEqual(["Write the copy", "Design the homepage", "Set up privacy-friendly analytics"]);
  await shot(page, "project");
});

test("a refused task toggle rolls back and says so", async ({ page, api, loggedIn, monitor }) => {
  monitor.allowHttp(500);
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  await api.createTask(token, id, "Write the copy", true);
  await api.createTask(token, id, "Set up analytics");
  await page.goto(`/p/${id}`);
  const progress = page.locator(".progress-card [role=progressbar]");
  await expect(progress).toHaveAttribute("aria-valuenow", "50");
  // The server "fails" after a while, so the optimistic state can be seen first.
  await page.route(
    (url) => url.pathname.includes("/tasks/"),
    async (route) => {
      if (route.request().method() !== "PATCH") return route.fallback();
      await new Promise((r) => setTimeout(r, 700));
      return route.fulfill({
        status: 500,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Internal Server Error", status: 500 }),
      });
    },
  );
  const box = page.getByLabel("Set up analytics", { exact: true });
  await box.click();
  await expect(box, "the toggle did not show at once").toBeChecked({ timeout: 500 });
  await expect(page.getByRole("alert").filter({ hasText: "Couldn’t complete" })).toBeVisible();
  await expect(box).not.toBeChecked();
  await expect(progress).toHaveAttribute("aria-valuenow", "50");
});

test("only the checkbox toggles a task: a click on its title does not", async ({ page, api, loggedIn, monitor }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  await api.createTask(token, id, "Write the copy");
  await page.goto(`/p/${id}`);
  const box = page.getByRole("checkbox", { name: "Write the copy" });
  await expect(box).not.toBeChecked();
  const mark = monitor.mark();
  await page.locator(".task-title", { hasText: "Write the copy" }).click();
  await expect(box).not.toBeChecked();
  expect(monitor.since(mark, (r) => r.method === "PATCH"), "a click on the title sent a change").toEqual([]);
  await box.click();
  await expect(box).toBeChecked();
});

test("one rename box at a time", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch");
  await api.createTask(token, id, "Write the copy");
  await api.createTask(token, id, "Design the homepage");
  await page.goto(`/p/${id}`);
  await page.getByRole("button", { name: "Rename Write the copy" }).click();
  await page.getByRole("button", { name: "Rename Design the homepage" }).click();
  await expect(page.getByRole("textbox", { name: /^Rename “/ })).toHaveCount(1);
  await expect(page.getByLabel("Rename “Design the homepage”")).toBeFocused();
  await expect(page.getByRole("checkbox", { name: "Write the copy" })).toBeVisible();
});

test("a task added to a project of 150 tasks shows where the person is looking", async ({ page, api, loggedIn, monitor }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Big migration");
  for (let i = 1; i <= 150; i += 1) await api.createTask(token, id, `Step ${String(i).padStart(3, "0")}`);
  await page.goto(`/p/${id}`);
  await expect(page.getByRole("checkbox", { name: /^Step / })).toHaveCount(100);
  await expect(page.getByRole("button", { name: "Load more tasks" })).toBeVisible();

  const input = page.getByLabel("New task");
  await input.fill("Tell the customers");
  await input.press("Enter");
  const added = page.getByRole("checkbox", { name: "Tell the customers" });
  await expect(added, "the new task is not shown without loading more").toBeVisible();
  await expect(added).toBeInViewport();
  await expect(page.getByRole("list", { name: "Added just now" })).toContainText("Tell the customers");
  await expect(input).toBeFocused();
  await expect(input).toHaveValue("");
  await shot(page, "project-task-added");

  // It works like any other task, and loading every page does not show it twice.
  await added.check();
  await expect.poll(async () => (await api.call("GET", `/projects/${id}`, { token })).json.done_count).toBe(1);
  const mark = monitor.mark();
  // Scrolled to, the list loads the rest by itself, as for a person scrolling down (a click
  // would race that load, which replaces the button and then takes it away).
  await page.getByRole("button", { name: "Load more tasks" }).evaluate((button) => button.scrollIntoView());
  await expect(page.getByRole("checkbox", { name: /^Step / })).toHaveCount(150);
  await expect(page.getByRole("button", { name: "Load more tasks" })).toHaveCount(0);
  await expect(page.getByRole("checkbox", { name: "Tell the customers" })).toHaveCount(1);
  expect(monitor.since(mark, (r) => r.method === "GET" && r.path.endsWith("/tasks")).length).toBeGreaterThanOrEqual(1);
});
