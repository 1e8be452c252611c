/**
 * Workspaces the signed-in person lost access to during this visit (removed, left, or the
 * workspace deleted), as live notices told. Their pages say so instead of loading (and
 * answering 404): `WorkspaceShell` for the workspace's own pages, `ProjectPage` for its
 * projects, which are remembered with it. Kept in memory: a reload asks the server again.
 */
import { useCallback, useSyncExternalStore } from "react";

export interface AccessEnded {
  workspaceId: string;
  /** Its name, when the app knew it. */
  name: string | null;
  /** Removed from it (or left it), or the whole workspace was deleted. */
  reason: "removed" | "deleted";
  /** Projects of it the app had seen, whose pages say so too. */
  projectIds: ReadonlySet<string>;
}

const ended = new Map<string, AccessEnded>();
const listeners = new Set<() => void>();

function changed(): void {
  for (const listener of [...listeners]) listener();
}

export function markAccessEnded(entry: AccessEnded): void {
  ended.set(entry.workspaceId, entry);
  changed();
}

/** Access came back (invited again and accepted, on this device or another). */
export function clearAccessEnded(workspaceId: string): void {
  if (ended.delete(workspaceId)) changed();
}

/** The ended access that covers this workspace or project, if any. */
export function accessEndedFor({ workspaceId, projectId }: { workspaceId?: string; projectId?: string }): AccessEnded | null {
  if (workspaceId) {
    const entry = ended.get(workspaceId);
    if (entry) return entry;
  }
  if (projectId) {
    for (const entry of ended.values()) if (entry.projectIds.has(projectId)) return entry;
  }
  return null;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether the person's access to this workspace (or to this project's) ended meanwhile. */
export function useAccessEnded({ workspaceId, projectId }: { workspaceId?: string; projectId?: string }): AccessEnded | null {
  const snapshot = useCallback(() => accessEndedFor({ workspaceId, projectId }), [workspaceId, projectId]);
  return useSyncExternalStore(subscribe, snapshot, () => null);
}

/** Forget everything (a new session starts with none). */
export function resetAccessEnded(): void {
  if (ended.size === 0) return;
  ended.clear();
  changed();
}
