import { afterEach, describe, expect, it, vi } from "vitest";
import { openEventSource } from "./eventSource";
import type { Failure, TransportEvents } from "./stream";

/** What the transport told, in order. */
function recorder() {
  const told: string[] = [];
  const failed: Failure[] = [];
  const events: TransportEvents = {
    onOpen: () => told.push("open"),
    onActivity: () => told.push("activity"),
    onEvent: (type, data, id) => told.push(`${type} ${data} ${id}`),
    onFailure: (failure) => failed.push(failure),
  };
  return { told, failed, events };
}

/** A stream answer whose chunks are pushed by the test. */
function streamed() {
  let push!: (text: string) => void;
  let end!: () => void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (text) => controller.enqueue(new TextEncoder().encode(text));
      end = () => controller.close();
    },
  });
  const response = new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
  return { response, push: (text: string) => push(text), end: () => end() };
}

const until = (check: () => boolean) => vi.waitFor(() => expect(check()).toBe(true));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("openEventSource", () => {
  it("sends the bearer token and Last-Event-ID, and passes events, their ids and heartbeats on", async () => {
    const answer = streamed();
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => answer.response);
    vi.stubGlobal("fetch", fetch);
    const r = recorder();
    const transport = openEventSource({ url: "/events/stream", token: "tok", lastEventId: "4-0" }, r.events);
    await until(() => r.told.includes("open"));
    const headers = new Headers(fetch.mock.calls[0]![1]!.headers);
    expect(headers.get("Authorization")).toBe("Bearer tok");
    expect(headers.get("Last-Event-ID")).toBe("4-0");
    expect(String(fetch.mock.calls[0]![0])).toMatch(/\/events\/stream$/);

    answer.push('retry: 2000\nevent: ready\nid: 5-0\ndata: {"resumed":true}\n\n');
    answer.push(": keep-alive\n\n");
    answer.push('event: task\nid: 6-0\ndata: {"op":"changed","id":"t1"}\n\n');
    await until(() => r.told.some((t) => t.startsWith("task")));
    expect(r.told.filter((t) => t !== "activity")).toEqual(['open', 'ready {"resumed":true} 5-0', 'task {"op":"changed","id":"t1"} 6-0']);
    expect(r.told.filter((t) => t === "activity").length).toBeGreaterThanOrEqual(3);

    // The server closed the stream: reported once, and not reconnected by the package.
    answer.end();
    await until(() => r.failed.length > 0);
    expect(r.failed).toEqual([{ kind: "closed" }]);
    transport.close();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("a refusal says its status and Retry-After", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response('{"status":429}', { status: 429, headers: { "Retry-After": "30" } })),
    );
    const r = recorder();
    openEventSource({ url: "/events/stream", token: "tok", lastEventId: null }, r.events);
    await until(() => r.failed.length > 0);
    expect(r.failed).toEqual([{ kind: "refused", status: 429, retryAfterMs: 30_000 }]);
  });

  it("no answer is a network failure", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const r = recorder();
    openEventSource({ url: "/events/stream", token: "tok", lastEventId: null }, r.events);
    await until(() => r.failed.length > 0);
    expect(r.failed).toEqual([{ kind: "network" }]);
  });
});
