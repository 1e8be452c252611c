/**
 * Live notices → TanStack Query. `effectsOf` says which queries show what a notice names
 * (by the keys of `queryKeys`); `LiveCache` refetches them, in batches, never under the
 * person's feet:
 *
 * - while the person's own writes are in flight, notices wait until they settle (a refetch
 *   would overwrite their optimistic state); their answers put the new versions in the
 *   cache, so a task notice whose version is not newer than every cached copy is skipped;
 * - a board being dragged is refetched when the drag ends (`holds.ts`);
 * - a query fetched since the notice came (or being fetched, having started since) already
 *   shows the change and is left alone; every other match is refetched once per batch (one
 *   being fetched from before is asked again once that fetch is in), and batches go at most
 *   once a second while notices keep coming;
 * - a workspace the person lost access to is marked (`access.ts`), leaves the switcher, and
 *   its queries are not asked again (its pages say so instead).
 */
import type { InfiniteData, Query, QueryClient, QueryKey } from "@tanstack/react-query";
import { api, type Project, type ProjectPage, type User, type Workspace } from "../api/client";
import { currentWorkspaceId, setCurrentWorkspace } from "../api/currentWorkspace";
import { boardProjectOf, cachedProjectTasks, deletedHere, queryKeys, scopeOfKey } from "../api/queries";
import { accessEndedFor, clearAccessEnded, markAccessEnded, type AccessEnded } from "./access";
import { isBoardHeld, onBoardReleased } from "./holds";
import type { Notice } from "./notices";

/** Queries to refetch: every one under `queryKey`, or that one alone when `exact`. */
export interface Target {
  queryKey: QueryKey;
  exact?: boolean;
}

export interface Effects {
  targets: Target[];
  /** The signed-in person's access to this workspace ended. */
  accessEnded?: { workspaceId: string; reason: AccessEnded["reason"] };
  /** The signed-in person is a member of this workspace (again). */
  accessBack?: string;
}

/** What `effectsOf` needs to know of the cache and the session. */
export interface Facts {
  meId: string | null;
  /** Whether the cache holds the task, every copy at `version` or newer. */
  taskKnownAt(projectId: string, taskId: string, version: number): boolean;
  /** Whether the person deleted this task or project here a moment ago (its page is closing). */
  deletedHere(kind: "task" | "project", id: string): boolean;
  /** The workspace's projects the cache knows of. */
  projectsIn(workspaceId: string): string[];
}

const SEARCH: Target = { queryKey: queryKeys.search() };
const MY_TASKS: Target = { queryKey: queryKeys.myTasks() };
const NOTIFICATIONS: Target = { queryKey: queryKeys.notifications };
const WORKSPACE_LIST: Target = { queryKey: queryKeys.workspaces };
const OWNED_WORKSPACES: Target = { queryKey: queryKeys.ownedWorkspaces };

const projectLists = (workspaceId?: string): Target => ({ queryKey: queryKeys.projectList(workspaceId) });
const trash = (workspaceId?: string): Target => ({ queryKey: queryKeys.trash(workspaceId) });
/** A project's detail alone (its counts, name, role), not what lies under its key. */
const projectDetail = (projectId: string): Target => ({ queryKey: queryKeys.project(projectId), exact: true });
/** A project and everything under it: its tasks, boards, task details, comments, histories. */
const projectAndTasks = (projectId: string): Target => ({ queryKey: queryKeys.project(projectId) });

