/**
 * The live stream's connection loop: one `GET /events/stream` at a time, for as long as the
 * person is signed in, kept open through everything a connection meets.
 *
 * - Every connect takes the access token from `session.ts` (restoring it if needed) and
 *   sends the last event id it saw as `Last-Event-ID`, so the server replays what was
 *   missed, or says `reset` when it cannot (then everything shown is refetched).
 * - A 401 refreshes the token once, as the API client does (sharing the refresh with every
 *   other request); a 401 again ends the session, and the app signs out.
 * - `end`: `token_expired` reconnects at once with a fresh token; `session_ended` or
 *   `session_unconfirmed` tries again after a back-off, where a 401 says whether it ended.
 * - 429 and 503 wait at least their Retry-After; network failures, a stream the server
 *   closed, or one that went silent for three heartbeats back off (2 s, doubling, up to
 *   30 s, with jitter, so many tabs do not come back at once); other refusals wait long.
 * - Offline, nothing is tried; back online (or the tab shown again) tries at once.
 *
 * The HTTP side is a `Transport` (`eventSource.ts`), so the loop is tested without one.
 */
import { parseControl } from "./notices";

export type Failure =
  /** An answer other than the stream (401, 429, 503, ...). */
  | { kind: "refused"; status: number; retryAfterMs: number | null }
  /** No answer, or the connection broke. */
  | { kind: "network" }
  /** The server closed the stream without saying why (a restart, a proxy). */
  | { kind: "closed" }
  /** Nothing came for longer than the heartbeats allow, or no answer in time. */
  | { kind: "stalled" };

export interface TransportEvents {
  /** The stream's answer came (200, text/event-stream). */
  onOpen(): void;
  /** Bytes arrived: events or the heartbeat comments. */
  onActivity(): void;
  onEvent(type: string, data: string, id: string | null): void;
  /** At most once; the transport is closed after it. */
  onFailure(failure: Failure): void;
}

export interface Transport {
  close(): void;
}

export interface TransportRequest {
  url: string;
  token: string;
  lastEventId: string | null;
}

export type OpenTransport = (request: TransportRequest, events: TransportEvents) => Transport;

export interface LiveStreamOptions {
  open: OpenTransport;
  url?: string;
  /** The access token to connect with; null when there is no session. */
  token(): Promise<string | null>;
  /** After a 401 answered `used`: a fresh token, or null when the session is over. */
  renewToken(used: string): Promise<string | null>;
  /** A refreshed token was refused too: the session is over. */
  sessionExpired(): void;
  onNotice(kind: string, data: string): void;
  /** What was missed cannot be replayed: refetch everything shown. */
  onReset(): void;
  isOnline?(): boolean;
  /** How long a connect may wait for its answer. */
  connectTimeoutMs?(): number;
  random?(): number;
}

export type LiveStatus = "idle" | "connecting" | "live" | "waiting" | "offline" | "stopped";

export const STREAM_URL = "/events/stream";
/** The server's `retry:` (2 s): the first wait after a stream dropped. */
export const RETRY_MS = 2000;
export const MAX_DELAY_MS = 30_000;
/** Heartbeats come every 15 s: three missed and the connection is taken for dead. */
export const STALL_MS = 45_000;
/** After a refusal that asking again soon will not change (a 404 from an older server). */
export const REFUSED_DELAY_MS = 5 * 60_000;
const CONNECT_TIMEOUT_MS = 15_000;

