import { QueryClient, QueryObserver, type QueryKey } from "@tanstack/react-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Project, Task, Workspace } from "../api/client";
import { currentWorkspaceId, resetCurrentWorkspaceForTests, setCurrentWorkspace } from "../api/currentWorkspace";
import { DEFAULT_LISTING } from "../api/projectListing";
import { queryKeys } from "../api/queries";
import { NO_FILTERS } from "../api/taskFilters";
import { accessEndedFor, resetAccessEnded } from "./access";
import { holdBoard } from "./holds";
import { LiveCache } from "./liveCache";
import type { Notice } from "./notices";

const ME = "u-me";
const W = "w-garden";
const W2 = "w-band";
const P = "p-seeds";
const P2 = "p-tour";
const T = "t-hall";

function task(id: string, version: number, projectId = P): Task {
  return {
    id,
    project_id: projectId,
    title: id,
    description: null,
    status: "todo",
    done: false,
    priority: "none",
    due_date: null,
    position: "a0",
    assignees: [],
    labels: [],
    comment_count: 0,
    completed_at: null,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    created_by: ME,
    version,
  };
}

function project(id: string, workspaceId: string): Project {
  return {
    id,
    workspace_id: workspaceId,
    name: id,
    description: null,
    archived_at: null,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    created_by: ME,
    my_role: "member",
    task_count: 1,
    done_count: 0,
    progress: 0,
  };
}

function workspace(id: string, name: string): Workspace {
  return { id, name, personal: false, my_role: "member", member_count: 2 } as Workspace;
}

const pages = <T,>(items: T[]) => ({ pages: [{ items, next_cursor: null }], pageParams: [null] });
const FILTERED = { ...NO_FILTERS, q: "hall" };

/** Every query the app may hold for two workspaces, one project each, by a readable name. */
const KEYS: Record<string, QueryKey> = {
  me: queryKeys.me,
  project: queryKeys.project(P),
  tasks: queryKeys.tasks(P, NO_FILTERS),
  "tasks filtered": queryKeys.tasks(P, FILTERED),
  board: queryKeys.boardTasks(P, NO_FILTERS),
  "board filtered": queryKeys.boardTasks(P, FILTERED),
  task: queryKeys.task(P, T),
  "other task": queryKeys.task(P, "t-other"),
  comments: queryKeys.comments(P, T),
  activity: queryKeys.activity(P, T),
  "project 2": queryKeys.project(P2),
  "tasks 2": queryKeys.tasks(P2, NO_FILTERS),
  "board 2": queryKeys.boardTasks(P2, NO_FILTERS),
  "project list": [...queryKeys.projectList(W), DEFAULT_LISTING],
  "project list 2": [...queryKeys.projectList(W2), DEFAULT_LISTING],
  workspaces: queryKeys.workspaces,
  owned: queryKeys.ownedWorkspaces,
  workspace: queryKeys.workspace(W),
  "workspace 2": queryKeys.workspace(W2),
  members: queryKeys.members(W),
  "all members": queryKeys.allMembers(W),
  labels: queryKeys.labels(W),
  "labels 2": queryKeys.labels(W2),
  invitations: queryKeys.invitations(W),
  trash: queryKeys.trash(W),
  "trash 2": queryKeys.trash(W2),
  search: queryKeys.search("hall", false),
  "my tasks": queryKeys.myTasks("2026-12-01"),
  notifications: ["notifications", "list"],
};

function seed(qc: QueryClient, { version = 3 }: { version?: number } = {}) {
  const data: Record<string, unknown> = {
    me: { id: ME, email: "ann@example.com", display_name: "Ann" },
    project: project(P, W),
    tasks: pages([task(T, version)]),
    "tasks filtered": pages([task(T, version)]),
    board: [task(T, version), task("t-other", 1)],
    "board filtered": [task(T, version)],
    task: task(T, version),
    "other task": task("t-other", 1),
    comments: pages([]),
    activity: pages([]),
    "project 2": project(P2, W2),
    "tasks 2": pages([task("t-van", 1, P2)]),
    "board 2": [task("t-van", 1, P2)],
    "project list": pages([project(P, W)]),
    "project list 2": pages([project(P2, W2)]),
    workspaces: [workspace(W, "Garden club"), workspace(W2, "Band")],
    owned: [],
    workspace: workspace(W, "Garden club"),
    "workspace 2": workspace(W2, "Band"),
    members: pages([]),
    "all members": [],
    labels: [],
    "labels 2": [],
    invitations: pages([]),
    trash: pages([]),
    "trash 2": pages([]),
    search: { items: [], next_cursor: null },
    "my tasks": { groups: [] },
    notifications: { items: [] },
  };
  for (const [name, key] of Object.entries(KEYS)) qc.setQueryData(key, data[name]);
}