/** The queries that show what `notice` names, and what it changes about the person's access. */
export function effectsOf(notice: Notice, facts: Facts): Effects {
  const w = notice.workspace_id;
  switch (notice.kind) {
    case "task": {
      const p = notice.project_id;
      if (!p) return { targets: [projectLists(w), MY_TASKS, SEARCH] };
      const t = notice.id;
      // The person's own write (or a refetch since) already put this version in the cache.
      if ((notice.op === "changed" || notice.op === "created") && notice.version !== undefined && facts.taskKnownAt(p, t, notice.version)) {
        return { targets: [] };
      }
      // Gone to the trash by the person's own hand: its panel is closing, and its own queries
      // would only answer 404. Someone else's: an open panel asks, and says it is gone.
      const own = notice.op !== "deleted" || !facts.deletedHere("task", t);
      return {
        targets: [
          projectDetail(p),
          { queryKey: queryKeys.tasks(p) },
          { queryKey: queryKeys.boardTasks(p) },
          ...(own ? [{ queryKey: queryKeys.task(p, t), exact: true }, { queryKey: queryKeys.activity(p, t) }] : []),
          projectLists(w),
          MY_TASKS,
          SEARCH,
          ...(notice.op === "deleted" || notice.op === "restored" ? [trash(w)] : []),
        ],
      };
    }
    case "comment": {
      const p = notice.project_id;
      const t = notice.task_id;
      if (!p || !t) return { targets: [] };
      // The count on the task's panel; lists and boards do not show it.
      return {
        targets: [
          { queryKey: queryKeys.comments(p, t) },
          { queryKey: queryKeys.activity(p, t) },
          { queryKey: queryKeys.task(p, t), exact: true },
        ],
      };
    }
    case "project": {
      const p = notice.id;
      switch (notice.op) {
        case "created":
          return { targets: [projectLists(w), SEARCH] };
        case "deleted":
          // Someone else's: its page answers 404 and says so; what lies under it is not asked
          // again. The person's own: its page is closing.
          return {
            targets: [...(facts.deletedHere("project", p) ? [] : [projectDetail(p)]), projectLists(w), trash(w), MY_TASKS, SEARCH],
          };
        default:
          // A project notice also stands for "many of its tasks changed".
          return {
            targets: [projectAndTasks(p), projectLists(w), MY_TASKS, SEARCH, ...(notice.op === "restored" ? [trash(w)] : [])],
          };
      }
    }
    case "membership": {
      if (!w) return { targets: [] };
      const mine = notice.user_id !== undefined && notice.user_id === facts.meId;
      if (mine && !notice.role) {
        return { targets: [WORKSPACE_LIST, OWNED_WORKSPACES, MY_TASKS, SEARCH], accessEnded: { workspaceId: w, reason: "removed" } };
      }
      if (mine) {
        // Joined, or another role: the workspace, and the role every project of it carries.
        return {
          targets: [
            WORKSPACE_LIST,
            OWNED_WORKSPACES,
            { queryKey: queryKeys.workspace(w) },
            projectLists(w),
            ...facts.projectsIn(w).map(projectDetail),
            MY_TASKS,
            SEARCH,
          ],
          accessBack: w,
        };
      }
      // Someone else's: the members, their count, and the people tasks can be assigned to.
      // (Their assignments that ended come as task notices of their own.)
      return {
        targets: [
          { queryKey: queryKeys.workspace(w), exact: true },
          { queryKey: queryKeys.members(w) },
          { queryKey: queryKeys.allMembers(w) },
          { queryKey: queryKeys.invitations(w) },
          WORKSPACE_LIST,
          OWNED_WORKSPACES,
        ],
      };
    }
    case "workspace": {
      const id = w ?? notice.id;
      if (notice.op === "deleted") {
        return { targets: [WORKSPACE_LIST, OWNED_WORKSPACES, MY_TASKS, SEARCH], accessEnded: { workspaceId: id, reason: "deleted" } };
      }
      return { targets: [WORKSPACE_LIST, OWNED_WORKSPACES, { queryKey: queryKeys.workspace(id), exact: true }] };
    }
    case "label": {
      if (!w) return { targets: [] };
      const labels: Target = { queryKey: queryKeys.labels(w) };
      if (notice.op !== "deleted") return { targets: [labels] };
      // A deleted label left every task that carried it.
      return {
        targets: [
          labels,
          ...facts.projectsIn(w).flatMap((p) => [
            { queryKey: queryKeys.tasks(p) },
            { queryKey: queryKeys.boardTasks(p) },
            { queryKey: queryKeys.task(p) },
          ]),
          MY_TASKS,
        ],
      };
    }
    case "notification":
      return { targets: [NOTIFICATIONS] };
  }
}

/** Whether a query shows something of the workspace (or of one of these projects of it). */
function ofWorkspace(key: QueryKey, workspaceId: string, projectIds: ReadonlySet<string>): boolean {
  const scope = scopeOfKey(key);
  return scope.workspaceId === workspaceId || (scope.projectId !== undefined && projectIds.has(scope.projectId));
}

