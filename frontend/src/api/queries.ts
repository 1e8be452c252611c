import {
  keepPreviousData,
  skipToken,
  QueryClient,
  type Query,
  type QueryKey,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
} from "@tanstack/react-query";
import {
  api,
  type Member,
  type Role,
  type Workspace,
  type Project,
  type ProjectCreate,
  type ProjectPage,
  type ProjectUpdate,
  type Label,
  type LabelCreate,
  type Task,
  type TaskPage,
  type TaskStatus,
  type TaskUpdate,
  type Comment,
  type CommentPage,
  type Notification,
  type NotificationPreferences,
  type NotificationPreferencesUpdate,
  type NotificationPage,
} from "./client";
import { useEffect } from "react";
import { ApiError, problemReason } from "./errors";
import { DEFAULT_LISTING, type ProjectListing } from "./projectListing";
import { refreshAccessToken } from "./session";
import { boardFilters, NO_FILTERS, taskQuery, type TaskFilters } from "./taskFilters";
import { arrangeTasks, boardOrder, STATUSES, type Columns } from "./taskOrder";

/** Query keys, one family per resource; prefixes invalidate whole families. */
export const queryKeys = {
  me: ["me"] as const,
  /** Every project list; one workspace's with its id. */
  projectList: (workspaceId?: string) => (workspaceId ? (["projects", "list", workspaceId] as const) : (["projects", "list"] as const)),
  /** A project's detail (and, as a prefix, everything under it); without an id, every project's. */
  project: (projectId?: string) =>
    projectId === undefined ? (["projects", "detail"] as const) : (["projects", "detail", projectId] as const),
  /** The list's tasks under some filters; without them, every filtered list of the project. */
  tasks: (projectId: string, filters?: TaskFilters) =>
    filters ? (["projects", "detail", projectId, "tasks", filters] as const) : (["projects", "detail", projectId, "tasks"] as const),
  /** Tasks added on the project's page during this visit (never fetched: filled by creation). */
  addedTasks: (projectId: string) => ["projects", "detail", projectId, "added-tasks"] as const,
  /** The board's tasks under some filters in board order (all pages of every column, one entry). */
  boardTasks: (projectId: string, filters?: TaskFilters) =>
    filters
      ? (["projects", "detail", projectId, "board", boardFilters(filters)] as const)
      : (["projects", "detail", projectId, "board"] as const),
  /** What a board's first load has so far, while a column of it has more pages to come. */
  boardFirstPages: (projectId: string, filters: TaskFilters) =>
    ["projects", "detail", projectId, "board-first-pages", boardFilters(filters)] as const,
  /** A task's comments and its history (beside the task's key: its entries hold tasks only). */
  comments: (projectId: string, taskId: string) => ["projects", "detail", projectId, "comments", taskId] as const,
  activity: (projectId: string, taskId?: string) =>
    taskId ? (["projects", "detail", projectId, "activity", taskId] as const) : (["projects", "detail", projectId, "activity"] as const),
  /** A task's detail; without its id, every task detail of the project. */
  task: (projectId: string, taskId?: string) =>
    taskId === undefined
      ? (["projects", "detail", projectId, "task"] as const)
      : (["projects", "detail", projectId, "task", taskId] as const),
  workspaces: ["workspaces", "list"] as const,
  /** With what deleting the account would do to each (GET /workspaces?role=owner). */
  ownedWorkspaces: ["workspaces", "owned"] as const,
  workspace: (workspaceId: string) => ["workspaces", "detail", workspaceId] as const,
  members: (workspaceId: string) => ["workspaces", "detail", workspaceId, "members"] as const,
  /** Every member at once (names for assignees), beside the paged list. */
  allMembers: (workspaceId: string) => ["workspaces", "detail", workspaceId, "all-members"] as const,
  labels: (workspaceId: string) => ["workspaces", "detail", workspaceId, "labels"] as const,
  invitations: (workspaceId: string) => ["workspaces", "detail", workspaceId, "invitations"] as const,
  invitation: (token: string) => ["invitation", token] as const,
  /** A workspace's trash; every workspace's without an id. */
  trash: (workspaceId?: string) => (workspaceId ? (["trash", workspaceId] as const) : (["trash"] as const)),
  /** Search results: a few for the header's dropdown, pages for the results page; without a query, all. */
  search: (q?: string, paged = false) => (q === undefined ? (["search"] as const) : (["search", paged ? "pages" : "top", q] as const)),
  /** My tasks as of a day; without it, every day's. */
  myTasks: (today?: string) => (today === undefined ? (["my-tasks"] as const) : (["my-tasks", today] as const)),
  /** The person's notifications (every query of the notification centre lives under it). */
  notifications: ["notifications"] as const,
  /** The latest few, for the header's bell (with the unread count). */
  latestNotifications: ["notifications", "latest"] as const,
  /** Every page of them, or only the unread ones; without `unread`, both lists. */
  notificationList: (unread?: boolean) =>
    unread === undefined ? (["notifications", "list"] as const) : (["notifications", "list", { unread }] as const),
  /**
   * Outside the notifications' prefix: a new notification refetches the lists, not the
   * settings, so no refetch races a change of them being saved.
   */
  notificationPreferences: ["notification-preferences"] as const,
};

/** The workspace or project a query is of, when its key says (the reverse of `queryKeys`). */
export function scopeOfKey(key: QueryKey): { workspaceId?: string; projectId?: string } {
  const [root, kind, id] = key;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  if (root === "workspaces" && kind === "detail") return { workspaceId: text(id) };
  if (root === "trash") return { workspaceId: text(kind) };
  if (root === "projects" && kind === "list") return { workspaceId: text(id) };
  if (root === "projects" && kind === "detail") return { projectId: text(id) };
  return {};
}

/** A board query's project (`queryKeys.boardTasks`); null for any other query. */
export function boardProjectOf(key: QueryKey): string | null {
  return key[0] === "projects" && key[1] === "detail" && key[3] === "board" && typeof key[2] === "string" ? key[2] : null;
}

