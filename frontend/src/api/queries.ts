import {
  QueryClient,
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
  type Task,
  type TaskPage,
} from "./client";
import { useEffect } from "react";
import { ApiError } from "./errors";

/** Query keys, one family per resource; prefixes invalidate whole families. */
export const queryKeys = {
  me: ["me"] as const,
  /** Every project list; one workspace's with its id. */
  projectList: (workspaceId?: string) => (workspaceId ? (["projects", "list", workspaceId] as const) : (["projects", "list"] as const)),
  project: (projectId: string) => ["projects", "detail", projectId] as const,
  tasks: (projectId: string) => ["projects", "detail", projectId, "tasks"] as const,
  /** Tasks added on the project's page during this visit (never fetched: filled by creation). */
  addedTasks: (projectId: string) => ["projects", "detail", projectId, "added-tasks"] as const,
  workspaces: ["workspaces", "list"] as const,
  /** With what deleting the account would do to each (GET /workspaces?role=owner). */
  ownedWorkspaces: ["workspaces", "owned"] as const,
  workspace: (workspaceId: string) => ["workspaces", "detail", workspaceId] as const,
  members: (workspaceId: string) => ["workspaces", "detail", workspaceId, "members"] as const,
  invitations: (workspaceId: string) => ["workspaces", "detail", workspaceId, "invitations"] as const,
  invitation: (token: string) => ["invitation", token] as const,
};

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

export function useProjects(workspaceId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.projectList(workspaceId),
    queryFn: ({ pageParam }) => api.listProjects(pageParam, workspaceId),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useProject(projectId: string) {
  return useQuery({ queryKey: queryKeys.project(projectId), queryFn: () => api.getProject(projectId) });
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
    mutationFn: ({ projectId, signal }: { projectId: string } & Abortable) => api.deleteProject(projectId, signal),
    onSuccess: (_data, { projectId }) => {
      qc.setQueriesData<ProjectPages>({ queryKey: queryKeys.projectList() }, (old) =>
        mapPages<Project, ProjectPage>(old, (p) => (p.id === projectId ? null : p)),
      );
      // Drop its detail and tasks once nobody watches them any more (a project page that
      // showed it navigates away first; removing a watched query would refetch it).
      setTimeout(() => qc.removeQueries({ queryKey: queryKeys.project(projectId), type: "inactive" }), 0);
      return qc.invalidateQueries({ queryKey: queryKeys.projectList() });
    },
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

/** Applies fn to the task everywhere the cache holds it (loaded pages and added tasks). */
function updateCachedTasks(qc: QueryClient, projectId: string, fn: (task: Task) => Task | null) {
  qc.setQueryData<TaskPages>(queryKeys.tasks(projectId), (old) => mapPages<Task, TaskPage>(old, fn));
  qc.setQueryData<Task[]>(queryKeys.addedTasks(projectId), (old) =>
    old?.flatMap((task) => {
      const next = fn(task);
      return next ? [next] : [];
    }),
  );
}

function cachedTask(qc: QueryClient, projectId: string, taskId: string): Task | undefined {
  const loaded = qc.getQueryData<TaskPages>(queryKeys.tasks(projectId))?.pages.flatMap((p) => p.items) ?? [];
  const added = qc.getQueryData<Task[]>(queryKeys.addedTasks(projectId)) ?? [];
  return [...added, ...loaded].find((t) => t.id === taskId);
}

export function useTasks(projectId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.tasks(projectId),
    queryFn: ({ pageParam }) => api.listTasks(projectId, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** Moves the project's done count (and so its progress) by delta, in the cache. */
function shiftDoneCount(qc: QueryClient, projectId: string, delta: number) {
  if (delta === 0) return;
  qc.setQueryData<Project>(queryKeys.project(projectId), (old) => {
    if (!old) return old;
    const done = Math.min(old.task_count, Math.max(0, old.done_count + delta));
    return { ...old, done_count: done, progress: progressOf(done, old.task_count) };
  });
}

/** After any task write: the tasks, the project's counts and the dashboard's. */
function invalidateAfterTaskWrite(qc: QueryClient, projectId: string) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: queryKeys.project(projectId) }),
    qc.invalidateQueries({ queryKey: queryKeys.projectList() }),
  ]);
}