type Item = { at: number } & ({ notice: Notice } | { everything: true } | { queryKey: QueryKey });

/** A notice waits this long for others to come with it... */
const BATCH_MS = 100;
/** ...and while they keep coming (a teammate's bulk change), batches go at most this often. */
const MIN_GAP_MS = 1000;

export class LiveCache {
  private readonly qc: QueryClient;
  private readonly batchMs: number;
  private readonly minGapMs: number;
  private queue: Item[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = -Infinity;
  private flushing = false;
  // Board queries held by a drag: their hash → since when they owe a refetch.
  private readonly held = new Map<string, { queryKey: QueryKey; projectId: string; at: number }>();
  // When each query's running fetch started, and when the fetch behind its data did.
  private readonly fetchStarted = new Map<string, number>();
  private readonly fetchedFrom = new Map<string, number>();
  private readonly stops: (() => void)[] = [];

  constructor(qc: QueryClient, { batchMs = BATCH_MS, minGapMs = MIN_GAP_MS }: { batchMs?: number; minGapMs?: number } = {}) {
    this.qc = qc;
    this.batchMs = batchMs;
    this.minGapMs = minGapMs;
  }

  start(): void {
    this.stops.push(
      this.qc.getQueryCache().subscribe((event) => {
        const hash = event.query.queryHash;
        if (event.type === "removed") {
          this.fetchStarted.delete(hash);
          this.fetchedFrom.delete(hash);
        } else if (event.type === "updated") {
          const action = event.action;
          // A next page is not a refetch of the pages already there.
          if (action.type === "fetch" && !action.meta?.fetchMore) this.fetchStarted.set(hash, Date.now());
          else if (action.type === "success" && !action.manual) {
            const started = this.fetchStarted.get(hash);
            if (started !== undefined) this.fetchedFrom.set(hash, started);
          }
        }
      }),
      // The person's own writes settled: what waited for them goes now.
      this.qc.getMutationCache().subscribe(() => {
        if (this.queue.length > 0 && this.qc.isMutating() === 0) this.schedule();
      }),
      onBoardReleased((projectId) => {
        for (const [hash, entry] of this.held) {
          if (entry.projectId !== projectId) continue;
          this.held.delete(hash);
          this.queue.push({ at: entry.at, queryKey: entry.queryKey });
        }
        this.schedule();
      }),
    );
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.held.clear();
  }

  receive(notice: Notice): void {
    this.queue.push({ at: Date.now(), notice });
    this.schedule();
  }

  /** What was missed cannot be known: every query is asked again. */
  refetchEverything(): void {
    this.queue.push({ at: Date.now(), everything: true });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const wait = Math.max(this.batchMs, this.lastFlush + this.minGapMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    // Waits for the person's writes to settle; the mutation cache's listener comes back.
    if (this.qc.isMutating() > 0) return;
    this.flushing = true;
    this.lastFlush = Date.now();
    try {
      const batch = this.queue.splice(0);
      const needsMe = batch.some((item) => "notice" in item && item.notice.kind === "membership");
      const facts = this.facts(needsMe ? await this.me() : null);
      // Each query once, however many notices of the batch name it.
      const chosen = new Map<string, number>();
      const choose = (query: Query, at: number) => chosen.set(query.queryHash, Math.max(at, chosen.get(query.queryHash) ?? 0));
      const cache = this.qc.getQueryCache();
      for (const item of batch) {
        if ("everything" in item) {
          for (const query of cache.getAll()) choose(query, item.at);
        } else if ("queryKey" in item) {
          for (const query of cache.findAll({ queryKey: item.queryKey, exact: true })) choose(query, item.at);
        } else {
          const effects = effectsOf(item.notice, facts);
          if (effects.accessEnded) this.endAccess(effects.accessEnded.workspaceId, effects.accessEnded.reason);
          if (effects.accessBack) clearAccessEnded(effects.accessBack);
          for (const target of effects.targets) {
            for (const query of cache.findAll({ queryKey: target.queryKey, exact: target.exact ?? false })) choose(query, item.at);
          }
        }
      }
      const refetch = new Set<string>();
      for (const [hash, at] of chosen) {
        const query = cache.get(hash);
        // Of a workspace the person no longer sees: it would only answer 404.
        if (!query || this.fresh(query, at) || accessEndedFor(scopeOfKey(query.queryKey))) continue;
        const board = boardProjectOf(query.queryKey);
        if (board !== null && isBoardHeld(board)) {
          const earlier = this.held.get(hash);
          this.held.set(hash, { queryKey: query.queryKey, projectId: board, at: Math.max(at, earlier?.at ?? 0) });
        } else if (query.state.fetchStatus === "fetching") {
          // A fetch from before the notice is under way: asked again once it is in, rather
          // than cancelled (a long board would never finish while notices keep coming).
          this.queue.push({ at, queryKey: query.queryKey });
        } else {
          refetch.add(hash);
        }
      }
      if (refetch.size > 0) void this.qc.invalidateQueries({ predicate: (query) => refetch.has(query.queryHash) });
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /** Fetched, or being fetched, from after `at`: it shows what came then. */
  private fresh(query: Query, at: number): boolean {
    const started = this.fetchStarted.get(query.queryHash);
    if (query.state.fetchStatus === "fetching") return started !== undefined && started > at;
    const from = this.fetchedFrom.get(query.queryHash);
    return from !== undefined && from > at && !query.state.isInvalidated;
  }

  private facts(meId: string | null): Facts {
    // Per project, each cached task's oldest copy: read once per batch, however many notices.
    const oldest = new Map<string, Map<string, number>>();
    const oldestOf = (projectId: string) => {
      let versions = oldest.get(projectId);
      if (!versions) {
        versions = new Map();
        for (const task of cachedProjectTasks(this.qc, projectId)) {
          versions.set(task.id, Math.min(task.version, versions.get(task.id) ?? Infinity));
        }
        oldest.set(projectId, versions);
      }
      return versions;
    };
    return {
      meId,
      taskKnownAt: (projectId, taskId, version) => (oldestOf(projectId).get(taskId) ?? -Infinity) >= version,
      deletedHere: (kind, id) => deletedHere(this.qc, kind, id),
      projectsIn: (workspaceId) => [...this.projectsIn(workspaceId)],
    };
  }

  private async me(): Promise<string | null> {
    const known = this.qc.getQueryData<User>(queryKeys.me);
    if (known) return known.id;
    try {
      return (await this.qc.fetchQuery({ queryKey: queryKeys.me, queryFn: () => api.me() })).id;
    } catch {
      return null;
    }
  }

  private projectsIn(workspaceId: string): Set<string> {
    const ids = new Set<string>();
    for (const [key, data] of this.qc.getQueriesData<Project>({ queryKey: queryKeys.project() })) {
      if (key.length === 3 && data?.workspace_id === workspaceId) ids.add(key[2] as string);
    }
    type Pages = InfiniteData<ProjectPage, string | null>;
    for (const [, data] of this.qc.getQueriesData<Pages>({ queryKey: queryKeys.projectList(workspaceId) })) {
      for (const page of data?.pages ?? []) for (const project of page.items) ids.add(project.id);
    }
    return ids;
  }

  /** Its pages say so from now on; nothing of it is asked again; it leaves the switcher. */
  private endAccess(workspaceId: string, reason: AccessEnded["reason"]): void {
    const name =
      this.qc.getQueryData<Workspace[]>(queryKeys.workspaces)?.find((w) => w.id === workspaceId)?.name ??
      this.qc.getQueryData<Workspace>(queryKeys.workspace(workspaceId))?.name ??
      null;
    const projectIds = this.projectsIn(workspaceId);
    markAccessEnded({ workspaceId, name, reason, projectIds });
    void this.qc.cancelQueries({ predicate: (query) => ofWorkspace(query.queryKey, workspaceId, projectIds) });
    this.qc.setQueryData<Workspace[]>(queryKeys.workspaces, (old) => old?.filter((w) => w.id !== workspaceId));
    if (currentWorkspaceId() === workspaceId) setCurrentWorkspace(null);
  }
}
