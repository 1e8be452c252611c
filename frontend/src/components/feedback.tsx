import type { FetchStatus } from "@tanstack/react-query";
import { useRef, type ReactNode } from "react";
import { describeError } from "../api/errors";
import { useLoadWhenVisible } from "../hooks";

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

/** What `firstLoad` reads of a query (TanStack Query's result, plain or infinite). */
interface FirstLoadQuery {
  isPending: boolean;
  isLoadingError: boolean;
  fetchStatus: FetchStatus;
  error: unknown;
  refetch(): Promise<unknown>;
}

/**
 * A query's first load as every page shows it: a spinner while it loads (saying when it
 * waits for the connection), its error with Try again when it failed; null once it has
 * data, so a page writes `firstLoad(query, "Loading…") ?? <TheContent />`.
 */
export function firstLoad(query: FirstLoadQuery, label: string): ReactNode {
  if (query.isPending) return <Spinner label={label} paused={query.fetchStatus === "paused"} />;
  if (query.isLoadingError)
    return (
      <ErrorAlert error={query.error}>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void query.refetch()}>
          Try again
        </button>
      </ErrorAlert>
    );
  return null;
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

/**
 * The end of a paged list, while it has a next page: the page loads as this comes into
 * view (within a screen of it), so a long list never stops at a wall; the button does the
 * same for keyboards and for browsers without IntersectionObserver.
 */
export function LoadMore({
  query,
  what,
  label = `Load more ${what}`,
  compact = false,
}: {
  query: {
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    isFetchNextPageError: boolean;
    fetchNextPage(): Promise<unknown>;
  };
  /** What the list holds: "Load more tasks". */
  what: string;
  /** The button's words, when "Load more …" is not what this list says. */
  label?: string;
  /** A small button, for a list inside a panel. */
  compact?: boolean;
}) {
  const anchor = useRef<HTMLDivElement>(null);
  // Not again after a failed page: the list's error says so, and the button retries.
  useLoadWhenVisible(anchor, query.hasNextPage && !query.isFetchingNextPage && !query.isFetchNextPageError, () =>
    void query.fetchNextPage(),
  );
  if (!query.hasNextPage) return null;
  return (
    <div className={compact ? "load-more-compact" : "load-more"} ref={anchor}>
      <button
        type="button"
        className={`btn btn-secondary${compact ? " btn-small" : ""}`}
        onClick={() => void query.fetchNextPage()}
        disabled={query.isFetchingNextPage}
      >
        {query.isFetchingNextPage ? "Loading more…" : label}
      </button>
    </div>
  );
}

/** A mailed link that was spent, expired or replaced (or never whole); `children`: what now. */
export function LinkNoLongerWorks({ children }: { children?: ReactNode }) {
  return (
    <>
      <p className="alert alert-error" role="alert">
        This link no longer works: it was used already, has expired, or a newer one replaced it.
      </p>
      {children}
    </>
  );
}
