import { Navigate } from "react-router";
import { chooseWorkspace, useCurrentWorkspaceId } from "../api/currentWorkspace";
import { useWorkspaces } from "../api/queries";
import { firstLoad, Spinner } from "../components/feedback";

/** `/`: the workspace the person was last in, else their personal one. */
export function HomePage() {
  const workspaces = useWorkspaces();
  const wanted = useCurrentWorkspaceId();
  if (workspaces.isPending || workspaces.isLoadingError) return firstLoad(workspaces, "Loading projects…");
  const workspace = chooseWorkspace(workspaces.data, wanted);
  // Every account has a personal workspace (the server makes it on first use).
  if (!workspace) return <Spinner label="Loading projects…" />;
  return <Navigate to={`/w/${workspace.id}`} replace />;
}