/** After a delete or a restore: the trash, search results and My tasks may all have moved. */
function invalidateFindings(qc: QueryClient) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: queryKeys.trash() }),
    qc.invalidateQueries({ queryKey: queryKeys.search() }),
    qc.invalidateQueries({ queryKey: queryKeys.myTasks() }),
  ]);
}

/** The deletions' mutation keys, so a live notice can tell the person's own (`deletedHere`). */
const DELETIONS = { task: ["delete-task"], project: ["delete-project"] } as const;

/**
 * Whether the person deleted this task or project in this tab within the last minute: its
 * page or panel is closing, and asking for it again would only answer 404.
 */
export function deletedHere(qc: QueryClient, kind: "task" | "project", id: string, withinMs = 60_000): boolean {
  const since = Date.now() - withinMs;
  return qc
    .getMutationCache()
    .findAll({ mutationKey: DELETIONS[kind], status: "success" })
    .some((m) => m.state.submittedAt >= since && (m.state.variables as { taskId?: string; projectId?: string })[`${kind}Id`] === id);
}

/** Retry network and server errors twice; a 4xx will not get better by asking again. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.isClientError) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        staleTime: 15_000,
        refetchOnWindowFocus: true,
      },
      // A change is sent at once or fails at once (and is rolled back and reported): never
      // paused offline until later, looking saved while it is not.
      mutations: { retry: false, networkMode: "always" },
    },
  });
}

type ProjectPages = InfiniteData<ProjectPage, string | null>;
type TaskPages = InfiniteData<TaskPage, string | null>;

/** Every cached page with each item replaced by fn's answer, or dropped when it is null. */
function mapPages<T, P extends { items: T[] }>(
  data: InfiniteData<P, string | null> | undefined,
  fn: (item: T) => T | null,
): InfiniteData<P, string | null> | undefined {
  if (!data) return data;
  return {
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.flatMap((item) => {
        const next = fn(item);
        return next ? [next] : [];
      }),
    })),
  };
}

/** Keyset paging as every list endpoint answers it: no cursor first, then each page's `next_cursor`. */
const byCursor = {
  initialPageParam: null as string | null,
  getNextPageParam: (last: { next_cursor: string | null }) => last.next_cursor ?? undefined,
};

/** Every page of a keyset-paged list, fetched in turn (stops early once `signal` aborts). */
async function fetchAllPages<T>(
  fetchPage: (cursor: string | null) => Promise<{ items: T[]; next_cursor: string | null }>,
  signal?: AbortSignal,
  onFirstPage?: (items: T[], more: boolean) => void,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const first = cursor === null;
    const page: { items: T[]; next_cursor: string | null } = await fetchPage(cursor);
    if (first) onFirstPage?.(page.items, page.next_cursor !== null);
    all.push(...page.items);
    cursor = signal?.aborted ? null : page.next_cursor;
  } while (cursor);
  return all;
}

function progressOf(done: number, total: number): number {
  return total === 0 ? 0 : Math.floor((done * 100) / total);
}

// --- account --------------------------------------------------------------------------

export function useMe({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: queryKeys.me, queryFn: () => api.me(), enabled });
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (display_name: string | null) => api.updateMe({ display_name }),
    // The answer is the user as saved: no need to ask again.
    onSuccess: (user) => qc.setQueryData(queryKeys.me, user),
  });
}

// --- projects -------------------------------------------------------------------------

export function useProjects(workspaceId: string, listing: ProjectListing = DEFAULT_LISTING) {
  return useInfiniteQuery({
    queryKey: [...queryKeys.projectList(workspaceId), listing] as const,
    queryFn: ({ pageParam }) => api.listProjects(pageParam, workspaceId, listing),
    ...byCursor,
    // Another search or sort keeps showing the list it had until the new one is there.
    placeholderData: keepPreviousData,
  });
}

/** `enabled` false: not asked (the person's access to its workspace ended meanwhile). */
export function useProject(projectId: string, enabled = true) {
  return useQuery({ queryKey: queryKeys.project(projectId), queryFn: () => api.getProject(projectId), enabled });
}

/** A write the caller may give up on (a dialog closed while it ran). */
interface Abortable {
  signal?: AbortSignal;
}

export function useCreateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ workspaceId, values, signal }: { workspaceId: string; values: ProjectCreate } & Abortable) =>
      api.createProject(workspaceId, values, signal),
    onSuccess: (project) => qc.setQueryData(queryKeys.project(project.id), project),
    // Also after giving up: the server may have created it anyway.
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.projectList() }),
  });
}

/** Edits a project optimistically in its detail and in the list; rolls back on error. */
export function useUpdateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, changes }: { projectId: string; changes: ProjectUpdate }) =>
      api.updateProject(projectId, changes),
    onMutate: async ({ projectId, changes }) => {
      await Promise.all([
        qc.cancelQueries({ queryKey: queryKeys.project(projectId), exact: true }),
        qc.cancelQueries({ queryKey: queryKeys.projectList() }),
      ]);
      const previousDetail = qc.getQueryData<Project>(queryKeys.project(projectId));
      const previousLists = qc.getQueriesData<ProjectPages>({ queryKey: queryKeys.projectList() });
      const apply = (p: Project): Project => ({
        ...p,
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
      });
      if (previousDetail) qc.setQueryData<Project>(queryKeys.project(projectId), apply(previousDetail));
      qc.setQueriesData<ProjectPages>({ queryKey: queryKeys.projectList() }, (old) =>
        mapPages<Project, ProjectPage>(old, (p) => (p.id === projectId ? apply(p) : p)),
      );
      return { previousDetail, previousLists };
    },
    onError: (_error, { projectId }, context) => {
      if (context?.previousDetail) qc.setQueryData(queryKeys.project(projectId), context.previousDetail);
      for (const [key, data] of context?.previousLists ?? []) qc.setQueryData(key, data);
    },
    onSettled: (_data, _error, { projectId }) =>
      Promise.all([
        qc.invalidateQueries({ queryKey: queryKeys.project(projectId), exact: true }),
        qc.invalidateQueries({ queryKey: queryKeys.projectList() }),
      ]),
  });
}

