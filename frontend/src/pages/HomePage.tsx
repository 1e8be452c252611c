import { Navigate } from "react-router";
import { chooseWorkspace, useCurrentWorkspaceId } from "../api/currentWorkspace";
import { useWorkspaces } from "../api/queries";
import { ErrorAlert, Spinner } from "../components/feedback";

/** `/`: the workspace the person was last in, else their personal one. */
export function HomePage() {
  const workspaces = useWorkspaces();
  const wanted = useCurrentWorkspaceId();
  if (workspaces.isPending) return <Spinner label="Loading projects…" paused={workspaces.fetchStatus === "paused"} />;
  if (workspaces.isError) {
    return (
      <ErrorAlert error={workspaces.error}>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void workspaces.refetch()}>
          Try again
        </button>
      </ErrorAlert>
    );
  }
  const workspace = chooseWorkspace(workspaces.data, wanted);
  // Every account has a personal workspace (the server makes it on first use).
  if (!workspace) return <Spinner label="Loading projects…" />;
  return <Navigate to={`/w/${workspace.id}`} replace />;
}
