/**
 * Whether the app can talk to Project Connect: the browser's own online flag, and whether
 * the last request got an answer at all (a dead server or a hanging connection leaves
 * the browser "online"). The offline banner shows either.
 */
import { useSyncExternalStore } from "react";

type Listener = () => void;

let unreachable = false;
const listeners = new Set<Listener>();

/** Called by the fetch wrapper after each request: did it get an answer? */
export function reportAnswered(answered: boolean): void {
  if (unreachable === !answered) return;
  unreachable = !answered;
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
  return unreachable ? "unreachable" : "online";
}

export function useConnection(): Connection {
  return useSyncExternalStore(subscribe, snapshot, () => "online");
}

/** Test helper. */
export function resetConnectionForTests(): void {
  unreachable = false;
  listeners.clear();
}