export function useDeleteProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationKey: DELETIONS.project,
    mutationFn: ({ projectId }: { projectId: string }) => api.deleteProject(projectId),
    onSuccess: (_data, { projectId }) => {
      qc.setQueriesData<ProjectPages>({ queryKey: queryKeys.projectList() }, (old) =>
        mapPages<Project, ProjectPage>(old, (p) => (p.id === projectId ? null : p)),
      );
      // Drop its detail and tasks once nobody watches them any more (a project page that
      // showed it navigates away first; removing a watched query would refetch it).
      setTimeout(() => qc.removeQueries({ queryKey: queryKeys.project(projectId), type: "inactive" }), 0);
      return Promise.all([qc.invalidateQueries({ queryKey: queryKeys.projectList() }), invalidateFindings(qc)]);
    },
  });
}

/** A project archived or unarchived: it leaves one of the lists and joins the other. */
export function useArchiveProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, archived }: { projectId: string; archived: boolean }) =>
      api.archiveProject(projectId, archived),
    onSuccess: (project) => {
      qc.setQueryData(queryKeys.project(project.id), project);
      qc.setQueriesData<ProjectPages>({ queryKey: queryKeys.projectList() }, (old) =>
        mapPages<Project, ProjectPage>(old, (p) => (p.id === project.id ? null : p)),
      );
      return Promise.all([qc.invalidateQueries({ queryKey: queryKeys.projectList() }), invalidateFindings(qc)]);
    },
  });
}

/** A project back from the trash (with its tasks): every list that may show it. */
export function useRestoreProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (projectId: string) => api.restoreProject(projectId),
    onSuccess: (project) => qc.setQueryData(queryKeys.project(project.id), project),
    onSettled: (_data, _error, projectId) => invalidateAfterTrashMove(qc, projectId),
  });
}

// --- tasks ----------------------------------------------------------------------------

/**
 * The tasks added on this page since it opened, oldest first. The list is ordered oldest
 * first and paged, so a new task belongs after every unloaded page; the page shows these
 * apart, next to the input, until the person leaves (the cache entry goes with the page).
 */
export function useAddedTasks(projectId: string) {
  return useQuery({
    queryKey: queryKeys.addedTasks(projectId),
    queryFn: () => [] as Task[],
    initialData: [] as Task[],
    enabled: false,
    staleTime: Infinity,
    gcTime: 0,
  });
}

/** Applies fn to the task everywhere the cache holds it (pages, added tasks, board, detail). */
function updateCachedTasks(qc: QueryClient, projectId: string, fn: (task: Task) => Task | null) {
  const each = (old: Task[] | undefined) =>
    old?.flatMap((task) => {
      const next = fn(task);
      return next ? [next] : [];
    });
  qc.setQueriesData<TaskPages>({ queryKey: queryKeys.tasks(projectId) }, (old) => mapPages<Task, TaskPage>(old, fn));
  qc.setQueryData<Task[]>(queryKeys.addedTasks(projectId), each);
  qc.setQueriesData<Task[]>({ queryKey: queryKeys.boardTasks(projectId) }, each);
  for (const [key, task] of qc.getQueriesData<Task>({ queryKey: queryKeys.task(projectId) })) {
    if (task) qc.setQueryData<Task>(key, fn(task) ?? undefined);
  }
}

function cachedTask(qc: QueryClient, projectId: string, taskId: string): Task | undefined {
  const detail = qc.getQueryData<Task>(queryKeys.task(projectId, taskId));
  return detail ?? cachedProjectTasks(qc, projectId).find((t) => t.id === taskId);
}

/** Every copy of the project's tasks the cache holds: list pages, added tasks, boards, details. */
export function cachedProjectTasks(qc: QueryClient, projectId: string): Task[] {
  const loaded = qc
    .getQueriesData<TaskPages>({ queryKey: queryKeys.tasks(projectId) })
    .flatMap(([, data]) => data?.pages.flatMap((p) => p.items) ?? []);
  const added = qc.getQueryData<Task[]>(queryKeys.addedTasks(projectId)) ?? [];
  const board = qc.getQueriesData<Task[]>({ queryKey: queryKeys.boardTasks(projectId) }).flatMap(([, data]) => data ?? []);
  const details = qc
    .getQueriesData<Task>({ queryKey: queryKeys.task(projectId) })
    .flatMap(([, task]) => (task ? [task] : []));
  return [...added, ...loaded, ...board, ...details];
}

/**
 * What the server decided in a write (the new version, when, where), merged into the
 * cached task without touching the fields edits in flight may still be showing.
 */
function serverFields(answer: Task) {
  return (t: Task): Task =>
    t.id === answer.id && answer.version >= t.version
      ? {
          ...t,
          version: answer.version,
          updated_at: answer.updated_at,
          completed_at: answer.completed_at,
          position: answer.position,
        }
      : t;
}

/** The list view's tasks, filtered and sorted as the URL says (one cache entry per filter set). */
export function useTasks(projectId: string, filters: TaskFilters = NO_FILTERS, enabled = true) {
  return useInfiniteQuery({
    queryKey: queryKeys.tasks(projectId, filters),
    queryFn: ({ pageParam }) => api.listTasks(projectId, pageParam, taskQuery(filters)),
    ...byCursor,
    enabled,
  });
}

/** Every page of one status column in position order. */
function fetchColumn(
  projectId: string,
  status: TaskStatus,
  filters: TaskFilters,
  signal: AbortSignal,
  onFirstPage?: (items: Task[], more: boolean) => void,
): Promise<Task[]> {
  const query = { ...taskQuery(boardFilters(filters)), status: [status], sort: "position" as const };
  return fetchAllPages((cursor) => api.listTasks(projectId, cursor, query), signal, onFirstPage);
}