/** The names of the queries the notices marked for refetching. */
function invalidated(qc: QueryClient): string[] {
  return Object.entries(KEYS)
    .filter(([, key]) => qc.getQueryCache().find({ queryKey: key, exact: true })?.state.isInvalidated)
    .map(([name]) => name)
    .sort();
}

const sorted = (names: string[]) => [...names].sort();

let qc: QueryClient;
let live: LiveCache;

async function tell(...notices: Notice[]) {
  for (const notice of notices) live.receive(notice);
  await vi.advanceTimersByTimeAsync(200);
}

beforeEach(() => {
  vi.useFakeTimers();
  qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  seed(qc);
  live = new LiveCache(qc, { minGapMs: 0 });
  live.start();
});

afterEach(() => {
  live.stop();
  qc.clear();
  resetAccessEnded();
  resetCurrentWorkspaceForTests();
  vi.useRealTimers();
});

describe("task notices", () => {
  const changed: Notice = { kind: "task", op: "changed", id: T, project_id: P, workspace_id: W, version: 4 };

  it("someone's change: the project's lists and boards, the task and its history, My tasks, search", async () => {
    await tell(changed);
    expect(invalidated(qc)).toEqual(
      sorted(["project", "tasks", "tasks filtered", "board", "board filtered", "task", "activity", "project list", "my tasks", "search"]),
    );
  });

  it("a version every cached copy already has (the person's own write) refetches nothing", async () => {
    seed(qc, { version: 4 });
    await tell(changed, { ...changed, version: 3 }, { ...changed, op: "created", version: 1 });
    expect(invalidated(qc)).toEqual([]);
  });

  it("one copy behind is enough to refetch", async () => {
    seed(qc, { version: 4 });
    qc.setQueryData(KEYS.board!, [task(T, 3)]);
    await tell(changed);
    expect(invalidated(qc)).toContain("board");
  });

  it("a task nobody here has seen (someone else's new one) refetches what would show it", async () => {
    await tell({ kind: "task", op: "created", id: "t-new", project_id: P, workspace_id: W, version: 1 });
    expect(invalidated(qc)).toEqual(sorted(["project", "tasks", "tasks filtered", "board", "board filtered", "project list", "my tasks", "search"]));
  });

  it("deleted or restored: the workspace's trash too", async () => {
    await tell({ ...changed, op: "deleted" });
    expect(invalidated(qc)).toContain("trash");
    expect(invalidated(qc)).not.toContain("trash 2");
  });

  it("deleted by someone else: its open panel learns; by the person here: not asked again", async () => {
    await tell({ ...changed, op: "deleted" });
    expect(invalidated(qc)).toEqual(expect.arrayContaining(["task", "activity"]));

    seed(qc);
    await qc.getMutationCache().build(qc, { mutationKey: ["delete-task"], mutationFn: async () => {} }).execute({ taskId: T });
    await tell({ ...changed, op: "deleted" });
    expect(invalidated(qc)).not.toContain("task");
    expect(invalidated(qc)).not.toContain("activity");
    expect(invalidated(qc)).toContain("board");
  });
});

