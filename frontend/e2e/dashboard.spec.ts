import { activeLabel, cards, checkFocusTrap, dialog, expect, fieldError, heading, shot, test } from "./support/fixtures";

test("create a project in a modal dialog (focus trap, Escape, focus return)", async ({ page, api, loggedIn }) => {
  const open = page.getByRole("button", { name: "New project" });
  await open.click();
  await expect(dialog(page)).toBeVisible();
  await checkFocusTrap(page);
  await page.keyboard.press("Escape");
  await expect(dialog(page)).toHaveCount(0);
  expect(await activeLabel(page)).toBe("New project");

  await open.click();
  await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
  expect(await fieldError(page.getByLabel("Name"))).toContain("name");
  await page.getByLabel("Name").fill("Website relaunch");
  await page.getByLabel("Description").fill("New marketing site: content, design and launch.");
  await shot(page, "new-project-dialog");
  await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
  await expect(dialog(page)).toHaveCount(0);
  await expect(cards(page)).toContainText(["Website relaunch"]);
  expect(await activeLabel(page), "focus did not return after creating").toBe("New project");
  const token = await api.login(loggedIn.email, loggedIn.password);
  const list = await api.call("GET", "/projects", { token });
  expect(list.json.items.map((p: { name: string }) => p.name)).toEqual(["Website relaunch"]);
});

test("edit a project optimistically, with progress shown", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const ids: Record<string, string> = {};
  const extra: [string, string | null, number, number][] = [
    ["Website relaunch", "New marketing site: content, design and launch.", 3, 2],
    ["Quarterly report", "Numbers, charts and the summary for the board.", 5, 5],
    ["Office move", "Pack, label, move and unpack by the end of the month.", 6, 2],
    ["Hiring: backend engineer", null, 4, 1],
  ];
  for (const [name, description, tasks, done] of extra) {
    ids[name] = await api.createProject(token, name, description);
    for (let i = 0; i < tasks; i += 1) await api.createTask(token, ids[name]!, `Task ${i + 1}`, i < done);
  }
  await page.reload();
  await expect(cards(page)).toHaveCount(4);

  // Slow the PATCH down so the optimistic state is observable before the answer.
  const slow = async (route: import("@playwright/test").Route) => {
    if (route.request().method() === "PATCH") await new Promise((r) => setTimeout(r, 600));
    return route.fallback();
  };
  await page.route((url) => url.pathname === `/projects/${ids["Office move"]}`, slow);
  await page.getByRole("button", { name: "Edit Office move" }).click();
  const name = page.getByLabel("Name");
  await expect(name).toHaveValue("Office move");
  await name.fill("Office move to Leeds");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(dialog(page)).toHaveCount(0);
  await expect(cards(page).filter({ hasText: "Office move to Leeds" }), "the new name did not show before the server answered").toHaveCount(1, { timeout: 400 });
  expect(await activeLabel(page)).toBe("Edit Office move to Leeds");
  await expect
    .poll(async () => (await api.call("GET", `/projects/${ids["Office move"]}`, { token })).json.name)
    .toBe("Office move to Leeds");
  await expect(page.getByRole("progressbar", { name: "Progress of Quarterly report" })).toHaveAttribute("aria-valuenow", "100");
  await shot(page, "dashboard");
});

test("delete a project: no confirm, the toast’s Undo brings it back", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  await api.createProject(token, "Website relaunch");
  const id = await api.createProject(token, "Hiring: backend engineer");
  await page.reload();
  await page.getByRole("button", { name: "Delete Hiring: backend engineer" }).click();
  await expect(page.getByRole("alertdialog")).toHaveCount(0);
  await expect(cards(page)).toHaveText(["Website relaunch"]);
  expect((await api.call("GET", `/projects/${id}`, { token })).status).toBe(404);
  const toast = page.getByRole("status", { name: "Notifications" });
  await expect(toast).toContainText("Project moved to trash");
  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(cards(page)).toHaveText(["Hiring: backend engineer", "Website relaunch"]);
  expect((await api.call("GET", `/projects/${id}`, { token })).status).toBe(200);

  await page.getByRole("button", { name: "Delete Hiring: backend engineer" }).click();
  await expect(cards(page)).toHaveText(["Website relaunch"]);
  // Left alone, the toast goes and the project stays in the trash.
  await expect(toast.getByText("Project moved to trash")).toHaveCount(0, { timeout: 12_000 });
  expect((await api.call("GET", `/projects/${id}`, { token })).status).toBe(404);
});