/** A board's first load so far: the columns' first pages, and which columns are whole. */
export interface BoardFirstPages {
  tasks: Task[];
  complete: TaskStatus[];
}

/**
 * The board's tasks under the filters (but every status): each column asked for on its
 * own, in position order, all at once; one list in board order.
 *
 * On the first load, once a column turns out to have more than one page, what has come so
 * far is published under `boardFirstPages` (`useBoardFirstPages`), so a large board shows its
 * first cards while the rest comes; a refetch keeps showing the whole board it has.
 */
export function useBoardTasks(projectId: string, filters: TaskFilters = NO_FILTERS, enabled = true) {
  const qc = useQueryClient();
  const key = queryKeys.boardTasks(projectId, filters);
  return useQuery({
    // The key keeps only what the board uses of the filters (`boardFilters`).
    queryKey: key,
    queryFn: async ({ signal }) => {
      const firstKey = queryKeys.boardFirstPages(projectId, filters);
      const firstLoad = qc.getQueryData(key) === undefined;
      if (firstLoad) qc.setQueryData<BoardFirstPages | null>(firstKey, null);
      const pages: Task[][] = [];
      const complete: TaskStatus[] = [];
      let publishing = false;
      const arrived = (status: TaskStatus, index: number) => (items: Task[], more: boolean) => {
        pages[index] = items;
        if (!more) complete.push(status);
        publishing ||= more;
        if (firstLoad && publishing) {
          const sofar: BoardFirstPages = { tasks: boardOrder(pages.flat()), complete: [...complete] };
          qc.setQueryData<BoardFirstPages | null>(firstKey, sofar);
        }
      };
      const columns = await Promise.all(
        STATUSES.map((status, index) => fetchColumn(projectId, status, filters, signal, arrived(status, index))),
      );
      // Already in order; sorting again keeps the board's order rule in one place.
      return boardOrder(columns.flat());
    },
    enabled,
  });
}

/** What the board's first load has shown so far (null before its first long column). */
export function useBoardFirstPages(projectId: string, filters: TaskFilters = NO_FILTERS) {
  return useQuery<BoardFirstPages | null>({
    queryKey: queryKeys.boardFirstPages(projectId, filters),
    // Never fetched: filled by `useBoardTasks` as its first load goes.
    queryFn: skipToken,
  });
}

export function useTask(projectId: string, taskId: string) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: queryKeys.task(projectId, taskId),
    queryFn: () => api.getTask(projectId, taskId),
    // A card or row already shows it: open with that, then check.
    placeholderData: () => cachedTask(qc, projectId, taskId),
    staleTime: 0,
  });
}

/** Moves the project's counts (and so its progress) in the cache. */
function shiftCounts(qc: QueryClient, projectId: string, { done, tasks }: { done: number; tasks: number }) {
  if (done === 0 && tasks === 0) return;
  qc.setQueryData<Project>(queryKeys.project(projectId), (old) => {
    if (!old) return old;
    const total = Math.max(0, old.task_count + tasks);
    const doneCount = Math.min(total, Math.max(0, old.done_count + done));
    return { ...old, task_count: total, done_count: doneCount, progress: progressOf(doneCount, total) };
  });
}

/**
 * After any task write: the project's counts and everything under it (tasks, boards, the
 * history of its tasks), and the dashboard's counts.
 */
function invalidateAfterTaskWrite(qc: QueryClient, projectId: string, { gone }: { gone?: string } = {}) {
  return Promise.all([
    qc.invalidateQueries({
      queryKey: queryKeys.project(projectId),
      ...(gone ? { predicate: (query) => !isOwnQueryOf(query.queryKey, gone) } : {}),
    }),
    qc.invalidateQueries({ queryKey: queryKeys.projectList() }),
  ]);
}

/** The task's own queries: its detail, comments and history (`queryKeys.task`, …). */
function isOwnQueryOf(key: QueryKey, taskId: string): boolean {
  return ["task", "comments", "activity"].includes(key[3] as string) && key[4] === taskId;
}

/**
 * A task gone to the trash: its own queries are not asked again (they would only answer
 * 404 to a panel that is closing) and are dropped once nothing shows them.
 */
function forgetTask(qc: QueryClient, projectId: string, taskId: string) {
  const own = { queryKey: queryKeys.project(projectId), predicate: (query: Query) => isOwnQueryOf(query.queryKey, taskId) };
  void qc.cancelQueries(own);
  setTimeout(() => qc.removeQueries({ ...own, type: "inactive" }), 0);
}

/**
 * After a project or a task goes to the trash or comes back: its project and every list
 * of projects, and the trash, search results and My tasks.
 */
function invalidateAfterTrashMove(qc: QueryClient, projectId: string, options: { gone?: string } = {}) {
  return Promise.all([invalidateAfterTaskWrite(qc, projectId, options), invalidateFindings(qc)]);
}

export function useCreateTask(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (title: string) => api.createTask(projectId, title),
    onSuccess: (task) => {
      qc.setQueryData<Task[]>(queryKeys.addedTasks(projectId), (old = []) => [...old, task]);
      // New tasks go to the end of their column (the server's rule): the board shows it there at once,
      // unless a refetch (after a live notice) brought it first. A filtered board learns
      // whether it matches when it refetches.
      qc.setQueryData<Task[]>(queryKeys.boardTasks(projectId, NO_FILTERS), (old) =>
        old && !old.some((t) => t.id === task.id) ? boardOrder([...old, task]) : old,
      );
    },
    onSettled: () => invalidateAfterTaskWrite(qc, projectId),
  });
}

/** The status a task will have after `changes` (the `done` shortcut included). */
function nextStatus(before: Task, changes: TaskUpdate): TaskStatus {
  if (changes.status) return changes.status;
  if (changes.done === true) return "done";
  if (changes.done === false && before.status === "done") return "todo";
  return before.status;
}

