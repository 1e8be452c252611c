import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../api/client";
import { describeError, hasFieldError, NetworkError } from "../api/errors";
import { queryKeys, useMe } from "../api/queries";
import { refreshAccessToken } from "../api/session";
import { useAuth } from "../auth/AuthProvider";
import { LinkNoLongerWorks, Spinner } from "../components/feedback";
import { ResendVerification } from "../components/VerificationBanner";
import { useDocumentTitle } from "../hooks";

// A link's token is spent by its first use: one request per token, however often the
// page mounts (StrictMode mounts it twice). A failure that never reached the service may
// be tried again.
const attempts = new Map<string, Promise<void>>();

function verifyOnce(token: string): Promise<void> {
  let attempt = attempts.get(token);
  if (!attempt) {
    attempt = api.verifyEmail({ token });
    attempts.set(token, attempt);
  }
  return attempt;
}

type Outcome = { state: "pending" } | { state: "verified" } | { state: "failed"; error: unknown };

/** `/verify-email?token=…`, from a verification or email-change mail: follows it on load. */
export function VerifyEmailPage() {
  useDocumentTitle("Verify email");
  const token = useSearchParams()[0].get("token") ?? "";
  const queryClient = useQueryClient();
  const { status } = useAuth();
  const signedIn = status === "signed-in";
  const me = useMe({ enabled: signedIn });
  const [retry, setRetry] = useState(0);
  const [outcome, setOutcome] = useState<{ token: string; retry: number; outcome: Outcome } | null>(null);

  useEffect(() => {
    if (!token) return;
    let active = true;
    verifyOnce(token).then(
      async () => {
        // Signed in, a new access token says verified (accepting an invitation needs it).
        if (signedIn) await refreshAccessToken().catch(() => null);
        // The address (verified, or changed) shows everywhere the cached account does.
        void queryClient.invalidateQueries({ queryKey: queryKeys.me });
        if (active) setOutcome({ token, retry, outcome: { state: "verified" } });
      },
      (error: unknown) => {
        if (error instanceof NetworkError) attempts.delete(token);
        if (active) setOutcome({ token, retry, outcome: { state: "failed", error } });
      },
    );
    return () => {
      active = false;
    };
  }, [token, retry, queryClient, signedIn]);

  const current: Outcome = !token
    ? { state: "failed", error: null }
    : outcome && outcome.token === token && outcome.retry === retry
      ? outcome.outcome
      : { state: "pending" };

  return (
    <section className="card auth-card" aria-labelledby="verify-title">
      <h1 id="verify-title" tabIndex={-1}>
        Verify your email
      </h1>
      {current.state === "pending" ? (
        <Spinner label="Checking your link…" />
      ) : current.state === "verified" ? (
        <>
          <p className="alert alert-info" role="status">
            Thank you: your email address is confirmed.
          </p>
          <Link to={signedIn ? "/" : "/login"} className="btn btn-primary btn-block">
            {signedIn ? "Go to your projects" : "Log in"}
          </Link>
        </>
      ) : !token || hasFieldError(current.error, "token_invalid") ? (
        <LinkNoLongerWorks>
          {!signedIn ? (
            <p>
              <Link to="/login">Log in</Link> to ask for a new link.
            </p>
          ) : me.data?.email_verified ? (
            <p>
              Your address <strong>{me.data.email}</strong> is verified already. <Link to="/">Go to your projects</Link>
            </p>
          ) : me.data ? (
            <div className="verification-resend">
              <ResendVerification email={me.data.email} />
            </div>
          ) : null}
        </LinkNoLongerWorks>
      ) : (
        <>
          <p className="alert alert-error" role="alert">
            {describeError(current.error)}
          </p>
          {current.error instanceof NetworkError ? (
            <button type="button" className="btn btn-secondary" onClick={() => setRetry((n) => n + 1)}>
              Try again
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
