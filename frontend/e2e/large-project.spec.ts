// A project of 5 000 tasks stays usable: the list pages as you scroll, the board shows each
// column's first cards at once and the rest as you scroll, typing and ticking answer at once. The figures (render time, the delay from
// a key or click to the next painted frame) go to test-results/large-project.json and are
// reported in docs/benchmarks.md; nothing here asserts on a time.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { expect, test, type Api } from "./support/fixtures";
import { RESULTS } from "./support/paths";

const TASKS = 5_000;
const STATUSES = ["backlog", "todo", "in_progress", "done", "cancelled"] as const;
const PRIORITIES = ["none", "low", "medium", "high", "urgent"] as const;
const OUT = join(RESULTS, "large-project.json");

/** `count` tasks through the API, a few requests at a time, spread over every column. */
async function seed(api: Api, token: string, projectId: string, count: number): Promise<void> {
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next++;
      const body = {
        title: `Task ${String(i + 1).padStart(4, "0")}`,
        status: STATUSES[i % STATUSES.length],
        priority: PRIORITIES[(i >> 2) % PRIORITIES.length],
      };
      const r = await api.call("POST", `/projects/${projectId}/tasks`, { token, body });
      expect(r.status, `create task: ${JSON.stringify(r.json)}`).toBe(201);
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * From now on, the page records, for every key press and click, the time from the event to
 * the frame painted after it was handled (what a person waits for).
 */
async function recordInputDelays(page: Page): Promise<void> {
  await page.evaluate(() => {
    const delays: number[] = [];
    (window as unknown as { inputDelays: number[] }).inputDelays = delays;
    const record = (event: Event) => {
      const start = event.timeStamp;
      requestAnimationFrame(() => setTimeout(() => delays.push(performance.now() - start), 0));
    };
    document.addEventListener("keydown", record, { capture: true });
    document.addEventListener("click", record, { capture: true });
  });
}

async function inputDelays(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { inputDelays: number[] }).inputDelays.splice(0));
}

/** Milliseconds since the document's navigation began, when `selector` matches `count` nodes. */
async function renderedAt(page: Page, selector: string, count: number): Promise<number> {
  const handle = await page.waitForFunction(
    ([s, n]) => (document.querySelectorAll(s as string).length >= (n as number) ? performance.now() : false),
    [selector, count],
    { polling: "raf", timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, median: Math.round(at(0.5)), p99: Math.round(at(0.99)), max: Math.round(sorted.at(-1) ?? NaN) };
}

test("a project of 5 000 tasks: the list and the board show more as you scroll, input answers at once", async ({
  page,
  api,
  loggedIn,
}) => {
  test.setTimeout(300_000);
  const token = await api.login(loggedIn.email, loggedIn.password);
  const id = await api.createProject(token, "Platform migration");
  const seeding = Date.now();
  await seed(api, token, id, TASKS);
  const seedSeconds = (Date.now() - seeding) / 1000;
  // Cancelled tasks count neither as open nor as done.
  const counted = TASKS - TASKS / STATUSES.length;
  expect((await api.call("GET", `/projects/${id}`, { token })).json.task_count).toBe(counted);

  // The list: its first page, then the next as the end comes into view.
  await page.goto(`/p/${id}`);
  const listFirstPage = await renderedAt(page, ".task-list input[type=checkbox]", 100);
  await expect(page.getByRole("checkbox", { name: /^Task \d{4}$/ })).toHaveCount(100);
  await page.getByRole("checkbox", { name: /^Task \d{4}$/ }).last().scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 4000);
  await expect(page.getByRole("checkbox", { name: /^Task \d{4}$/ })).toHaveCount(200);

  await recordInputDelays(page);
  const input = page.getByLabel("New task");
  await input.click();
  await input.pressSequentially("Write the cut-over plan", { delay: 30 });
  const listTyping = await inputDelays(page);
  await input.press("Enter");
  await expect(page.getByRole("checkbox", { name: "Write the cut-over plan" })).toBeInViewport();
  await inputDelays(page);
  for (const name of ["Task 0001", "Task 0002", "Task 0003", "Task 0004"]) {
    const box = page.getByRole("checkbox", { name, exact: true });
    const before = await box.isChecked();
    await box.click();
    await expect(box).toBeChecked({ checked: !before });
  }
  const listTicks = await inputDelays(page);

  // The board: the first 100 cards of each open column (Cancelled starts folded), then the
  // next 100 of a column as its end comes into view.
  await page.goto(`/p/${id}?view=board`);
  const openColumns = STATUSES.length - 1;
  const boardFirst = await renderedAt(page, ".board-card", openColumns * 100);
  await expect(page.locator(".board-card")).toHaveCount(openColumns * 100);
  const todo = page.locator('.board-column[data-status="todo"]');
  const scrolled = await page.evaluate(() => performance.now());
  await todo.getByRole("button", { name: "Show more to do tasks" }).scrollIntoViewIfNeeded();
  const boardMore = (await renderedAt(page, '.board-column[data-status="todo"] .board-card', 200)) - scrolled;
  // Scrolling on reaches every card, the task added on the list among them.
  await expect(async () => {
    await page.mouse.wheel(0, 20_000);
    await expect(page.locator(".board-card")).toHaveCount(counted + 1, { timeout: 2_000 });
  }).toPass({ timeout: 120_000 });
  await expect(todo.locator(".board-card", { hasText: "Write the cut-over plan" })).toHaveCount(1);
  await recordInputDelays(page);
  const boardInput = page.getByLabel("New task");
  await boardInput.click();
  await boardInput.pressSequentially("Freeze the schema", { delay: 30 });
  const boardTyping = await inputDelays(page);

  const figures = {
    tasks: TASKS,
    seed_seconds: Math.round(seedSeconds),
    list_first_page_ms: Math.round(listFirstPage),
    board_cards: counted + 1,
    board_first_cards: openColumns * 100,
    board_first_cards_ms: Math.round(boardFirst),
    board_next_cards_ms: Math.round(boardMore),
    list_typing_ms: summary(listTyping),
    list_tick_ms: summary(listTicks),
    board_typing_ms: summary(boardTyping),
  };
  writeFileSync(OUT, `${JSON.stringify(figures, null, 2)}\n`);
  test.info().annotations.push({ type: "timings", description: JSON.stringify(figures) });
  console.log(`  large project: ${JSON.stringify(figures)}`);
});