const counted = (s: TaskStatus) => (s === "cancelled" ? 0 : 1);

/** How the project's counts move when a task goes from one status to another. */
function countsDelta(from: TaskStatus, to: TaskStatus) {
  return { done: Number(to === "done") - Number(from === "done"), tasks: counted(to) - counted(from) };
}

/**
 * Whether the mutation settling now is the last of those under `mutationKey` in flight:
 * while others are, what it brings back would overwrite their optimistic state, so only
 * the last one to settle (which sent after them all) writes the cache.
 */
function settlingLast(qc: QueryClient, mutationKey: readonly unknown[]): boolean {
  return qc.isMutating({ mutationKey }) <= 1;
}

/** After an edit of this project's tasks: the last one in flight refetches for all. */
function refetchAfterLastEdit(qc: QueryClient, projectId: string) {
  if (settlingLast(qc, ["update-task", projectId])) return invalidateAfterTaskWrite(qc, projectId);
}

/**
 * An edit of a task's fields. `checked`: sent with If-Match of the version the cache holds
 * when the request leaves, so a change someone else made meanwhile answers 412 instead of
 * being overwritten; or of `version`, the one the person started editing from (live
 * updates may have brought a newer one into the cache while they typed).
 */
export interface TaskEdit {
  taskId: string;
  changes: Omit<TaskUpdate, "after" | "before">;
  checked?: boolean;
  version?: number;
}

type EditHandlers = { onError?(error: unknown, edit: TaskEdit): void; onSettled?(edit: TaskEdit): void };

/**
 * Edits a task optimistically: the task and the project's progress change at once and
 * go back as they were if the server refuses.
 */
function useTaskEditMutation(projectId: string, handlers: EditHandlers, scoped: boolean) {
  const qc = useQueryClient();
  return useMutation({
    mutationKey: ["update-task", projectId],
    // Checked edits of one project run one after another, so each is sent with the version
    // its predecessor produced, not the one both started from.
    ...(scoped ? { scope: { id: `edit-tasks:${projectId}` } } : {}),
    mutationFn: ({ taskId, changes, checked = false, version }: TaskEdit) =>
      api.updateTask(
        projectId,
        taskId,
        changes,
        checked ? (version ?? cachedTask(qc, projectId, taskId)?.version ?? null) : null,
      ),
    onMutate: async ({ taskId, changes }) => {
      await Promise.all([
        qc.cancelQueries({ queryKey: queryKeys.tasks(projectId) }),
        qc.cancelQueries({ queryKey: queryKeys.boardTasks(projectId) }),
        qc.cancelQueries({ queryKey: queryKeys.task(projectId, taskId) }),
        qc.cancelQueries({ queryKey: queryKeys.project(projectId), exact: true }),
      ]);
      const before = cachedTask(qc, projectId, taskId);
      if (!before) return { revert: null, counts: { done: 0, tasks: 0 } };

      const status = nextStatus(before, changes);
      const applied: Partial<Task> = { ...changes, status, done: status === "done" };
      // What to put back on error: only the fields this edit changed, so a failure does
      // not undo other edits made meanwhile.
      const revert: Partial<Task> = {};
      for (const key of Object.keys(applied) as (keyof Task)[]) Object.assign(revert, { [key]: before[key] });
      const counts = countsDelta(before.status, status);
      updateCachedTasks(qc, projectId, (t) => (t.id === taskId ? { ...t, ...applied } : t));
      shiftCounts(qc, projectId, counts);
      return { revert, counts };
    },
    onSuccess: (answer) => updateCachedTasks(qc, projectId, serverFields(answer)),
    // Hook-level callbacks run for every edit (mutate()'s own only for the latest one),
    // so several quick toggles each get their rollback and their report.
    onError: (error, edit, context) => {
      if (context?.revert) {
        const revert = context.revert;
        updateCachedTasks(qc, projectId, (t) => (t.id === edit.taskId ? { ...t, ...revert } : t));
        shiftCounts(qc, projectId, { done: -context.counts.done, tasks: -context.counts.tasks });
      }
      handlers.onError?.(error, edit);
    },
    onSettled: (_data, _error, edit) => {
      handlers.onSettled?.(edit);
      return refetchAfterLastEdit(qc, projectId);
    },
  });
}

/** Quick edits from the list (toggle, rename, status...): the last write wins. */
export function useUpdateTask(projectId: string, handlers: EditHandlers = {}) {
  return useTaskEditMutation(projectId, handlers, false);
}

/** The task panel's edits: checked with If-Match when `checked`, one after another. */
export function useEditTask(projectId: string, handlers: EditHandlers = {}) {
  return useTaskEditMutation(projectId, handlers, true);
}

/** A drop on the board: the task's column and neighbour as `placementIn` computed them. */
export interface TaskMove {
  taskId: string;
  status: TaskStatus;
  after?: string;
  before?: string;
}

/**
 * Board moves: `move` rearranges the cached board at once (as the drop left it) and sends
 * the PATCH with If-Match; a refusal puts the board back as it was and reports.
 */
export function useMoveTask(
  projectId: string,
  filters: TaskFilters,
  onError: (error: unknown, move: TaskMove) => void,
) {
  const qc = useQueryClient();
  const boardKey = queryKeys.boardTasks(projectId, filters);
  const mutation = useMutation({
    mutationKey: ["update-task", projectId],
    scope: { id: `edit-tasks:${projectId}` },
    mutationFn: ({ move }: { move: TaskMove; previous: Task[] | undefined }) =>
      api.updateTask(
        projectId,
        move.taskId,
        { status: move.status, ...(move.after ? { after: move.after } : {}), ...(move.before ? { before: move.before } : {}) },
        cachedTask(qc, projectId, move.taskId)?.version ?? null,
      ),
    onSuccess: (answer) => updateCachedTasks(qc, projectId, serverFields(answer)),
    onError: (error, { move, previous }) => {
      if (previous) qc.setQueryData(boardKey, previous);
      onError(error, move);
    },
    onSettled: () => refetchAfterLastEdit(qc, projectId),
  });
  return {
    ...mutation,
    move(move: TaskMove, columns: Columns) {
      const previous = qc.getQueryData<Task[]>(boardKey);
      const before = cachedTask(qc, projectId, move.taskId);
      void qc.cancelQueries({ queryKey: queryKeys.boardTasks(projectId) });
      if (previous) qc.setQueryData(boardKey, arrangeTasks(previous, columns, move.taskId, move.status));
      if (before && before.status !== move.status) {
        updateCachedTasks(qc, projectId, (t) =>
          t.id === move.taskId ? { ...t, status: move.status, done: move.status === "done" } : t,
        );
        shiftCounts(qc, projectId, countsDelta(before.status, move.status));
      }
      mutation.mutate({ move, previous });
    },
  };
}

