/**
 * The session as the browser sees it.
 *
 * - The access token lives in this module's memory only: never in localStorage,
 *   sessionStorage or a cookie readable by scripts. A reload forgets it.
 * - The refresh token is the HttpOnly `refresh_token` cookie (path /auth) that the auth
 *   service sets; scripts never see it. POST /auth/refresh (no body) spends it for a
 *   new pair.
 * - Refreshes are single-flight: every caller that needs one while one is running gets
 *   the same promise, so concurrent 401s cost one refresh. Across tabs, the Web Locks API
 *   (where present) serialises refreshes, because spending a refresh token twice ends the
 *   session on the server.
 * - A boolean hint in localStorage ("a session may exist") lets the app skip the refresh
 *   call on start for people who never logged in or who logged out. It is not a secret.
 * - Every request, with or without a session, goes through `send`: it gives up after a
 *   timeout (15 s, or localStorage `projectconnect.request-timeout-ms`), honours the
 *   caller's AbortSignal and tells the connection store whether an answer came.
 */
import { reportAnswered } from "./connection";
import { apiErrorFromResponse, NetworkError, RequestTimeout } from "./errors";

const HINT_KEY = "projectconnect.session-hint";
// Tests (and anyone debugging a slow link) may shorten or lengthen the request timeout.
const TIMEOUT_KEY = "projectconnect.request-timeout-ms";
const DEFAULT_TIMEOUT_MS = 15_000;
const LOCK_NAME = "projectconnect-refresh";

export type EndReason = "expired" | "logged-out" | "account-deleted" | "password-reset";
type Listener = (reason: EndReason) => void;

let accessToken: string | null = null;
let refreshInFlight: Promise<string | null> | null = null;
// Whether the app was told the session ended; a new token starts a new session.
let ended = false;
const listeners = new Set<Listener>();

export function apiOrigin(): string {
  return window.location.origin;
}

export function getAccessToken(): string | null {
  return accessToken;
}

export function setAccessToken(token: string | null): void {
  accessToken = token;
  if (token !== null) ended = false;
  setHint(token !== null);
}

function setHint(present: boolean): void {
  try {
    if (present) window.localStorage.setItem(HINT_KEY, "1");
    else window.localStorage.removeItem(HINT_KEY);
  } catch {
    // storage disabled: the hint is only an optimisation
  }
}

/** Whether a refresh cookie may exist (we logged in here and did not log out since). */
export function mayHaveSession(): boolean {
  try {
    return window.localStorage.getItem(HINT_KEY) === "1";
  } catch {
    return true;
  }
}

/** Subscribe to the end of the session (expired, logged out, account deleted). */
export function onSessionEnd(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Forget the access token and tell the app, which then shows the login page. An expiry
 * is told once per session: requests failing after a logout, or several requests sharing
 * one refused refresh, do not end it again. A logout or deletion is always told.
 */
export function endSession(reason: EndReason): void {
  setAccessToken(null);
  if (ended && reason === "expired") return;
  ended = true;
  for (const listener of [...listeners]) listener(reason);
}

function unauthorized(): Response {
  const problem = {
    type: "about:blank",
    title: "Unauthorized",
    status: 401,
    detail: "Your session has ended. Please log in again.",
  };
  return new Response(JSON.stringify(problem), {
    status: 401,
    headers: { "Content-Type": "application/problem+json" },
  });
}

async function postRefresh(): Promise<string | null> {
  const response = await send(
    new Request(`${apiOrigin()}/auth/refresh`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }),
  );
  if (response.ok) {
    const body = (await response.json()) as { access_token: string };
    setAccessToken(body.access_token);
    return body.access_token;
  }
  if (response.status === 401) {
    // No cookie, or a spent, expired or revoked one: there is no session to restore.
    setAccessToken(null);
    return null;
  }
  throw await apiErrorFromResponse(response);
}

function withCrossTabLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (locks && typeof locks.request === "function") {
    return locks.request(LOCK_NAME, fn) as Promise<T>;
  }
  return fn();
}

