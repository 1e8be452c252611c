import { Navigate, Outlet, useLocation } from "react-router";
import { ErrorAlert, Spinner } from "../components/feedback";
import { useAuth } from "./AuthProvider";

function Restoring() {
  const { restoreError, retryRestore } = useAuth();
  return (
    <main id="main" className="center-screen">
      {restoreError ? (
        <ErrorAlert error={restoreError}>
          <button type="button" className="btn btn-secondary" onClick={retryRestore}>
            Try again
          </button>
        </ErrorAlert>
      ) : (
        <Spinner label="Restoring your session…" />
      )}
    </main>
  );
}

/** Routes behind it need a session: restore it first, otherwise go to the login page. */
export function RequireAuth() {
  const { status, endReason } = useAuth();
  const location = useLocation();
  if (status === "restoring") return <Restoring />;
  if (status === "signed-out") {
    // After an expired session (or a visit without one), come back here after logging
    // in; after a deliberate logout, start from the dashboard.
    const from = endReason === null || endReason === "expired" ? `${location.pathname}${location.search}` : undefined;
    return <Navigate to="/login" replace state={from ? { from } : null} />;
  }
  return <Outlet />;
}

/** Login and sign-up: once signed in, go where the person was heading. */
export function RedirectIfSignedIn() {
  const { status } = useAuth();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  if (status === "restoring") return <Restoring />;
  if (status === "signed-in") return <Navigate to={from?.startsWith("/") && !from.startsWith("//") ? from : "/"} replace />;
  return <Outlet />;
}
