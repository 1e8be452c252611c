// The board's order of tasks and what a drop asks the server for: pure functions, no React.
import type { Task, TaskPriority, TaskStatus } from "./client";

export const STATUSES: readonly TaskStatus[] = ["backlog", "todo", "in_progress", "done", "cancelled"];

export const STATUS_NAMES: Record<TaskStatus, string> = {
  backlog: "Backlog",
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
  cancelled: "Cancelled",
};

export const PRIORITIES: readonly TaskPriority[] = ["none", "low", "medium", "high", "urgent"];

export const PRIORITY_NAMES: Record<TaskPriority, string> = {
  none: "No priority",
  low: "Low",
  medium: "Medium",
  high: "High",
  urgent: "Urgent",
};

/** The server orders positions by their bytes (ASCII keys): a plain comparison, never a locale's. */
function comparePositions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Tasks as the board shows them: by status column, then by position within it. */
export function boardOrder(tasks: readonly Task[]): Task[] {
  const rank = (t: Task) => STATUSES.indexOf(t.status);
  return [...tasks].sort(
    (a, b) => rank(a) - rank(b) || comparePositions(a.position, b.position) || comparePositions(a.id, b.id),
  );
}

export type Columns = Record<TaskStatus, string[]>;

/** The task ids of each column, in the order of `tasks` (already in board order). */
export function columnsOf(tasks: readonly Task[]): Columns {
  const columns: Columns = { backlog: [], todo: [], in_progress: [], done: [], cancelled: [] };
  for (const t of tasks) columns[t.status].push(t.id);
  return columns;
}

/** The column holding a task id, if any. */
export function columnOf(columns: Columns, id: string): TaskStatus | undefined {
  return STATUSES.find((s) => columns[s].includes(id));
}

/** Columns with `taskId` taken out of wherever it is and put at `index` of `status`. */
export function moveWithin(columns: Columns, taskId: string, status: TaskStatus, index: number): Columns {
  const next = { ...columns };
  for (const s of STATUSES) if (columns[s].includes(taskId)) next[s] = columns[s].filter((id) => id !== taskId);
  const target = [...next[status]];
  target.splice(Math.max(0, Math.min(index, target.length)), 0, taskId);
  next[status] = target;
  return next;
}

/** What a PATCH sends to put a task where it now is in its column. */
export interface Placement {
  status: TaskStatus;
  after?: string;
  before?: string;
}

/**
 * The anchor for a task at its place in `column` (the column's ids after the drop): the
 * task just above it, else the one just below, else none (an empty column: its end).
 * One anchor, not both: the server finds the other neighbour itself, so two people moving
 * tasks into the same gap at once both land where they asked.
 */
export function placementIn(column: readonly string[], taskId: string, status: TaskStatus): Placement {
  const index = column.indexOf(taskId);
  if (index < 0) throw new Error(`task ${taskId} is not in the ${status} column`);
  if (index > 0) return { status, after: column[index - 1]! };
  if (index + 1 < column.length) return { status, before: column[index + 1]! };
  return { status };
}

/**
 * The cached tasks rearranged to match `columns` (the moved task taking `status`): the
 * optimistic picture of a drop, until the server's order comes back.
 */
export function arrangeTasks(tasks: readonly Task[], columns: Columns, movedId: string, status: TaskStatus): Task[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const placed = new Set<string>();
  const out: Task[] = [];
  for (const s of STATUSES) {
    for (const id of columns[s]) {
      const task = byId.get(id);
      if (!task || placed.has(id)) continue;
      placed.add(id);
      out.push(id === movedId ? { ...task, status, done: status === "done" } : task);
    }
  }
  // Anything the columns did not know (added meanwhile) keeps its place at the end.
  for (const t of tasks) if (!placed.has(t.id)) out.push(t);
  return out;
}

/** Today as the date inputs write it (YYYY-MM-DD), in the person's time zone. */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Past its due date and still open (done and cancelled tasks are never overdue). */
export function isOverdue(task: Pick<Task, "due_date" | "status">, today: string = localToday()): boolean {
  return !!task.due_date && task.due_date < today && task.status !== "done" && task.status !== "cancelled";
}

/** "3 Mar" (or "3 Mar 2027" when not this year) for a YYYY-MM-DD date. */
export function formatDue(date: string, today: string = localToday()): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const sameYear = today.startsWith(`${y}-`);
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** One or two letters for a person: "Ann Example" → "AE", "bob@example.com" → "B". */
export function initialsOf(name: string | null | undefined, email?: string | null): string {
  const source = name?.trim() || email?.trim() || "?";
  const words = source.split(/[\s@._-]+/).filter(Boolean);
  if (name?.trim() && words.length > 1) return (words[0]![0]! + words[words.length - 1]![0]!).toUpperCase();
  return (words[0]?.[0] ?? "?").toUpperCase();
}
