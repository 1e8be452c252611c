import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api/client";
import { ApiError, describeError } from "../api/errors";
import { useMe } from "../api/queries";

const DISMISSED_KEY = "projectconnect.verification-banner-dismissed";

function waitWords(seconds: number | null): string {
  if (!seconds) return "in a moment";
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minutes`;
}

/** What came of asking for a new link, in words for people (a 429 is not a failure). */
function resendOutcome(error: unknown): string {
  if (error instanceof ApiError && error.status === 429) {
    return `A link was sent a short while ago. You can ask for another ${waitWords(error.retryAfter)}.`;
  }
  return describeError(error);
}

/** "Resend link" for the signed-in account's address, and what came of it. */
export function ResendVerification({ email }: { email: string }) {
  const resend = useMutation({ mutationFn: api.resendVerification });
  return (
    <>
      <button
        type="button"
        className="btn btn-secondary btn-small"
        onClick={() => resend.mutate()}
        disabled={resend.isPending}
      >
        {resend.isPending ? "Sending…" : "Resend link"}
      </button>
      <span role="status" className="verification-outcome">
        {resend.isSuccess ? `A new link is on its way to ${email}.` : resend.error ? resendOutcome(resend.error) : ""}
      </span>
    </>
  );
}

function dismissedFor(): string | null {
  try {
    return window.sessionStorage.getItem(DISMISSED_KEY);
  } catch {
    return null;
  }
}

/**
 * Asks the signed-in person to follow the link mailed to their address while it is not
 * verified. Dismissed, it stays away for the browser session (for that account).
 */
export function VerificationBanner() {
  const me = useMe();
  const [dismissed, setDismissed] = useState(dismissedFor);
  const user = me.data;
  if (!user || user.email_verified || dismissed === user.id) return null;

  function dismiss() {
    if (!user) return;
    try {
      window.sessionStorage.setItem(DISMISSED_KEY, user.id);
    } catch {
      // storage disabled: dismissed for this page's life only
    }
    setDismissed(user.id);
  }

  return (
    <section className="verification-banner" aria-label="Email verification">
      <div className="verification-banner-inner">
        <p>
          Please verify your email address: follow the link we mailed you.
        </p>
        <div className="verification-banner-actions">
          <ResendVerification email={user.email} />
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={dismiss}
            aria-label="Not now: hide the verification reminder"
          >
            Not now
          </button>
        </div>
      </div>
    </section>
  );
}
