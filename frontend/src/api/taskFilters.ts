/**
 * The project page's task filters, kept in the URL's query string beside `view` so a
 * filtered view is a link (and survives a reload). One shape for both views: the board
 * ignores `status` and `sort` (its columns are the statuses, in position order).
 */
import type { TaskPriority, TaskStatus } from "./client";
import { PRIORITIES, STATUSES } from "./taskOrder";

export type TaskSort = "position" | "due_date" | "priority" | "created" | "updated";
export type SortOrder = "asc" | "desc";

export const SORTS: readonly TaskSort[] = ["created", "updated", "position", "due_date", "priority"];
export const SORT_NAMES: Record<TaskSort, string> = {
  created: "Created",
  updated: "Last updated",
  position: "Board order",
  due_date: "Due date",
  priority: "Priority",
};

export interface TaskFilters {
  status: TaskStatus[];
  /** `me`, `none` or a user id. */
  assignee: string[];
  /** Label ids. */
  label: string[];
  priority: TaskPriority[];
  overdue: boolean;
  /** Title contains (trimmed; empty: no text filter). */
  q: string;
  sort: TaskSort | null;
  order: SortOrder | null;
}

export const NO_FILTERS: TaskFilters = {
  status: [],
  assignee: [],
  label: [],
  priority: [],
  overdue: false,
  q: "",
  sort: null,
  order: null,
};

/** The search params the filters own (everything else, like `view`, is left alone). */
const FILTER_PARAMS = ["status", "assignee", "label", "priority", "overdue", "q", "sort", "order"] as const;

/** `value` if it is one of `allowed`, else null (a URL says anything). */
export function oneOf<T extends string>(allowed: readonly T[], value: string | null): T | null {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

/** Distinct values in a stable order, so equal filters make equal URLs and cache keys. */
function distinct<T extends string>(values: Iterable<T>, order?: readonly T[]): T[] {
  const unique = [...new Set(values)];
  return order ? order.filter((v) => unique.includes(v)) : unique.sort();
}

/** The filters a URL says; unknown values are ignored rather than sent to the API. */
export function filtersFromParams(params: URLSearchParams): TaskFilters {
  const statuses = params.getAll("status").filter((s): s is TaskStatus => oneOf(STATUSES, s) !== null);
  const priorities = params.getAll("priority").filter((p): p is TaskPriority => oneOf(PRIORITIES, p) !== null);
  return {
    status: distinct(statuses, STATUSES),
    assignee: distinct(params.getAll("assignee").filter(Boolean)),
    label: distinct(params.getAll("label").filter(Boolean)),
    priority: distinct(priorities, PRIORITIES),
    overdue: params.get("overdue") === "true",
    q: (params.get("q") ?? "").trim(),
    sort: oneOf(SORTS, params.get("sort")),
    order: oneOf(["asc", "desc"] as const, params.get("order")),
  };
}

/** `params` with the filters' part replaced by `filters` (empty ones leave no trace). */
export function paramsWithFilters(params: URLSearchParams, filters: TaskFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of FILTER_PARAMS) next.delete(name);
  for (const s of filters.status) next.append("status", s);
  for (const a of filters.assignee) next.append("assignee", a);
  for (const l of filters.label) next.append("label", l);
  for (const p of filters.priority) next.append("priority", p);
  if (filters.overdue) next.set("overdue", "true");
  if (filters.q.trim()) next.set("q", filters.q.trim());
  if (filters.sort) next.set("sort", filters.sort);
  if (filters.order) next.set("order", filters.order);
  return next;
}

/** What the board uses of the filters: the columns are the statuses, in board order. */
export function boardFilters(filters: TaskFilters): TaskFilters {
  return { ...filters, status: [], sort: null, order: null };
}

/** How many filters are set (for the phone's "Filters (2)" disclosure). */
export function filterCount(filters: TaskFilters, view: "list" | "board" = "list"): number {
  return (
    (view === "list" ? Number(filters.status.length > 0) : 0) +
    Number(filters.assignee.length > 0) +
    Number(filters.label.length > 0) +
    Number(filters.priority.length > 0) +
    Number(filters.overdue) +
    Number(filters.q !== "")
  );
}

/** Whether anything narrows the tasks (sorting does not). */
export function isFiltered(filters: TaskFilters, view: "list" | "board" = "list"): boolean {
  return filterCount(filters, view) > 0;
}

/** GET /projects/{id}/tasks query parameters for the filters (nothing for empty ones). */
export function taskQuery(filters: TaskFilters) {
  return {
    ...(filters.status.length ? { status: filters.status } : {}),
    ...(filters.assignee.length ? { assignee: filters.assignee } : {}),
    ...(filters.label.length ? { label: filters.label } : {}),
    ...(filters.priority.length ? { priority: filters.priority } : {}),
    ...(filters.overdue ? { overdue: true } : {}),
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.sort ? { sort: filters.sort } : {}),
    ...(filters.order ? { order: filters.order } : {}),
  };
}
