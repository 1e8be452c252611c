import type { ReactNode, Ref } from "react";
import { describeError } from "../api/errors";

/** An error that is not about one field: 429s, network failures, server errors. */
export function ErrorAlert({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      <p>{describeError(error)}</p>
      {children}
    </div>
  );
}

/** A failure the person reads and puts away: the message, and Dismiss. */
export function FailureAlert({ message, onDismiss }: { message: ReactNode; onDismiss: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <p>{message}</p>
      <button type="button" className="btn btn-secondary btn-small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

/**
 * A load in progress. `paused`: TanStack Query holds the request until the browser is
 * online again, so say that rather than "Loading…" forever.
 */
export function Spinner({ label = "Loading…", paused = false }: { label?: string; paused?: boolean }) {
  if (paused) label = "Waiting for your connection…";
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={`${clamped}% done`}
    >
      <div className={`progress-fill${clamped === 100 ? " progress-complete" : ""}`} style={{ width: `${clamped}%` }} />
    </div>
  );
}

/** The button under a paged list that fetches its next page, while there is one. */
export function LoadMore({
  query,
  what,
  anchorRef,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage(): Promise<unknown> };
  /** What the list holds: "Load more tasks". */
  what: string;
  /** The block's element, for a list that also loads on scrolling to it. */
  anchorRef?: Ref<HTMLDivElement>;
}) {
  if (!query.hasNextPage) return null;
  return (
    <div className="load-more" ref={anchorRef}>
      <button
        type="button"
        className="btn btn-secondary"
        onClick={() => void query.fetchNextPage()}
        disabled={query.isFetchingNextPage}
      >
        {query.isFetchingNextPage ? "Loading more…" : `Load more ${what}`}
      </button>
    </div>
  );
}