export function useDeleteTask(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationKey: DELETIONS.task,
    mutationFn: ({ taskId }: { taskId: string }) => api.deleteTask(projectId, taskId),
    onSuccess: (_data, { taskId }) => {
      updateCachedTasks(qc, projectId, (t) => (t.id === taskId ? null : t));
      forgetTask(qc, projectId, taskId);
      return invalidateAfterTrashMove(qc, projectId, { gone: taskId });
    },
    // Refused: whatever the server now says, including about the task itself.
    onError: () => invalidateAfterTrashMove(qc, projectId),
  });
}

/** A task back from the trash: it returns at the end of its status column. */
export function useRestoreTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, taskId }: { projectId: string; taskId: string }) => api.restoreTask(projectId, taskId),
    onSettled: (_data, _error, { projectId }) => invalidateAfterTrashMove(qc, projectId),
  });
}

// --- trash, search, My tasks ----------------------------------------------------------

export function useTrash(workspaceId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.trash(workspaceId),
    queryFn: ({ pageParam }) => api.listTrash(workspaceId, pageParam),
    ...byCursor,
    staleTime: 0,
  });
}

// --- comments and activity -----------------------------------------------------------

/** A task's comments, oldest first; later pages are newer ones. */
export function useComments(projectId: string, taskId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.comments(projectId, taskId),
    queryFn: ({ pageParam }) => api.listComments(projectId, taskId, pageParam),
    ...byCursor,
  });
}

/** A task's history, newest first. */
export function useActivity(projectId: string, taskId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.activity(projectId, taskId),
    queryFn: ({ pageParam }) => api.listActivity(projectId, taskId, pageParam),
    ...byCursor,
    staleTime: 0,
  });
}

/** The shortest query the API answers (shorter ones are a 422). */
export const MIN_QUERY_LENGTH = 2;

/** The first few results, for the header's dropdown; nothing asked below two characters. */
export function useQuickSearch(q: string, limit = 8) {
  return useQuery({
    queryKey: queryKeys.search(q, false),
    queryFn: ({ signal }) => api.search(q, { limit, signal }),
    enabled: q.length >= MIN_QUERY_LENGTH,
    placeholderData: (previous) => previous,
    staleTime: 30_000,
  });
}

export function useSearchPages(q: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.search(q, true),
    queryFn: ({ pageParam, signal }) => api.search(q, { cursor: pageParam, signal }),
    ...byCursor,
    enabled: q.length >= MIN_QUERY_LENGTH,
  });
}

export function useMyTasks(today: string) {
  return useQuery({ queryKey: queryKeys.myTasks(today), queryFn: () => api.myTasks(today), staleTime: 0 });
}

type CommentPages = InfiniteData<CommentPage, string | null>;

/**
 * After a comment is written: the comments, the task's history and its comment count
 * (the task, and the lists and boards that show the count).
 */
function invalidateAfterComment(qc: QueryClient, projectId: string, taskId: string) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: queryKeys.comments(projectId, taskId) }),
    qc.invalidateQueries({ queryKey: queryKeys.activity(projectId, taskId) }),
    qc.invalidateQueries({ queryKey: queryKeys.task(projectId, taskId) }),
    qc.invalidateQueries({ queryKey: queryKeys.tasks(projectId) }),
    qc.invalidateQueries({ queryKey: queryKeys.boardTasks(projectId) }),
  ]);
}

function shiftCommentCount(qc: QueryClient, projectId: string, taskId: string, by: number) {
  updateCachedTasks(qc, projectId, (t) =>
    t.id === taskId ? { ...t, comment_count: Math.max(0, t.comment_count + by) } : t,
  );
}

export function useAddComment(projectId: string, taskId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: string) => api.addComment(projectId, taskId, body),
    onSuccess: (comment) => {
      // Shown at once at the end (the newest), where the refetch will also put it.
      qc.setQueryData<CommentPages>(queryKeys.comments(projectId, taskId), (old) => {
        if (!old) return old;
        const last = old.pages.at(-1);
        if (!last) return old;
        return { ...old, pages: [...old.pages.slice(0, -1), { ...last, items: [...last.items, comment] }] };
      });
      shiftCommentCount(qc, projectId, taskId, 1);
    },
    onSettled: () => invalidateAfterComment(qc, projectId, taskId),
  });
}

export function useEditComment(projectId: string, taskId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ commentId, body }: { commentId: string; body: string }) =>
      api.editComment(projectId, taskId, commentId, body),
    onSuccess: (comment) =>
      qc.setQueryData<CommentPages>(queryKeys.comments(projectId, taskId), (old) =>
        mapPages<Comment, CommentPage>(old, (c) => (c.id === comment.id ? comment : c)),
      ),
    onSettled: () => invalidateAfterComment(qc, projectId, taskId),
  });
}

export function useDeleteComment(projectId: string, taskId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (commentId: string) => api.deleteComment(projectId, taskId, commentId),
    onSuccess: (_data, commentId) => {
      qc.setQueryData<CommentPages>(queryKeys.comments(projectId, taskId), (old) =>
        mapPages<Comment, CommentPage>(old, (c) => (c.id === commentId ? null : c)),
      );
      shiftCommentCount(qc, projectId, taskId, -1);
    },
    onSettled: () => invalidateAfterComment(qc, projectId, taskId),
  });
}