/** The wait before the next try after `failures` failed ones: 2 s doubling up to 30 s, jittered down to half. */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, RETRY_MS * 2 ** Math.max(0, failures));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After in milliseconds (seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export class LiveStream {
  private state: LiveStatus = "idle";
  private lastEventId: string | null = null;
  private failures = 0;
  // Each connect's number: callbacks of an earlier one are ignored.
  private attempt = 0;
  private transport: Transport | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  // A wait that may be cut short (back online, tab shown): not one a Retry-After asked for.
  private wakeable = false;
  // The token a 401 made us refresh to: refused too, the session is over.
  private renewed: string | null = null;
  // A connection was lost: a fresh start (no id to resume from) must refetch everything.
  private missed = false;
  private readonly options: LiveStreamOptions;

  constructor(options: LiveStreamOptions) {
    this.options = options;
  }

  get status(): LiveStatus {
    return this.state;
  }

  /** The last event id seen, sent as Last-Event-ID on the next connect. */
  get lastId(): string | null {
    return this.lastEventId;
  }

  start(): void {
    if (this.state !== "idle") return;
    void this.connect();
  }

  /** For good: signed out, or the app closed. */
  stop(): void {
    this.state = "stopped";
    this.drop();
  }

  goOffline(): void {
    if (this.state === "stopped" || this.state === "idle") return;
    this.drop();
    this.missed = true;
    this.state = "offline";
  }

  goOnline(): void {
    if (this.state !== "offline" && !(this.state === "waiting" && this.wakeable)) return;
    this.failures = 0;
    void this.connect();
  }

  /** The tab is shown again: a backoff wait ends now. */
  wake(): void {
    if (this.state === "waiting" && this.wakeable) void this.connect();
  }

  private online(): boolean {
    return this.options.isOnline?.() ?? (typeof navigator === "undefined" || navigator.onLine !== false);
  }

  /** Closes the connection and forgets the timers; later callbacks of it are ignored. */
  private drop(): void {
    this.attempt += 1;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.retryTimer = null;
    this.watchdog = null;
    const transport = this.transport;
    this.transport = null;
    transport?.close();
  }

  /** `fresh`: a token just renewed, else the session's current one. */
  private async connect(fresh?: string): Promise<void> {
    if (this.state === "stopped") return;
    this.drop();
    if (!this.online()) {
      this.state = "offline";
      return;
    }
    const attempt = this.attempt;
    this.state = "connecting";
    let token: string | null;
    try {
      token = fresh ?? (await this.options.token());
    } catch {
      // The refresh itself got no answer.
      return this.fail(attempt, { kind: "network" }, null);
    }
    if (attempt !== this.attempt) return;
    if (token === null) return this.stop(); // no session: the app was told
    const used = token;
    this.arm(attempt, this.options.connectTimeoutMs?.() ?? CONNECT_TIMEOUT_MS);
    this.transport = this.options.open(
      { url: this.options.url ?? STREAM_URL, token, lastEventId: this.lastEventId },
      {
        onOpen: () => this.arm(attempt, STALL_MS),
        onActivity: () => this.arm(attempt, STALL_MS),
        onEvent: (type, data, id) => this.receive(attempt, used, type, data, id),
        onFailure: (failure) => void this.fail(attempt, failure, used),
      },
    );
  }

  /** Restarts the watchdog: silent for `ms`, the connection is dropped and tried again. */
  private arm(attempt: number, ms: number): void {
    if (attempt !== this.attempt) return;
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => void this.fail(attempt, { kind: "stalled" }, null), ms);
  }

  private receive(attempt: number, used: string, type: string, data: string, id: string | null): void {
    if (attempt !== this.attempt) return;
    if (id) this.lastEventId = id;
    const control = parseControl(type, data);
    if (control === null) {
      this.options.onNotice(type, data);
      return;
    }
    switch (control.kind) {
      case "ready":
        this.state = "live";
        this.failures = 0;
        this.renewed = null;
        // Not resumed after a loss: what happened meanwhile is unknown (there was no id to
        // resume from). The very first connection has nothing to catch up on.
        if (!control.resumed && this.missed) this.options.onReset();
        this.missed = false;
        return;
      case "reset":
        this.options.onReset();
        this.missed = false;
        return;
      case "end":
        this.drop();
        this.missed = true;
        if (control.reason === "token_expired") {
          void this.reconnectWithFreshToken(this.attempt, used, false);
        } else {
          // The session check failed: a 401 on the next connect says whether it really ended.
          this.retryLater(backoffDelay(this.failures++, this.options.random), true);
        }
        return;
    }
  }

  /**
   * Connects at once with a token renewed from `used`. `refused`: a 401 refused `used`, so a
   * 401 of the renewed one ends the session.
   */
  private async reconnectWithFreshToken(attempt: number, used: string, refused: boolean): Promise<void> {
    this.state = "connecting";
    let token: string | null;
    try {
      token = await this.options.renewToken(used);
    } catch {
      // The refresh itself got no answer.
      return this.fail(attempt, { kind: "network" }, null);
    }
    if (attempt !== this.attempt) return;
    if (token === null) return this.stop(); // no session: the app was told
    if (refused) this.renewed = token;
    return this.connect(token);
  }

  private async fail(attempt: number, failure: Failure, used: string | null): Promise<void> {
    if (attempt !== this.attempt || this.state === "stopped") return;
    this.drop();
    this.missed = true;
    if (failure.kind === "refused" && failure.status === 401 && used !== null) {
      if (this.renewed === used) {
        this.options.sessionExpired();
        return this.stop();
      }
      return this.reconnectWithFreshToken(this.attempt, used, true);
    }
    if (failure.kind === "refused" && (failure.status === 429 || failure.status === 503)) {
      const backoff = backoffDelay(this.failures++, this.options.random);
      const asked = failure.retryAfterMs;
      // Told when to come back: then, plus up to a second so tabs do not come back together.
      if (asked !== null && asked >= backoff) {
        return this.retryLater(asked + Math.round((this.options.random ?? Math.random)() * 1000), false);
      }
      return this.retryLater(backoff, true);
    }
    if (failure.kind === "refused" && failure.status >= 400 && failure.status < 500) {
      this.failures += 1;
      return this.retryLater(REFUSED_DELAY_MS, false);
    }
    return this.retryLater(backoffDelay(this.failures++, this.options.random), true);
  }

  private retryLater(ms: number, wakeable: boolean): void {
    if (this.state === "stopped") return;
    this.state = "waiting";
    this.wakeable = wakeable;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, ms);
  }
}
