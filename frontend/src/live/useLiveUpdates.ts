import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { accessTokenAfter401, currentAccessToken, endSession, onSessionEnd, requestTimeoutMs } from "../api/session";
import { resetAccessEnded } from "./access";
import { openEventSource } from "./eventSource";
import { LiveCache } from "./liveCache";
import { parseNotice } from "./notices";
import { LiveStream } from "./stream";

/**
 * Live updates for the signed-in session (the app's signed-in layout mounts it once per
 * tab): what teammates change shows without a reload. Stops when the person signs out.
 */
export function useLiveUpdates(): void {
  const qc = useQueryClient();
  useEffect(() => {
    const cache = new LiveCache(qc);
    const stream = new LiveStream({
      open: openEventSource,
      token: currentAccessToken,
      renewToken: accessTokenAfter401,
      sessionExpired: () => endSession("expired"),
      onNotice: (kind, data) => {
        const notice = parseNotice(kind, data);
        if (notice) cache.receive(notice);
      },
      onReset: () => cache.refetchEverything(),
      connectTimeoutMs: requestTimeoutMs,
    });
    const online = () => stream.goOnline();
    const offline = () => stream.goOffline();
    const shown = () => {
      if (document.visibilityState === "visible") stream.wake();
    };
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    document.addEventListener("visibilitychange", shown);
    // Before React unmounts the layout: no request of the stream outlives the session.
    const stopOnEnd = onSessionEnd(() => stream.stop());
    cache.start();
    stream.start();
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      document.removeEventListener("visibilitychange", shown);
      stopOnEnd();
      stream.stop();
      cache.stop();
      resetAccessEnded();
    };
  }, [qc]);
}
