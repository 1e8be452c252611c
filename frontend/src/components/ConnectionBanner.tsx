import { useQueryClient } from "@tanstack/react-query";
import { forgetFailures, useConnection } from "../api/connection";

/**
 * Says so when nothing can be saved: the browser is offline, or requests get no answer
 * (a dead server, a hanging connection). Goes away by itself once a request gets through.
 */
export function ConnectionBanner() {
  const connection = useConnection();
  const queryClient = useQueryClient();
  return (
    <div role="status" aria-live="polite">
      {connection === "online" ? null : (
        <div className="connection-banner">
          <div className="connection-banner-inner">
            <p>
              {connection === "offline"
                ? "You’re offline. Changes can’t be saved until your connection is back."
                : "Can’t reach Project Connect. Changes can’t be saved until it answers again."}
            </p>
            {connection === "unreachable" ? (
              <button
                type="button"
                className="btn btn-secondary btn-small"
                onClick={() => {
                  // Ask again: the next answer (or the next failure) sets the banner.
                  forgetFailures();
                  void queryClient.refetchQueries({ type: "active" });
                }}
              >
                Try again
              </button>
            ) : null}
          </div>
        </div>
      )}
    </div>
  );
}
