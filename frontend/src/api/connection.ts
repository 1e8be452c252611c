/**
 * Whether the app can talk to Project Connect: the browser's own online flag, and whether
 * the last request to each service (auth at /auth; projects at /projects, /workspaces and
 * /invitations) got an answer at all (a dead server or a
 * hanging connection leaves the browser "online"; one service may be down while the other
 * answers). The offline banner shows either.
 */
import { useSyncExternalStore } from "react";

type Listener = () => void;

const unanswered = new Set<string>();
const listeners = new Set<Listener>();

// The projects service answers under three prefixes: an answer to any of them counts.
const SERVICE_OF: Record<string, string> = { workspaces: "projects", invitations: "projects" };

function apiOf(url: string): string {
  const prefix = new URL(url, window.location.origin).pathname.split("/")[1] ?? "";
  return SERVICE_OF[prefix] ?? prefix;
}

/** Called by the fetch wrapper after each request to url: did it get an answer? */
export function reportAnswered(url: string, answered: boolean): void {
  const api = apiOf(url);
  if (unanswered.has(api) === !answered) return;
  if (answered) unanswered.delete(api);
  else unanswered.add(api);
  for (const listener of [...listeners]) listener();
}

/** "Try again": forget the failures; the next requests tell again. */
export function forgetFailures(): void {
  if (unanswered.size === 0) return;
  unanswered.clear();
  for (const listener of [...listeners]) listener();
}

function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  window.addEventListener("online", listener);
  window.addEventListener("offline", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("online", listener);
    window.removeEventListener("offline", listener);
  };
}

export type Connection = "online" | "offline" | "unreachable";

function snapshot(): Connection {
  if (!navigator.onLine) return "offline";
  return unanswered.size > 0 ? "unreachable" : "online";
}

export function useConnection(): Connection {
  return useSyncExternalStore(subscribe, snapshot, () => "online");
}

/** Test helper. */
export function resetConnectionForTests(): void {
  unanswered.clear();
  listeners.clear();
}