export function useCreateTask(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (title: string) => api.createTask(projectId, title),
    onSuccess: (task) => qc.setQueryData<Task[]>(queryKeys.addedTasks(projectId), (old = []) => [...old, task]),
    onSettled: () => invalidateAfterTaskWrite(qc, projectId),
  });
}

/**
 * Toggles or renames a task optimistically: the task and the project's progress change
 * at once and go back as they were if the server refuses.
 */
export interface TaskEdit {
  taskId: string;
  changes: { title?: string; done?: boolean };
}

export function useUpdateTask(
  projectId: string,
  handlers: { onError?(error: unknown, edit: TaskEdit): void; onSettled?(edit: TaskEdit): void } = {},
) {
  const qc = useQueryClient();
  return useMutation({
    mutationKey: ["update-task", projectId],
    mutationFn: ({ taskId, changes }: TaskEdit) => api.updateTask(projectId, taskId, changes),
    onMutate: async ({ taskId, changes }) => {
      await Promise.all([
        qc.cancelQueries({ queryKey: queryKeys.tasks(projectId) }),
        qc.cancelQueries({ queryKey: queryKeys.project(projectId), exact: true }),
      ]);
      const before = cachedTask(qc, projectId, taskId);
      if (!before) return { revert: null, doneDelta: 0 };

      // What to put back on error: only the fields this edit changed, so a failure does
      // not undo other edits made meanwhile.
      const revert: Partial<Task> = {};
      if (changes.title !== undefined) revert.title = before.title;
      if (changes.done !== undefined) revert.done = before.done;
      const doneDelta = changes.done === undefined || changes.done === before.done ? 0 : changes.done ? 1 : -1;

      updateCachedTasks(qc, projectId, (t) => (t.id === taskId ? { ...t, ...changes } : t));
      shiftDoneCount(qc, projectId, doneDelta);
      return { revert, doneDelta };
    },
    // Hook-level callbacks run for every edit (mutate()'s own only for the latest one),
    // so several quick toggles each get their rollback and their report.
    onError: (error, edit, context) => {
      if (context?.revert) {
        const revert = context.revert;
        updateCachedTasks(qc, projectId, (t) => (t.id === edit.taskId ? { ...t, ...revert } : t));
        shiftDoneCount(qc, projectId, -context.doneDelta);
      }
      handlers.onError?.(error, edit);
    },
    onSettled: (_data, _error, edit) => {
      handlers.onSettled?.(edit);
      // While other edits of this project's tasks are still in flight, a refetch would
      // overwrite their optimistic state; the last one to settle refetches for all.
      if (qc.isMutating({ mutationKey: ["update-task", projectId] }) <= 1) return invalidateAfterTaskWrite(qc, projectId);
    },
  });
}

export function useDeleteTask(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ taskId, signal }: { taskId: string } & Abortable) => api.deleteTask(projectId, taskId, signal),
    onSuccess: (_data, { taskId }) => updateCachedTasks(qc, projectId, (t) => (t.id === taskId ? null : t)),
    onSettled: () => invalidateAfterTaskWrite(qc, projectId),
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

export function useWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: queryKeys.workspace(workspaceId),
    queryFn: () => api.getWorkspace(workspaceId),
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
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useInvitations(workspaceId: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: queryKeys.invitations(workspaceId),
    queryFn: ({ pageParam }) => api.listInvitations(workspaceId, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
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
    mutationFn: () => api.acceptInvitation(token),
    onSuccess: (workspace) => {
      qc.setQueryData(queryKeys.workspace(workspace.id), workspace);
      return Promise.all([invalidateWorkspaces(qc), qc.invalidateQueries({ queryKey: ["projects"] })]);
    },
  });
}