test("search, sort and archive projects; the list is a link that survives a reload", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  for (const name of ["Website relaunch", "Garden party", "Annual report"]) await api.createProject(token, name);
  await page.reload();
  await expect(cards(page)).toHaveText(["Annual report", "Garden party", "Website relaunch"]);

  await page.getByLabel("Search projects").fill("RE");
  await expect(cards(page)).toHaveText(["Annual report", "Website relaunch"]);
  await page.getByLabel("Sort projects").selectOption("name");
  await expect(cards(page)).toHaveText(["Annual report", "Website relaunch"]);
  await expect(page).toHaveURL(/[?&]q=RE(&|$)/);
  await expect(page).toHaveURL(/[?&]sort=name(&|$)/);
  await page.reload();
  await expect(page.getByLabel("Search projects")).toHaveValue("RE");
  await expect(cards(page)).toHaveText(["Annual report", "Website relaunch"]);
  await page.getByLabel("Search projects").fill("nothing like it");
  await expect(page.getByRole("heading", { name: "No projects match “nothing like it”" })).toBeVisible();
  await page.getByRole("button", { name: "Clear the search" }).click();
  await expect(cards(page)).toHaveText(["Annual report", "Garden party", "Website relaunch"]);

  // Archive: out of the list at once, whole, and Undo puts it back.
  await page.getByRole("button", { name: "Archive Garden party" }).click();
  await expect(cards(page)).toHaveText(["Annual report", "Website relaunch"]);
  const toast = page.getByRole("status", { name: "Notifications" });
  await expect(toast).toContainText("“Garden party” archived.");
  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(cards(page)).toHaveText(["Annual report", "Garden party", "Website relaunch"]);
  await page.getByRole("button", { name: "Archive Garden party" }).click();
  await expect(cards(page)).toHaveText(["Annual report", "Website relaunch"]);

  await page.getByRole("link", { name: "Archived" }).click();
  await expect(page.getByRole("list", { name: /^Archived projects in / })).toBeVisible();
  await expect(cards(page)).toHaveText(["Garden party"]);
  await expect(page.locator(".project-card .badge")).toHaveText("Archived");
  await shot(page, "dashboard-archived");
  const archived = (await api.call("GET", "/projects?archived=true", { token })).json.items;
  expect(archived.map((p: { name: string }) => p.name)).toEqual(["Garden party"]);

  // Its page says so, and unarchives it.
  await page.getByRole("link", { name: "Garden party" }).click();
  await expect(page.getByText("Archived: this project is out of its workspace’s list")).toBeVisible();
  await page.getByRole("button", { name: "Unarchive" }).click();
  await expect(page.getByText("Archived: this project is out of its workspace’s list")).toHaveCount(0);
  await page.goBack();
  await expect(page.getByRole("heading", { name: "No archived projects" })).toBeVisible();
  await page.getByRole("link", { name: "Active" }).click();
  await expect(cards(page)).toHaveText(["Annual report", "Garden party", "Website relaunch"]);
});

test("a long list comes 100 at a time and loads the rest as you scroll", async ({ page, api, loggedIn, monitor }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  for (let i = 1; i <= 130; i += 1) await api.createProject(token, `Backlog item ${String(i).padStart(3, "0")}`);
  await page.reload();
  await expect(cards(page)).toHaveCount(100);
  const mark = monitor.mark();
  await cards(page).last().scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 5000);
  await expect(cards(page), "scrolling to the end did not load the rest").toHaveCount(130);
  await expect(page.getByRole("button", { name: "Load more projects" })).toHaveCount(0);
  expect(monitor.since(mark, (r) => r.path === "/projects" && r.method === "GET")).toHaveLength(1);
  const names = await cards(page).allTextContents();
  expect(new Set(names).size, "a project is listed twice").toBe(names.length);
});

test("a dialog starts in its first field", async ({ page, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  await api.createProject(token, "Website relaunch");
  await page.reload();
  await page.getByRole("button", { name: "New project" }).click();
  await expect(page.getByRole("dialog").getByLabel("Name")).toBeFocused();
  await page.keyboard.type("Typed straight away");
  await expect(page.getByLabel("Name")).toHaveValue("Typed straight away");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Edit Website relaunch" }).click();
  await expect(page.getByRole("dialog").getByLabel("Name")).toBeFocused();
});

test("phone width: the dashboard and a project page fit and stay usable", async ({ page, context, api, loggedIn }) => {
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Website relaunch", "New marketing site: content, design and launch.");
  for (const [i, title] of ["Write the copy", "Design the homepage", "Set up privacy-friendly analytics"].entries()) {
    await api.createTask(token, id, title, i < 2);
  }
  await api.createProject(token, "Quarterly report", "Numbers, charts and the summary for the board.");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(cards(page)).toHaveCount(2);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(await overflow(), "the page scrolls sideways").toBeLessThanOrEqual(0);
  await expect(page.getByRole("button", { name: "New project" })).toBeVisible();
  await shot(page, "dashboard-phone");
  await page.goto(`/p/${id}`);
  await expect(heading(page, "Website relaunch")).toBeVisible();
  await expect(page.getByText("Write the copy")).toBeVisible();
  expect(await overflow(), "the project page scrolls sideways").toBeLessThanOrEqual(0);
  await shot(page, "project-phone", { fullPage: true });

  // A task added here and the offline banner, at this width too.
  await page.getByLabel("New task").fill("Check the contact form on a phone");
  await page.getByLabel("New task").press("Enter");
  await expect(page.getByRole("list", { name: "Added just now" })).toContainText("Check the contact form on a phone");
  await context.setOffline(true);
  await expect(page.locator(".connection-banner")).toBeVisible();
  expect(await overflow(), "the banner makes the page scroll sideways").toBeLessThanOrEqual(0);
  await shot(page, "project-phone-offline");
  await context.setOffline(false);
});
