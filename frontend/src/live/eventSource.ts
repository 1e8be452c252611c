/**
 * The live stream's HTTP side: the `eventsource` package (a WHATWG EventSource over fetch)
 * with a fetch of our own, because the browser's EventSource cannot send the bearer token
 * and the token must never be put in the URL. The fetch also notes the answer's status and
 * Retry-After (the package's error event carries only the status) and every chunk that
 * arrives, heartbeats included, for the loop's watchdog (`stream.ts`).
 *
 * The package would reconnect by itself; the loop decides instead (back-off, a fresh token,
 * Last-Event-ID), so any failure closes this EventSource and is reported once.
 */
import { EventSource } from "eventsource";
import { CONTROL_KINDS, NOTICE_KINDS } from "./notices";
import { parseRetryAfter, type Failure, type OpenTransport, type Transport } from "./stream";

const EVENTS: readonly string[] = [...NOTICE_KINDS, ...CONTROL_KINDS];

export const openEventSource: OpenTransport = ({ url, token, lastEventId }, events): Transport => {
  let retryAfter: string | null = null;
  let over = false;

  const source = new EventSource(url, {
    fetch: async (input, init) => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${token}`);
      if (lastEventId) headers.set("Last-Event-ID", lastEventId);
      const response = await globalThis.fetch(input, { ...init, headers, credentials: "same-origin" });
      retryAfter = response.headers.get("Retry-After");
      if (!response.ok || response.body === null) return response;
      const counted = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            if (!over) events.onActivity();
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
  });

  function finish(failure: Failure): void {
    if (over) return;
    over = true;
    source.close();
    events.onFailure(failure);
  }

  source.addEventListener("open", () => {
    if (!over) events.onOpen();
  });
  for (const type of EVENTS) {
    source.addEventListener(type, (event: MessageEvent<string>) => {
      if (!over) events.onEvent(type, event.data, event.lastEventId || null);
    });
  }
  source.addEventListener("error", (event) => {
    if (source.readyState === EventSource.CLOSED) {
      // An answer other than the stream (the package does not try again after one).
      finish({ kind: "refused", status: event.code ?? 0, retryAfterMs: parseRetryAfter(retryAfter) });
    } else {
      // It would reconnect by itself: no answer or a broken connection (a message says
      // which), or the stream's end.
      finish(event.message ? { kind: "network" } : { kind: "closed" });
    }
  });

  return {
    close() {
      over = true;
      source.close();
    },
  };
};