describe("other notices", () => {
  it("a comment: the task's comments, history and count; not the board", async () => {
    await tell({ kind: "comment", op: "created", id: "c1", task_id: T, project_id: P, workspace_id: W });
    expect(invalidated(qc)).toEqual(sorted(["comments", "activity", "task"]));
  });

  it("a project changed: it and everything under it (many tasks may have changed)", async () => {
    await tell({ kind: "project", op: "changed", id: P, project_id: P, workspace_id: W });
    expect(invalidated(qc)).toEqual(
      sorted([
        "project",
        "tasks",
        "tasks filtered",
        "board",
        "board filtered",
        "task",
        "other task",
        "comments",
        "activity",
        "project list",
        "my tasks",
        "search",
      ]),
    );
  });

  it("a project deleted: its page learns (404), nothing under it is asked again", async () => {
    await tell({ kind: "project", op: "deleted", id: P, project_id: P, workspace_id: W });
    expect(invalidated(qc)).toEqual(sorted(["project", "project list", "trash", "my tasks", "search"]));
  });

  it("a project the person deleted here: its closing page is not asked again", async () => {
    await qc.getMutationCache().build(qc, { mutationKey: ["delete-project"], mutationFn: async () => {} }).execute({ projectId: P });
    await tell({ kind: "project", op: "deleted", id: P, project_id: P, workspace_id: W });
    expect(invalidated(qc)).toEqual(sorted(["project list", "trash", "my tasks", "search"]));
  });

  it("a project created: the workspace's lists and search", async () => {
    await tell({ kind: "project", op: "created", id: "p-new", project_id: "p-new", workspace_id: W });
    expect(invalidated(qc)).toEqual(sorted(["project list", "search"]));
  });

  it("someone else's membership: the members, their count, assignable people, invitations", async () => {
    await tell({ kind: "membership", op: "changed", id: "u-bob", user_id: "u-bob", workspace_id: W, role: "member" });
    expect(invalidated(qc)).toEqual(sorted(["workspace", "members", "all members", "invitations", "workspaces", "owned"]));
  });

  it("the person's own new role: the workspace, and the role its projects carry", async () => {
    await tell({ kind: "membership", op: "changed", id: ME, user_id: ME, workspace_id: W, role: "viewer" });
    expect(invalidated(qc)).toEqual(
      sorted([
        "workspaces",
        "owned",
        "workspace",
        "members",
        "all members",
        "labels",
        "invitations",
        "project list",
        "project",
        "my tasks",
        "search",
      ]),
    );
  });

  it("a workspace renamed: the switcher and the workspace", async () => {
    await tell({ kind: "workspace", op: "changed", id: W, workspace_id: W });
    expect(invalidated(qc)).toEqual(sorted(["workspaces", "owned", "workspace"]));
  });

  it("a label changed: the workspace's labels (cards show them by id)", async () => {
    await tell({ kind: "label", op: "changed", id: "l1", workspace_id: W });
    expect(invalidated(qc)).toEqual(["labels"]);
  });

  it("a label deleted: also the tasks of the workspace's projects, which lost it", async () => {
    await tell({ kind: "label", op: "deleted", id: "l1", workspace_id: W });
    expect(invalidated(qc)).toEqual(
      sorted(["labels", "tasks", "tasks filtered", "board", "board filtered", "task", "other task", "my tasks"]),
    );
  });

  it("a notification: the notifications", async () => {
    await tell({ kind: "notification", op: "created", id: "n1", user_id: ME });
    expect(invalidated(qc)).toEqual(["notifications"]);
  });

  it("reset: everything", async () => {
    live.refetchEverything();
    await vi.advanceTimersByTimeAsync(200);
    expect(invalidated(qc)).toEqual(sorted(Object.keys(KEYS)));
  });
});

describe("access ended", () => {
  const removed: Notice = { kind: "membership", op: "deleted", id: ME, user_id: ME, workspace_id: W, role: null };

  it("marks the workspace and its projects, takes it out of the switcher, and asks nothing of it", async () => {
    setCurrentWorkspace(W);
    await tell(removed);
    const ended = accessEndedFor({ workspaceId: W });
    expect(ended).toMatchObject({ workspaceId: W, name: "Garden club", reason: "removed" });
    expect(accessEndedFor({ projectId: P })).toBe(ended);
    expect(accessEndedFor({ projectId: P2 })).toBeNull();
    expect(qc.getQueryData<Workspace[]>(queryKeys.workspaces)?.map((w) => w.id)).toEqual([W2]);
    expect(currentWorkspaceId()).toBeNull();
    expect(invalidated(qc)).toEqual(sorted(["workspaces", "owned", "my tasks", "search"]));

    // Later notices of it (a reset too) leave its queries alone: they would answer 404.
    await tell({ kind: "task", op: "changed", id: T, project_id: P, workspace_id: W, version: 9 });
    live.refetchEverything();
    await vi.advanceTimersByTimeAsync(200);
    for (const name of ["project", "board", "task", "workspace", "members", "trash", "project list"]) {
      expect(invalidated(qc)).not.toContain(name);
    }
  });

  it("a deleted workspace says so", async () => {
    await tell({ kind: "workspace", op: "deleted", id: W, workspace_id: W });
    expect(accessEndedFor({ workspaceId: W })).toMatchObject({ reason: "deleted", name: "Garden club" });
  });

  it("invited again: access is back", async () => {
    await tell(removed);
    await tell({ ...removed, op: "changed", role: "member" });
    expect(accessEndedFor({ workspaceId: W })).toBeNull();
  });

  it("someone else removed: nothing ends for the person", async () => {
    await tell({ ...removed, id: "u-bob", user_id: "u-bob" });
    expect(accessEndedFor({ workspaceId: W })).toBeNull();
  });
});

