import { useEffect, type ReactNode } from "react";
import { Link, NavLink } from "react-router";
import type { Workspace } from "../api/client";
import { setCurrentWorkspace } from "../api/currentWorkspace";
import { ApiError, describeError } from "../api/errors";
import { useForgetWorkspacesWhenMissing, useWorkspace } from "../api/queries";
import { withArticle } from "../api/roles";
import { useAccessEnded } from "../live/access";
import { AccessEndedNotice } from "./AccessEndedNotice";
import { firstLoad } from "./feedback";

export function memberCount(n: number): string {
  return `${n} member${n === 1 ? "" : "s"}`;
}

/** "Ann’s account was deleted on 3 March 2026: you own this workspace now." */
export function inheritanceNotice(workspace: Pick<Workspace, "inherited_from">): string | null {
  const from = workspace.inherited_from;
  if (!from) return null;
  const when = new Date(from.at).toLocaleDateString(undefined, { dateStyle: "long" });
  const who = from.from_name ? `${from.from_name}’s account` : "Its previous owner’s account";
  return `${who} was deleted on ${when}: you own this workspace now.`;
}

/**
 * A workspace's pages (its projects, its members): loads the workspace, says which one it
 * is and the caller's role in it, links its sections, and remembers it as the current
 * one. A workspace that is gone, or that the caller no longer belongs to (both 404), says
 * so instead; so does one whose access a live notice said ended while it was open.
 */
export function WorkspaceShell({ workspaceId, children }: { workspaceId: string; children(workspace: Workspace): ReactNode }) {
  // Removed from it (or it was deleted) while this page was open: it is not asked again.
  const ended = useAccessEnded({ workspaceId });
  const workspace = useWorkspace(workspaceId, !ended);
  const found = workspace.data && !workspace.isPlaceholderData ? workspace.data.id : null;
  useEffect(() => {
    if (found) setCurrentWorkspace(found);
  }, [found]);

  const missing = workspace.error instanceof ApiError && workspace.error.status === 404;
  useForgetWorkspacesWhenMissing(missing);
  if (ended) return <AccessEndedNotice ended={ended} />;
  if (missing) {
    return (
      <div className="card empty-state">
        <h1 tabIndex={-1}>Workspace not found</h1>
        <p className="muted">It may have been deleted, you may no longer be a member, or the link is wrong.</p>
        <Link to="/" className="btn btn-primary">
          Go to your projects
        </Link>
      </div>
    );
  }
  if (workspace.isPending || workspace.isLoadingError) return firstLoad(workspace, "Loading workspace…");
  const w = workspace.data;
  const inherited = inheritanceNotice(w);
  return (
    <>
      <div className="workspace-bar">
        <p className="workspace-context">
          <span className="workspace-name">{w.name}</span>
          <span className="muted">
            {" · "}
            {w.personal ? "your personal workspace · " : ""}
            {memberCount(w.member_count)} · You’re {withArticle(w.my_role)}
          </span>
        </p>
        <nav aria-label="Workspace" className="tabs">
          <NavLink to={`/w/${w.id}`} end className="tab">
            Projects
          </NavLink>
          <NavLink to={`/w/${w.id}/members`} className="tab">
            Members
          </NavLink>
          <NavLink to={`/w/${w.id}/trash`} className="tab">
            Trash
          </NavLink>
        </nav>
      </div>
      {inherited ? <p className="alert alert-info">{inherited}</p> : null}
      {workspace.isRefetchError ? <p className="alert alert-error">{describeError(workspace.error)}</p> : null}
      {children(w)}
    </>
  );
}
