import { useEffect, useRef, useState, useSyncExternalStore } from "react";

/** How long a toast stays, unless the pointer or focus is on it. */
export const TOAST_MS = 8_000;

export interface ToastAction {
  label: string;
  /** Runs once; the toast closes as it starts. */
  run(): void;
}

export interface Toast {
  id: number;
  message: string;
  action?: ToastAction;
}

// One store for the app: a delete shows its toast from wherever it happened, and the
// toast outlives the page (a deleted project's page navigates away at once).
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const listener of listeners) listener();
}

export function showToast(message: string, action?: ToastAction): number {
  const id = nextId++;
  // At most three at once: the oldest give way.
  toasts = [...toasts.slice(-2), { id, message, ...(action ? { action } : {}) }];
  emit();
  return id;
}

export function dismissToast(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

/** For tests: a clean slate. */
export function clearToasts() {
  toasts = [];
  emit();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useToasts(): Toast[] {
  return useSyncExternalStore(subscribe, () => toasts);
}

/** The toasts' live region: always in the page, so what appears in it is announced. */
export function Toaster() {
  const list = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="Notifications">
      {list.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}

function ToastItem({ toast }: { toast: Toast }) {
  // Held open while the pointer is over it or focus is in it (someone about to click Undo).
  const [held, setHeld] = useState({ hover: false, focus: false });
  const remaining = useRef(TOAST_MS);
  const onHold = held.hover || held.focus;

  useEffect(() => {
    if (onHold) return;
    const started = Date.now();
    const timer = setTimeout(() => dismissToast(toast.id), remaining.current);
    return () => {
      clearTimeout(timer);
      remaining.current = Math.max(1_000, remaining.current - (Date.now() - started));
    };
  }, [onHold, toast.id]);

  return (
    <div
      className="toast"
      onMouseEnter={() => setHeld((h) => ({ ...h, hover: true }))}
      onMouseLeave={() => setHeld((h) => ({ ...h, hover: false }))}
      onFocus={() => setHeld((h) => ({ ...h, focus: true }))}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setHeld((h) => ({ ...h, focus: false }));
      }}
    >
      <p className="toast-message">{toast.message}</p>
      {toast.action ? (
        <button
          type="button"
          className="btn btn-secondary btn-small toast-action"
          onClick={() => {
            dismissToast(toast.id);
            toast.action!.run();
          }}
        >
          {toast.action.label}
        </button>
      ) : null}
      <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismissToast(toast.id)}>
        ×
      </button>
    </div>
  );
}