/**
 * Spend the refresh cookie for a new access token; resolves to null when there is no
 * session. Concurrent callers share one request.
 */
export function refreshAccessToken(): Promise<string | null> {
  refreshInFlight ??= withCrossTabLock(postRefresh).finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

function withBearer(request: Request, token: string | null): Request {
  const headers = new Headers(request.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  else headers.delete("Authorization");
  return new Request(request, { headers });
}

export function requestTimeoutMs(): number {
  try {
    const configured = Number(window.localStorage.getItem(TIMEOUT_KEY));
    if (Number.isFinite(configured) && configured > 0) return configured;
  } catch {
    // storage disabled: the default
  }
  return DEFAULT_TIMEOUT_MS;
}

/**
 * fetch with a timeout: rejects with RequestTimeout when no answer came in time,
 * NetworkError when none could come, and the caller's reason when its signal aborted.
 */
export async function send(request: Request): Promise<Response> {
  const caller = request.signal;
  const controller = new AbortController();
  const timeoutMs = requestTimeoutMs();
  let stop!: (reason: unknown) => void;
  // Settles the race even where fetch ignores the signal (test doubles).
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  // Settle the race first, then abort: the aborted fetch's own rejection comes too late.
  const timer = setTimeout(() => {
    stop(new RequestTimeout(timeoutMs));
    controller.abort();
  }, timeoutMs);
  const onAbort = () => {
    stop(caller.reason ?? new DOMException("The request was aborted.", "AbortError"));
    controller.abort(caller.reason);
  };
  if (caller.aborted) onAbort();
  else caller.addEventListener("abort", onAbort, { once: true });
  try {
    const response = await Promise.race([globalThis.fetch(request, { signal: controller.signal }), stopped]);
    reportAnswered(request.url, true);
    return response;
  } catch (error) {
    if (caller.aborted) throw caller.reason ?? error;
    reportAnswered(request.url, false);
    throw error instanceof NetworkError ? error : new NetworkError(error);
  } finally {
    clearTimeout(timer);
    caller.removeEventListener("abort", onAbort);
  }
}

/**
 * The access token to send: the one in memory, else one restored from the refresh cookie.
 * Null when there is no session; the app is told it ended, unless it never began here.
 */
export async function currentAccessToken(): Promise<string | null> {
  if (accessToken !== null) return accessToken;
  // Signed out already (or never signed in here): nothing to refresh, nothing to end.
  if (!mayHaveSession()) return null;
  return refreshOrEnd();
}

/**
 * After a 401 answered `used`: the token to try once more with, or null when there is none
 * (the session ended; the app is told). The token may have changed while that request was
 * in flight: another request already refreshed it (use the new one), or the session ended
 * meanwhile (give up). Otherwise refresh, sharing the refresh with every other caller.
 */
export async function accessTokenAfter401(used: string): Promise<string | null> {
  if (accessToken !== used) return accessToken;
  return refreshOrEnd();
}

/** A refreshed access token; none, the session is over and the app is told. */
async function refreshOrEnd(): Promise<string | null> {
  const token = await refreshAccessToken();
  if (token === null) endSession("expired");
  return token;
}

/**
 * fetch for authenticated API calls: adds the bearer token; on a 401 refreshes once
 * (shared with every other request that hit a 401 meanwhile) and retries once; when that
 * fails too, ends the session so the app goes back to the login page.
 */
export async function authenticatedFetch(request: Request): Promise<Response> {
  const spare = request.clone();
  const token = await currentAccessToken();
  if (token === null) return unauthorized();
  const first = await send(withBearer(request, token));
  if (first.status !== 401) return first;

  const renewed = await accessTokenAfter401(token);
  if (renewed === null) return first;
  const second = await send(withBearer(spare, renewed));
  if (second.status === 401) endSession("expired");
  return second;
}

/** Test helper: forget everything this module holds. */
export function resetSessionForTests(): void {
  accessToken = null;
  refreshInFlight = null;
  ended = false;
  listeners.clear();
}
