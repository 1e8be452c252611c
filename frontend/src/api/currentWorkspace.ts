/**
 * The workspace the person is working in: the one whose page (or project) they opened
 * last. Remembered in localStorage (an id, no secret) so `/` opens it again next time;
 * forgotten when the session ends. The server still decides what each id shows.
 */
import { useSyncExternalStore } from "react";
import type { Workspace } from "./client";

const KEY = "projectconnect.workspace";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

let current: string | null = typeof window === "undefined" ? null : read();

export function setCurrentWorkspace(workspaceId: string | null): void {
  if (workspaceId === current) return;
  current = workspaceId;
  try {
    if (workspaceId) window.localStorage.setItem(KEY, workspaceId);
    else window.localStorage.removeItem(KEY);
  } catch {
    // storage disabled: remembered for this visit only
  }
  for (const listener of [...listeners]) listener();
}

/** The current workspace's id, outside React. */
export function currentWorkspaceId(): string | null {
  return current;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useCurrentWorkspaceId(): string | null {
  return useSyncExternalStore(subscribe, () => current);
}

/**
 * The workspace to show: the one wanted if the person still belongs to it, else their
 * personal one (the API lists it first), else none.
 */
export function chooseWorkspace(workspaces: readonly Workspace[], wanted: string | null): Workspace | undefined {
  return workspaces.find((w) => w.id === wanted) ?? workspaces.find((w) => w.personal) ?? workspaces[0];
}

export function resetCurrentWorkspaceForTests(): void {
  current = null;
  listeners.clear();
}