// --- workspaces -----------------------------------------------------------------------

export function useWorkspaces() {
  return useQuery({ queryKey: queryKeys.workspaces, queryFn: () => api.listWorkspaces() });
}

/** The caller's owned workspaces with what deleting the account would do to each. */
export function useOwnedWorkspaces() {
  return useQuery({ queryKey: queryKeys.ownedWorkspaces, queryFn: () => api.listWorkspaces(true), staleTime: 0 });
}

/** `enabled` false: not asked (the person's access to it ended meanwhile). */
export function useWorkspace(workspaceId: string, enabled = true) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: queryKeys.workspace(workspaceId),
    queryFn: () => api.getWorkspace(workspaceId),
    enabled,
    // The switcher's list already knows it: show that at once, then check.
    placeholderData: () => qc.getQueryData<Workspace[]>(queryKeys.workspaces)?.find((w) => w.id === workspaceId),
  });
}

/**
 * A project or workspace answered 404: it is gone, or the person was removed from its
 * workspace. Either way the list of their workspaces (the switcher) may be out of date.
 */
export function useForgetWorkspacesWhenMissing(missing: boolean) {
  const qc = useQueryClient();
  useEffect(() => {
    if (missing) void qc.invalidateQueries({ queryKey: queryKeys.workspaces });
  }, [qc, missing]);
}

/** Anything about workspaces (lists, details, members) may have changed. */
function invalidateWorkspaces(qc: QueryClient) {
  return qc.invalidateQueries({ queryKey: ["workspaces"] });
}

export function useCreateWorkspace() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, signal }: { name: string } & Abortable) => api.createWorkspace(name, signal),
    onSuccess: (workspace) => qc.setQueryData(queryKeys.workspace(workspace.id), workspace),
    onSettled: () => invalidateWorkspaces(qc),
  });
}

export function useRenameWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.renameWorkspace(workspaceId, name),
    onSuccess: (workspace) => qc.setQueryData(queryKeys.workspace(workspaceId), workspace),
    onSettled: () => invalidateWorkspaces(qc),
  });
}

/** After a workspace is deleted or left: its projects go from every list. */
function forgetWorkspace(qc: QueryClient, workspaceId: string) {
  qc.setQueryData<Workspace[]>(queryKeys.workspaces, (old) => old?.filter((w) => w.id !== workspaceId));
  setTimeout(() => qc.removeQueries({ queryKey: queryKeys.workspace(workspaceId), type: "inactive" }), 0);
  return Promise.all([invalidateWorkspaces(qc), qc.invalidateQueries({ queryKey: ["projects"] })]);
}

export function useDeleteWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ signal }: Abortable) => api.deleteWorkspace(workspaceId, signal),
    onSuccess: () => forgetWorkspace(qc, workspaceId),
  });
}

export function useLeaveWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ signal }: Abortable) => api.leaveWorkspace(workspaceId, signal),
    onSuccess: () => forgetWorkspace(qc, workspaceId),
  });
}

// --- members and invitations ----------------------------------------------------------

export function useMembers(workspaceId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.members(workspaceId),
    queryFn: ({ pageParam }) => api.listMembers(workspaceId, pageParam),
    ...byCursor,
  });
}

/** Every member of the workspace (all pages): the people a task can be assigned to. */
export function useAllMembers(workspaceId: string | undefined) {
  return useQuery({
    queryKey: queryKeys.allMembers(workspaceId ?? ""),
    queryFn: ({ signal }) => fetchAllPages((cursor) => api.listMembers(workspaceId!, cursor), signal),
    enabled: !!workspaceId,
    staleTime: 60_000,
  });
}

export function useLabels(workspaceId: string | undefined) {
  return useQuery({
    queryKey: queryKeys.labels(workspaceId ?? ""),
    queryFn: () => api.listLabels(workspaceId!),
    enabled: !!workspaceId,
    staleTime: 60_000,
  });
}

export function useCreateLabel(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (label: LabelCreate) => api.createLabel(workspaceId, label),
    onSuccess: (label) => qc.setQueryData<Label[]>(queryKeys.labels(workspaceId), (old = []) => [...old, label]),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.labels(workspaceId) }),
  });
}

export function useInvitations(workspaceId: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: queryKeys.invitations(workspaceId),
    queryFn: ({ pageParam }) => api.listInvitations(workspaceId, pageParam),
    ...byCursor,
    enabled,
  });
}

/** Members, roles, counts and the caller's own role may all have moved. */
function invalidateMembership(qc: QueryClient, workspaceId: string) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: queryKeys.workspace(workspaceId) }),
    qc.invalidateQueries({ queryKey: queryKeys.workspaces }),
    // Projects carry the caller's role (my_role): after a transfer it changed.
    qc.invalidateQueries({ queryKey: ["projects"] }),
  ]);
}

export function useChangeRole(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) => api.changeRole(workspaceId, userId, role),
    onSuccess: (member) =>
      qc.setQueryData<InfiniteData<{ items: Member[]; next_cursor: string | null }, string | null>>(
        queryKeys.members(workspaceId),
        (old) => mapPages<Member, { items: Member[]; next_cursor: string | null }>(old, (m) => (m.user_id === member.user_id ? member : m)),
      ),
    onSettled: () => invalidateMembership(qc, workspaceId),
  });
}

export function useRemoveMember(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, signal }: { userId: string } & Abortable) => api.removeMember(workspaceId, userId, signal),
    onSettled: () => invalidateMembership(qc, workspaceId),
  });
}

export function useTransferOwnership(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, signal }: { userId: string } & Abortable) => api.transferOwnership(workspaceId, userId, signal),
    onSettled: () => invalidateMembership(qc, workspaceId),
  });
}