describe("never under the person's feet", () => {
  const changed: Notice = { kind: "task", op: "changed", id: T, project_id: P, workspace_id: W, version: 4 };

  it("a dragged board is refetched when the drag ends; the rest at once", async () => {
    const release = holdBoard(P);
    await tell(changed);
    expect(invalidated(qc)).not.toContain("board");
    expect(invalidated(qc)).toContain("tasks");
    release();
    await vi.advanceTimersByTimeAsync(200);
    expect(invalidated(qc)).toContain("board");
    expect(invalidated(qc)).toContain("board filtered");
  });

  it("notices wait for the person's own writes; their answer's version then makes a refetch needless", async () => {
    let answer!: () => void;
    const write = qc.getMutationCache().build(qc, {
      mutationFn: () => new Promise<void>((resolve) => (answer = resolve)),
      onSuccess: () => qc.setQueryData<Task[]>(KEYS.board!, (old) => old?.map((t) => (t.id === T ? { ...t, version: 4 } : t))),
    });
    const done = write.execute(undefined);
    await tell(changed);
    expect(invalidated(qc)).toEqual([]);
    // The answer: every copy is at 4 now (as `updateCachedTasks` leaves them).
    for (const name of ["tasks", "tasks filtered", "board filtered", "task"]) {
      qc.setQueryData(KEYS[name]!, (old: unknown) => JSON.parse(JSON.stringify(old).replace(/"version":3/g, '"version":4')));
    }
    answer();
    await done;
    await vi.advanceTimersByTimeAsync(200);
    expect(invalidated(qc)).toEqual([]);

    // A notice of someone else's change, waiting the same way, is applied once it settles.
    const other = qc.getMutationCache().build(qc, { mutationFn: () => new Promise<void>((resolve) => (answer = resolve)) });
    const settled = other.execute(undefined);
    await tell({ ...changed, version: 5 });
    expect(invalidated(qc)).toEqual([]);
    answer();
    await settled;
    await vi.advanceTimersByTimeAsync(200);
    expect(invalidated(qc)).toContain("board");
  });

  it("a burst of notices refetches each shown query once; one fetched since a notice is left alone", async () => {
    const fetches = vi.fn(async () => [task(T, 9)]);
    const observer = new QueryObserver(qc, { queryKey: KEYS.board!, queryFn: fetches, staleTime: Infinity });
    const unsubscribe = observer.subscribe(() => {});
    await tell(changed, { ...changed, version: 5 }, { kind: "project", op: "changed", id: P, project_id: P, workspace_id: W });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetches).toHaveBeenCalledTimes(1);

    live.receive({ ...changed, version: 10 });
    // Fetched after the notice came, before the batch went: it already shows the change.
    await vi.advanceTimersByTimeAsync(10);
    await observer.refetch();
    expect(fetches).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(fetches).toHaveBeenCalledTimes(2);
    unsubscribe();
  });

  it("a fetch from before the notice is not cancelled: the query is asked again once it is in", async () => {
    const answers: (() => void)[] = [];
    const aborted: boolean[] = [];
    const fetches = vi.fn(
      ({ signal }: { signal: AbortSignal }) =>
        new Promise<Task[]>((resolve) => {
          const index = answers.length;
          aborted.push(false);
          signal.addEventListener("abort", () => (aborted[index] = true));
          answers.push(() => resolve([task(T, 9)]));
        }),
    );
    const observer = new QueryObserver(qc, { queryKey: KEYS.board!, queryFn: fetches, staleTime: Infinity });
    const unsubscribe = observer.subscribe(() => {});
    void observer.refetch();
    await vi.advanceTimersByTimeAsync(10);
    await tell(changed);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(aborted).toEqual([false]);
    answers[0]!();
    await vi.advanceTimersByTimeAsync(200);
    expect(fetches).toHaveBeenCalledTimes(2);
    answers[1]!();
    await vi.advanceTimersByTimeAsync(200);
    expect(fetches).toHaveBeenCalledTimes(2);
    unsubscribe();
  });

  it("while notices keep coming, batches go at most once a second", async () => {
    live.stop();
    live = new LiveCache(qc);
    live.start();
    const fetches = vi.fn(async () => [task(T, 9)]);
    const observer = new QueryObserver(qc, { queryKey: KEYS.board!, queryFn: fetches, staleTime: Infinity });
    const unsubscribe = observer.subscribe(() => {});
    // A teammate's bulk change: a notice every 50 ms for 3 s.
    for (let i = 0; i < 60; i += 1) {
      live.receive({ ...changed, version: 10 + i });
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(1500);
    expect(fetches.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(fetches.mock.calls.length).toBeLessThanOrEqual(4);
    unsubscribe();
  });
});
