import { describe, expect, it } from "vitest";
import {
  boardFilters,
  filterCount,
  filtersFromParams,
  isFiltered,
  NO_FILTERS,
  paramsWithFilters,
  taskQuery,
} from "./taskFilters";

describe("task filters in the URL", () => {
  it("reads nothing from a URL without filters", () => {
    expect(filtersFromParams(new URLSearchParams("view=board"))).toEqual(NO_FILTERS);
  });

  it("reads repeated values, the toggle, the text and the sort", () => {
    const f = filtersFromParams(
      new URLSearchParams("status=done&status=todo&assignee=me&assignee=none&label=l1&priority=high&overdue=true&q=%20dig%20&sort=due_date&order=desc"),
    );
    expect(f).toEqual({
      // Statuses and priorities in their own order, whatever the URL's.
      status: ["todo", "done"],
      assignee: ["me", "none"],
      label: ["l1"],
      priority: ["high"],
      overdue: true,
      q: "dig",
      sort: "due_date",
      order: "desc",
    });
  });

  it("ignores values the API would refuse", () => {
    const f = filtersFromParams(new URLSearchParams("status=nope&priority=huge&sort=random&order=up&overdue=1"));
    expect(f).toEqual(NO_FILTERS);
  });

  it("writes the filters beside the params it does not own, and drops empty ones", () => {
    const start = new URLSearchParams("view=board&q=old&assignee=u1");
    const next = paramsWithFilters(start, { ...NO_FILTERS, assignee: ["me"], overdue: true, q: "  " });
    expect(next.toString()).toBe("view=board&assignee=me&overdue=true");
    // The original is left alone.
    expect(start.get("q")).toBe("old");
  });

  it("round-trips: what is written reads back the same", () => {
    const f = { ...NO_FILTERS, status: ["backlog" as const], label: ["a", "b"], q: "x y", sort: "priority" as const };
    expect(filtersFromParams(paramsWithFilters(new URLSearchParams(), f))).toEqual(f);
  });

  it("clearing all leaves only the view", () => {
    const start = new URLSearchParams("view=board&status=done&priority=low&sort=updated");
    expect(paramsWithFilters(start, NO_FILTERS).toString()).toBe("view=board");
  });

  it("equal filters make equal cache keys whatever the URL's order", () => {
    const a = filtersFromParams(new URLSearchParams("label=b&label=a&priority=low&priority=high"));
    const b = filtersFromParams(new URLSearchParams("priority=high&label=a&priority=low&label=b"));
    expect(a).toEqual(b);
  });

  it("the board drops status and sort; counts and emptiness follow the view", () => {
    const f = { ...NO_FILTERS, status: ["done" as const], sort: "updated" as const, q: "a" };
    expect(boardFilters(f)).toEqual({ ...NO_FILTERS, q: "a" });
    expect(filterCount(f, "list")).toBe(2);
    expect(filterCount(f, "board")).toBe(1);
    expect(isFiltered({ ...NO_FILTERS, status: ["done"] }, "board")).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, sort: "updated" })).toBe(false);
  });

  it("asks the API only for what is set", () => {
    expect(taskQuery(NO_FILTERS)).toEqual({});
    expect(taskQuery({ ...NO_FILTERS, assignee: ["me"], overdue: true, q: "dig" })).toEqual({
      assignee: ["me"],
      overdue: true,
      q: "dig",
    });
  });
});
