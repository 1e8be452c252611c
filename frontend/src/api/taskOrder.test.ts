import { describe, expect, it } from "vitest";
import type { Task } from "./client";
import {
  arrangeTasks,
  boardOrder,
  columnsOf,
  formatDue,
  initialsOf,
  isOverdue,
  moveWithin,
  placementIn,
} from "./taskOrder";

const t = (id: string, status: Task["status"], position: string): Task =>
  ({ id, status, position, done: status === "done", title: id }) as Task;

describe("boardOrder", () => {
  it("groups by status column in board order, then by position in byte order", () => {
    const tasks = [t("a", "done", "a0"), t("b", "todo", "a1"), t("c", "backlog", "Zz"), t("d", "todo", "B0"), t("e", "todo", "a0V")];
    // Byte order puts upper case before lower case, and a prefix before its extensions.
    expect(boardOrder(tasks).map((x) => x.id)).toEqual(["c", "d", "e", "b", "a"]);
  });
});

describe("moving a task", () => {
  const columns = columnsOf(boardOrder([t("a", "todo", "a0"), t("b", "todo", "a1"), t("c", "todo", "a2"), t("x", "done", "a0")]));

  it("within its column: lands at the index, the others keep their order", () => {
    const next = moveWithin(columns, "c", "todo", 0);
    expect(next.todo).toEqual(["c", "a", "b"]);
    expect(next.done).toEqual(["x"]);
  });

  it("to another column: leaves its old one", () => {
    const next = moveWithin(columns, "a", "done", 1);
    expect(next.todo).toEqual(["b", "c"]);
    expect(next.done).toEqual(["x", "a"]);
  });

  it("an index past the end means the end", () => {
    expect(moveWithin(columns, "a", "backlog", 9).backlog).toEqual(["a"]);
  });
});

describe("placementIn: what a drop sends", () => {
  it("after the task above it", () => {
    expect(placementIn(["a", "b", "m", "c"], "m", "todo")).toEqual({ status: "todo", after: "b" });
  });
  it("at the top: before the first", () => {
    expect(placementIn(["m", "a", "b"], "m", "in_progress")).toEqual({ status: "in_progress", before: "a" });
  });
  it("alone in an empty column: the status only", () => {
    expect(placementIn(["m"], "m", "done")).toEqual({ status: "done" });
  });
  it("at the bottom: after the last", () => {
    expect(placementIn(["a", "b", "m"], "m", "todo")).toEqual({ status: "todo", after: "b" });
  });
  it("refuses a column that does not hold the task", () => {
    expect(() => placementIn(["a"], "m", "todo")).toThrow();
  });
});

describe("arrangeTasks: the optimistic board", () => {
  it("follows the columns and gives the moved task its new status", () => {
    const tasks = boardOrder([t("a", "todo", "a0"), t("b", "todo", "a1"), t("x", "done", "a0")]);
    const next = arrangeTasks(tasks, moveWithin(columnsOf(tasks), "b", "done", 0), "b", "done");
    expect(next.map((x) => [x.id, x.status, x.done])).toEqual([
      ["a", "todo", false],
      ["b", "done", true],
      ["x", "done", true],
    ]);
  });
  it("keeps tasks the columns did not know about", () => {
    const tasks = [t("a", "todo", "a0"), t("new", "todo", "a1")];
    const next = arrangeTasks(tasks, { backlog: [], todo: ["a"], in_progress: [], done: [], cancelled: [] }, "a", "todo");
    expect(next.map((x) => x.id)).toEqual(["a", "new"]);
  });
});

describe("due dates", () => {
  it("overdue: past and still open", () => {
    expect(isOverdue({ due_date: "2026-03-01", status: "todo" }, "2026-03-02")).toBe(true);
    expect(isOverdue({ due_date: "2026-03-02", status: "todo" }, "2026-03-02")).toBe(false);
    expect(isOverdue({ due_date: "2026-03-01", status: "done" }, "2026-03-02")).toBe(false);
    expect(isOverdue({ due_date: "2026-03-01", status: "cancelled" }, "2026-03-02")).toBe(false);
    expect(isOverdue({ due_date: null, status: "todo" }, "2026-03-02")).toBe(false);
  });
  it("formats without the year when it is this year's", () => {
    expect(formatDue("2026-03-05", "2026-01-01")).toBe("5 Mar");
    expect(formatDue("2027-03-05", "2026-01-01")).toBe("5 Mar 2027");
  });
});

describe("initialsOf", () => {
  it("first and last name, else the first letter of the email", () => {
    expect(initialsOf("Ann Example")).toBe("AE");
    expect(initialsOf("bob")).toBe("B");
    expect(initialsOf(null, "carol@example.com")).toBe("C");
    expect(initialsOf(null, null)).toBe("?");
  });
});