export function useInvite(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ email, role, signal }: { email: string; role: Role } & Abortable) =>
      api.invite(workspaceId, { email, role }, signal),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.invitations(workspaceId) }),
  });
}

export function useRevokeInvitation(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ invitationId, signal }: { invitationId: string } & Abortable) =>
      api.revokeInvitation(workspaceId, invitationId, signal),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.invitations(workspaceId) }),
  });
}

export function useInvitationPreview(token: string) {
  return useQuery({ queryKey: queryKeys.invitation(token), queryFn: () => api.previewInvitation(token) });
}

export function useAcceptInvitation(token: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        return await api.acceptInvitation(token);
      } catch (error) {
        // Confirmed since this access token was issued (the mailed link, maybe in another
        // tab): a new token says so, and the acceptance is asked again once with it.
        if (problemReason(error) !== "email_unverified" || !(await refreshAccessToken())) throw error;
        return api.acceptInvitation(token);
      }
    },
    onSuccess: (workspace) => {
      qc.setQueryData(queryKeys.workspace(workspace.id), workspace);
      return Promise.all([invalidateWorkspaces(qc), qc.invalidateQueries({ queryKey: ["projects"] })]);
    },
  });
}

// --- notifications ----------------------------------------------------------------

/** How many notifications the bell's panel shows. */
export const LATEST_NOTIFICATIONS = 8;

/** The latest notifications and how many are unread in all (the header's bell). */
export function useLatestNotifications() {
  return useQuery({
    queryKey: queryKeys.latestNotifications,
    queryFn: () => api.listNotifications(null, { limit: LATEST_NOTIFICATIONS }),
  });
}

/** Every notification (or the unread ones), page by page (the notifications page). */
export function useNotifications(unread: boolean) {
  return useInfiniteQuery({
    queryKey: queryKeys.notificationList(unread),
    queryFn: ({ pageParam }) => api.listNotifications(pageParam, { unread }),
    ...byCursor,
  });
}

type NotificationPages = InfiniteData<NotificationPage, string | null>;

/**
 * Marks notifications read in every cached list of them (`id`: that one; none: all) and
 * lowers the unread counts to match, until the server's answer comes back in.
 */
function markReadInCache(qc: QueryClient, id?: string) {
  const now = new Date().toISOString();
  const read = (n: Notification): Notification => (n.read_at || (id !== undefined && n.id !== id) ? n : { ...n, read_at: now });
  const page = (p: NotificationPage, drop: number): NotificationPage => {
    const count = id === undefined ? 0 : Math.max(0, p.unread_count - drop);
    return { ...p, items: p.items.map(read), unread_count: count };
  };
  // Whether the cache shows the one marked as unread (then the counts drop by one).
  const all = [
    ...(qc.getQueryData<NotificationPage>(queryKeys.latestNotifications)?.items ?? []),
    ...qc.getQueriesData<NotificationPages>({ queryKey: queryKeys.notificationList() }).flatMap(([, d]) => d?.pages.flatMap((p) => p.items) ?? []),
  ];
  const drop = id !== undefined && all.some((n) => n.id === id && !n.read_at) ? 1 : 0;
  qc.setQueryData<NotificationPage>(queryKeys.latestNotifications, (old) => (old ? page(old, drop) : old));
  qc.setQueriesData<NotificationPages>({ queryKey: queryKeys.notificationList() }, (old) =>
    old ? { ...old, pages: old.pages.map((p) => page(p, drop)) } : old,
  );
}

/** Optimistic read marks: the bell's count falls at once; every list is asked again after. */
function useMarkRead<V>(send: (variables: V) => Promise<void>, which: (variables: V) => string | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: send,
    onMutate: async (variables: V) => {
      await qc.cancelQueries({ queryKey: queryKeys.notifications });
      const previous = qc.getQueriesData<unknown>({ queryKey: queryKeys.notifications });
      markReadInCache(qc, which(variables));
      return { previous };
    },
    onError: (_error, _variables, context) => {
      for (const [key, data] of context?.previous ?? []) qc.setQueryData(key, data);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.notifications }),
  });
}

export function useMarkNotificationRead() {
  return useMarkRead((id: string) => api.markNotificationRead(id), (id) => id);
}

export function useMarkAllNotificationsRead() {
  return useMarkRead(() => api.markAllNotificationsRead(), () => undefined);
}

/** Which kinds of notification show in the app, which are mailed, and how often mail comes. */
export function useNotificationPreferences() {
  return useQuery({ queryKey: queryKeys.notificationPreferences, queryFn: () => api.notificationPreferences() });
}

/** The preferences once `change` is saved: what it names is replaced, the rest stays. */
export function withPreferenceChange(
  previous: NotificationPreferences,
  change: NotificationPreferencesUpdate,
): NotificationPreferences {
  return {
    kinds: { ...previous.kinds, ...change.kinds },
    mail: { ...previous.mail, ...change.mail },
    mail_frequency: change.mail_frequency ?? previous.mail_frequency,
  };
}

/**
 * Saves a change to the preferences optimistically; rolls back when the save fails. Of
 * changes in quick succession, the last answer (which has them all) is the one kept.
 */
export function useUpdateNotificationPreferences() {
  const qc = useQueryClient();
  const key = queryKeys.notificationPreferences;
  return useMutation({
    mutationKey: key,
    mutationFn: (change: NotificationPreferencesUpdate) => api.updateNotificationPreferences(change),
    onMutate: async (change) => {
      await qc.cancelQueries({ queryKey: key });
      const previous = qc.getQueryData<NotificationPreferences>(key);
      if (previous) qc.setQueryData<NotificationPreferences>(key, withPreferenceChange(previous, change));
      return { previous };
    },
    onError: (_error, _change, context) => {
      if (context?.previous) qc.setQueryData(key, context.previous);
    },
    onSuccess: (saved) => {
      if (settlingLast(qc, key)) qc.setQueryData(key, saved);
    },
  });
}
