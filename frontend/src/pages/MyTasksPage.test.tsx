import { screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { localToday } from "../api/taskOrder";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { json, mockApi, renderAt, task } from "../test/utils";
import { MyTasksPage } from "./MyTasksPage";

const group = (items: unknown[] = []) => ({ count: items.length, items });
const mine = (overrides: Record<string, unknown>) => ({
  ...task(overrides),
  project_name: "Garden",
  workspace_id: "33333333-3333-4333-8333-333333333333",
});

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

afterEach(() => {
  vi.useRealTimers();
});

describe("localToday", () => {
  it("is the local calendar date, not UTC's", () => {
    // 23:30 local on 31 December: UTC may already be in the next year, the person is not.
    expect(localToday(new Date(2026, 11, 31, 23, 30))).toBe("2026-12-31");
    expect(localToday(new Date(2027, 0, 1, 0, 15))).toBe("2027-01-01");
  });
});

describe("MyTasksPage", () => {
  it("sends today's local date and shows the five groups with counts", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 5, 10, 23, 45));
    const api = mockApi().on("GET", "/me/tasks", () =>
      json({
        today: "2026-06-10",
        week_ends: "2026-06-14",
        groups: {
          overdue: group([mine({ id: "o1", title: "Water the beans", due_date: "2026-06-01", priority: "high" })]),
          today: group(),
          this_week: group(),
          later: group(),
          no_date: group([mine({ id: "n1", title: "Buy seeds" })]),
          done: null,
        },
      }),
    );
    renderAt(<MyTasksPage />, { path: "/my-tasks", route: "/my-tasks" });
    const overdue = await screen.findByRole("region", { name: "Overdue 1" });
    const link = within(overdue).getByRole("link", { name: "Water the beans" });
    expect(link).toHaveAttribute("href", `/p/${task().project_id}/t/o1`);
    expect(within(overdue).getByText("Garden")).toBeInTheDocument();
    expect(within(overdue).getByText("High")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "No date 1" })).toBeInTheDocument();
    for (const name of ["Today 0", "This week 0", "Later 0"]) expect(screen.getByRole("region", { name })).toBeInTheDocument();
    const url = new URL(api.calls.find((r) => new URL(r.url).pathname === "/me/tasks")!.url);
    expect(url.searchParams.get("today")).toBe("2026-06-10");
  });
});
