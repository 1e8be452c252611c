import type { ReactNode } from "react";
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
