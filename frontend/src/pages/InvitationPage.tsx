import { useMutation } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../api/client";
import { ApiError, problemReason } from "../api/errors";
import { useAcceptInvitation, useInvitationPreview, useMe } from "../api/queries";
import { ROLE_DESCRIPTIONS, withArticle } from "../api/roles";
import { useAuth } from "../auth/AuthProvider";
import { ErrorAlert, Spinner } from "../components/feedback";
import { ResendVerification } from "../components/VerificationBanner";
import { useDocumentTitle } from "../hooks";

/** Why a link cannot be used, in words for people (404: never valid; 410: no longer). */
export function unusableInvitation(error: unknown): { title: string; text: string } | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 404) {
    return { title: "This invitation link isn’t valid", text: "Check that you copied the whole link, or ask for a new one." };
  }
  if (error.status === 410) {
    return {
      title: "This invitation can’t be used any more",
      text: "It has expired, was withdrawn or has been used already. Ask the person who invited you for a new one.",
    };
  }
  return null;
}

/**
 * `/invite/:token`, the page a shared invitation link opens, logged in or not. It shows
 * what the invitation offers (the workspace, who invited, the role); logged out it offers
 * sign-up and login, which come back here; logged in, accepting joins the workspace and
 * opens it.
 */
export function InvitationPage() {
  const { token = "" } = useParams();
  const { status } = useAuth();
  const preview = useInvitationPreview(token);
  const accept = useAcceptInvitation(token);
  const me = useMe({ enabled: status === "signed-in" });
  const logout = useMutation({ mutationFn: api.logout });
  const navigate = useNavigate();
  useDocumentTitle(preview.data ? `Join ${preview.data.workspace_name}` : "Invitation");

  const here = `/invite/${token}`;
  const unusable = unusableInvitation(preview.error);
  if (preview.isPending || status === "restoring") {
    return (
      <section className="card auth-card">
        <Spinner label="Loading the invitation…" paused={preview.fetchStatus === "paused"} />
      </section>
    );
  }
  if (unusable || preview.isError) {
    return (
      <section className="card auth-card" aria-labelledby="invitation-title">
        <h1 id="invitation-title" tabIndex={-1}>
          {unusable?.title ?? "Couldn’t load the invitation"}
        </h1>
        {unusable ? (
          <p className="muted">{unusable.text}</p>
        ) : (
          <ErrorAlert error={preview.error}>
            <button type="button" className="btn btn-secondary btn-small" onClick={() => void preview.refetch()}>
              Try again
            </button>
          </ErrorAlert>
        )}
        <p className="auth-switch">
          <Link to="/">Go to Project Connect</Link>
        </p>
      </section>
    );
  }

  const invitation = preview.data;
  const inviter = invitation.inviter_name ?? "Someone";
  // The invited address, not yet confirmed: the mailed link first, then accept again.
  const unverified = problemReason(accept.error) === "email_unverified";
  // The server refuses an account other than the invited one (403), or a second joining (409).
  const refused =
    !unverified && accept.error instanceof ApiError && (accept.error.status === 403 || accept.error.status === 409);
  const gone = unusableInvitation(accept.error);
  return (
    <section className="card auth-card invitation" aria-labelledby="invitation-title">
      <p className="invitation-eyebrow">Invitation</p>
      <h1 id="invitation-title" tabIndex={-1}>
        Join {invitation.workspace_name}
      </h1>
      <p>
        <strong>{inviter}</strong> invited you to join <strong>{invitation.workspace_name}</strong> on Project Connect as{" "}
        {withArticle(invitation.role)}.
      </p>
      <p className="muted small">{ROLE_DESCRIPTIONS[invitation.role]}</p>

      {status === "signed-out" ? (
        <>
          <p>To accept, create an account or log in with the email address the invitation was sent to.</p>
          <div className="invitation-actions">
            <Link to="/signup" state={{ from: here }} className="btn btn-primary">
              Create an account
            </Link>
            <Link to="/login" state={{ from: here }} className="btn btn-secondary">
              Log in
            </Link>
          </div>
        </>
      ) : (
        <>
          {me.data ? (
            <p className="muted small">
              You’re logged in as <strong>{me.data.email}</strong>.
            </p>
          ) : null}
          {gone ? (
            <div className="alert alert-error" role="alert">
              <p>
                {gone.title}. {gone.text}
              </p>
            </div>
          ) : unverified ? (
            <div className="alert alert-info" role="alert">
              <p>
                Confirm your email address first: follow the link we mailed to{" "}
                <strong>{me.data?.email ?? "you"}</strong>, then accept here.
              </p>
              <ResendVerification email={me.data?.email ?? "your address"} />
            </div>
          ) : (
            <ErrorAlert error={accept.error} />
          )}
          {refused ? (
            <p className="small">
              Invited with another address? Log out, then log in or sign up with that one.
            </p>
          ) : null}
          <ErrorAlert error={logout.error} />
          <div className="invitation-actions">
            {!gone ? (
              <button
                type="button"
                className="btn btn-primary"
                disabled={accept.isPending}
                onClick={() =>
                  accept.mutate(undefined, { onSuccess: (workspace) => void navigate(`/w/${workspace.id}`, { replace: true }) })
                }
              >
                {accept.isPending ? "Joining…" : `Accept and join`}
              </button>
            ) : null}
            <button type="button" className="btn btn-secondary" onClick={() => logout.mutate()} disabled={logout.isPending}>
              {logout.isPending ? "Logging out…" : "Log out"}
            </button>
          </div>
          <p className="auth-switch">
            <Link to="/">Not now: go to your projects</Link>
          </p>
        </>
      )}
    </section>
  );
}
