import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  backoffDelay,
  LiveStream,
  MAX_DELAY_MS,
  parseRetryAfter,
  REFUSED_DELAY_MS,
  STALL_MS,
  type LiveStreamOptions,
  type TransportEvents,
  type TransportRequest,
} from "./stream";

interface Opened {
  request: TransportRequest;
  events: TransportEvents;
  closed: boolean;
}

/** A stream whose connections are recorded and driven by hand. */
function setUp(overrides: Partial<LiveStreamOptions> = {}) {
  const opened: Opened[] = [];
  let online = true;
  let token: string | null = "t1";
  const notices: string[] = [];
  const options = {
    open: (request: TransportRequest, events: TransportEvents) => {
      const connection: Opened = { request, events, closed: false };
      opened.push(connection);
      return { close: () => void (connection.closed = true) };
    },
    token: vi.fn(async () => token),
    renewToken: vi.fn(async (used: string) => (used === "t1" ? "t2" : "t3")),
    sessionExpired: vi.fn(),
    onNotice: (kind: string, data: string) => void notices.push(`${kind} ${data}`),
    onReset: vi.fn(),
    isOnline: () => online,
    // No jitter: the waits are their ceilings.
    random: () => 1,
    ...overrides,
  } satisfies LiveStreamOptions;
  const stream = new LiveStream(options);
  const last = () => opened.at(-1)!;
  /** Lets the awaited token (a resolved promise) reach the transport. */
  const settle = () => vi.advanceTimersByTimeAsync(0);
  const ready = async (resumed = false, id = "1-0") => {
    last().events.onOpen();
    last().events.onEvent("ready", JSON.stringify({ resumed }), id);
    await settle();
  };
  return {
    stream,
    options,
    opened,
    notices,
    last,
    settle,
    ready,
    setOnline: (value: boolean) => void (online = value),
    setToken: (value: string | null) => void (token = value),
  };
}

