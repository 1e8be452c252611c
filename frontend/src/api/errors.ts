import type { components } from "./projects";

export type FieldError = components["schemas"]["FieldError"];

/** An RFC 9457 problem document: the services' `Problem` schema, its defaulted members optional. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string | null;
  instance?: string | null;
  errors?: FieldError[] | null;
}

// The generated schema must stay assignable to ours (fails to compile if the API drifts).
type Assignable<T extends Problem> = T;
export type GeneratedProblem = Assignable<components["schemas"]["Problem"]>;

/** An HTTP answer that was not a success, carrying its RFC 9457 problem document. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** Seconds from a 429's Retry-After header, when it had one. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem, retryAfter: number | null = null) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }

  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** The request never got an answer: offline, DNS, connection refused, CORS... */
export class NetworkError extends Error {
  constructor(cause?: unknown, message = "Network request failed") {
    super(message, { cause });
    this.name = "NetworkError";
  }
}

/** No answer within the request timeout (a hanging server or a dead connection). */
export class RequestTimeout extends NetworkError {
  constructor(readonly afterMs: number) {
    super(undefined, `No answer within ${afterMs} ms`);
    this.name = "RequestTimeout";
  }
}

/** The `reason` member of a problem document (`email_unverified`, `project_in_trash`…). */
export function problemReason(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  const reason = (error.problem as { reason?: unknown }).reason;
  return typeof reason === "string" ? reason : null;
}

/** A write refused with 412: someone changed the thing since this page read it. */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 412;
}

/** The caller gave up on the request (a dialog closed while it ran): nothing to report. */
export function isAbort(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AbortError";
}

function isOffline(): boolean {
  return typeof navigator !== "undefined" && navigator.onLine === false;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { title?: unknown }).title === "string" &&
    typeof (value as { status?: unknown }).status === "number"
  );
}

/** Builds an ApiError from a response and whatever body openapi-fetch parsed from it. */
export function apiErrorFrom(response: Response, body: unknown): ApiError {
  const problem: Problem = isProblem(body)
    ? body
    : { type: "about:blank", title: response.statusText || `HTTP ${response.status}`, status: response.status };
  return new ApiError(response.status, problem, parseRetryAfter(response.headers.get("Retry-After")));
}

export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status line
  }
  return apiErrorFrom(response, body);
}

/** One sentence for people, for errors that are not about a particular field. */
export function describeError(error: unknown): string {
  if (error instanceof RequestTimeout) {
    return "Project Connect didn’t answer in time. Check your connection and try again.";
  }
  if (error instanceof NetworkError) {
    return isOffline()
      ? "You’re offline. Check your connection and try again."
      : "Can’t reach Project Connect. Check your connection and try again.";
  }
  if (error instanceof ApiError) {
    if (error.status === 429) {
      const wait = error.retryAfter;
      return wait
        ? `Too many requests. Please wait ${wait} second${wait === 1 ? "" : "s"} and try again.`
        : "Too many requests. Please wait a moment and try again.";
    }
    if (error.status >= 500) {
      return `Something went wrong on our side (${error.status}). Please try again in a moment.`;
    }
    return error.problem.detail ?? error.problem.title;
  }
  return "Something unexpected went wrong. Please try again.";
}

/** Whether the API refused the request with a field error of this code (`email_taken`...). */
export function hasFieldError(error: unknown, code: string): boolean {
  return error instanceof ApiError && error.fieldErrors.some((e) => e.code === code);
}

/**
 * Field errors keyed by field name (the last part of a dotted path, so 'body.name' is
 * 'name'); the first message per field wins.
 */
export function fieldErrorMap(error: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  if (error instanceof ApiError) {
    for (const e of error.fieldErrors) {
      const name = e.field.split(".").pop() ?? e.field;
      map[name] ??= e.message;
    }
  }
  return map;
}