/** `setUp`, started, with its first connection open (no events yet). */
async function connected(overrides: Partial<LiveStreamOptions> = {}) {
  const t = setUp(overrides);
  t.stream.start();
  await t.settle();
  return t;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("starts at the server's 2 s, doubles, stops at 30 s, and jitters down to half", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, () => 1))).toEqual([2000, 4000, 8000, 16000, 30000, 30000, MAX_DELAY_MS]);
    expect(backoffDelay(0, () => 0)).toBe(1000);
    expect(backoffDelay(4, () => 0)).toBe(15000);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates; nothing readable is null", () => {
    expect(parseRetryAfter("30")).toBe(30_000);
    expect(parseRetryAfter("Wed, 01 Dec 2026 10:00:05 GMT", Date.parse("Wed, 01 Dec 2026 10:00:00 GMT"))).toBe(5000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("LiveStream", () => {
  it("connects with the session's token and no Last-Event-ID, and passes notices on", async () => {
    const t = await connected();
    expect(t.opened).toHaveLength(1);
    expect(t.last().request).toEqual({ url: "/events/stream", token: "t1", lastEventId: null });
    await t.ready(false, "5-0");
    expect(t.stream.status).toBe("live");
    t.last().events.onEvent("task", '{"op":"changed","id":"x"}', "6-0");
    expect(t.notices).toEqual(['task {"op":"changed","id":"x"}']);
    expect(t.stream.lastId).toBe("6-0");
    // The first connection has nothing to catch up on.
    expect(t.options.onReset).not.toHaveBeenCalled();
  });

  it("after a dropped stream, waits the server's retry, then resumes from the last id", async () => {
    const t = await connected();
    await t.ready(false, "5-0");
    t.last().events.onEvent("task", "{}", "7-0");
    t.last().events.onFailure({ kind: "network" });
    expect(t.last().closed).toBe(true);
    expect(t.stream.status).toBe("waiting");
    await vi.advanceTimersByTimeAsync(1999);
    expect(t.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opened).toHaveLength(2);
    expect(t.last().request.lastEventId).toBe("7-0");
    await t.ready(true, "7-0");
    expect(t.options.onReset).not.toHaveBeenCalled();
  });

  it("backs off while connections keep failing, and starts again from 2 s once one is live", async () => {
    const t = await connected();
    const waits: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const before = t.opened.length;
      t.last().events.onFailure({ kind: "network" });
      let waited = 0;
      while (t.opened.length === before) {
        await vi.advanceTimersByTimeAsync(1000);
        waited += 1000;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    await t.ready();
    t.last().events.onFailure({ kind: "closed" });
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.opened).toHaveLength(8);
  });

  it("on 429 waits at least the Retry-After it was given", async () => {
    const t = await connected({ random: () => 0 });
    t.last().events.onFailure({ kind: "refused", status: 429, retryAfterMs: 30_000 });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(t.opened).toHaveLength(1);
    // Back online or shown again does not cut a wait the server asked for.
    t.stream.wake();
    t.stream.goOnline();
    await t.settle();
    expect(t.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opened).toHaveLength(2);
  });

  it("on 503 without Retry-After backs off like a network failure", async () => {
    const t = await connected();
    t.last().events.onFailure({ kind: "refused", status: 503, retryAfterMs: null });
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.opened).toHaveLength(2);
  });

  it("on 401 refreshes the token once and reconnects at once; refused again, the session is over", async () => {
    const t = await connected();
    await t.ready(false, "3-0");
    t.last().events.onFailure({ kind: "refused", status: 401, retryAfterMs: null });
    await t.settle();
    expect(t.options.renewToken).toHaveBeenCalledWith("t1");
    expect(t.opened).toHaveLength(2);
    expect(t.last().request).toMatchObject({ token: "t2", lastEventId: "3-0" });
    t.last().events.onFailure({ kind: "refused", status: 401, retryAfterMs: null });
    await t.settle();
    expect(t.options.sessionExpired).toHaveBeenCalledTimes(1);
    expect(t.stream.status).toBe("stopped");
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.opened).toHaveLength(2);
  });

  it("stops when the refresh finds no session (the app was told)", async () => {
    const t = await connected({ renewToken: vi.fn(async () => null) });
    t.last().events.onFailure({ kind: "refused", status: 401, retryAfterMs: null });
    await t.settle();
    expect(t.stream.status).toBe("stopped");
    expect(t.options.sessionExpired).not.toHaveBeenCalled();
  });

  it("end (token expired): a fresh token, then at once with the last id", async () => {
    const t = await connected();
    await t.ready(false, "9-0");
    t.last().events.onEvent("end", '{"reason":"token_expired"}', null);
    expect(t.opened[0]!.closed).toBe(true);
    await t.settle();
    expect(t.options.renewToken).toHaveBeenCalledWith("t1");
    expect(t.opened).toHaveLength(2);
    expect(t.last().request.lastEventId).toBe("9-0");
  });

  it("end (session ended): tries again shortly, and the 401 then decides", async () => {
    const t = await connected();
    await t.ready(false, "9-0");
    t.last().events.onEvent("end", '{"reason":"session_ended"}', null);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.opened).toHaveLength(2);
    expect(t.options.renewToken).not.toHaveBeenCalled();
  });

  it("reset refetches everything; so does a fresh start after a loss with no id to resume from", async () => {
    const t = await connected();
    t.last().events.onEvent("reset", '{"reason":"gap"}', "4-0");
    expect(t.options.onReset).toHaveBeenCalledTimes(1);

    const u = await connected();
    u.last().events.onFailure({ kind: "network" }); // before any event: no id
    await vi.advanceTimersByTimeAsync(2000);
    expect(u.last().request.lastEventId).toBeNull();
    await u.ready(false);
    expect(u.options.onReset).toHaveBeenCalledTimes(1);
  });

  it("offline: drops the stream and tries nothing until online, then at once", async () => {
    const t = await connected();
    await t.ready(false, "2-0");
    t.setOnline(false);
    t.stream.goOffline();
    expect(t.last().closed).toBe(true);
    expect(t.stream.status).toBe("offline");
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.opened).toHaveLength(1);
    t.setOnline(true);
    t.stream.goOnline();
    await t.settle();
    expect(t.opened).toHaveLength(2);
    expect(t.last().request.lastEventId).toBe("2-0");
  });

  it("a backoff wait ends when the tab is shown again", async () => {
    const t = await connected();
    for (let i = 0; i < 3; i += 1) {
      t.last().events.onFailure({ kind: "network" });
      await vi.advanceTimersByTimeAsync(20_000);
    }
    t.last().events.onFailure({ kind: "network" });
    t.stream.wake();
    await t.settle();
    expect(t.opened).toHaveLength(5);
  });

  it("a stream silent for three heartbeats is taken for dead", async () => {
    const t = await connected();
    await t.ready();
    await vi.advanceTimersByTimeAsync(STALL_MS - 1000);
    t.last().events.onActivity(); // a heartbeat
    await vi.advanceTimersByTimeAsync(STALL_MS - 1);
    expect(t.last().closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opened[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.opened).toHaveLength(2);
  });

  it("a connect that gets no answer in time is given up and tried again", async () => {
    const t = await connected({ connectTimeoutMs: () => 3000 });
    await vi.advanceTimersByTimeAsync(3000);
    expect(t.opened[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(t.opened).toHaveLength(2);
  });

  it("waits long after a refusal that asking again soon will not change", async () => {
    const t = await connected();
    t.last().events.onFailure({ kind: "refused", status: 404, retryAfterMs: null });
    await vi.advanceTimersByTimeAsync(REFUSED_DELAY_MS - 1);
    expect(t.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.opened).toHaveLength(2);
  });

  it("stop closes the stream for good; what the old connection says later is ignored", async () => {
    const t = await connected();
    const first = t.last();
    t.stream.stop();
    expect(first.closed).toBe(true);
    first.events.onEvent("task", "{}", "8-0");
    first.events.onFailure({ kind: "network" });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.opened).toHaveLength(1);
    expect(t.notices).toEqual([]);
  });

  it("without a session it does not connect", async () => {
    const t = setUp();
    t.setToken(null);
    t.stream.start();
    await t.settle();
    expect(t.opened).toHaveLength(0);
    expect(t.stream.status).toBe("stopped");
  });
});
