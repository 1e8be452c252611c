import { useEffect } from "react";
import { Link, Outlet, useNavigate, useParams, useSearchParams } from "react-router";
import type { Project } from "../api/client";
import { setCurrentWorkspace } from "../api/currentWorkspace";
import { ApiError, describeError } from "../api/errors";
import {
  useBoardTasks,
  useProject,
  useTasks,
  useAllMembers,
  useForgetWorkspacesWhenMissing,
  useLabels,
  useMe,
  useWorkspaces,
} from "../api/queries";
import { canEdit } from "../api/roles";
import { filtersFromParams, paramsWithFilters, type TaskFilters } from "../api/taskFilters";
import { AccessEndedNotice } from "../components/AccessEndedNotice";
import { FailureAlert, ProgressBar, Spinner } from "../components/feedback";
import { BoardView } from "../components/tasks/BoardView";
import { FilterBar } from "../components/tasks/FilterBar";
import { AddTaskForm, TaskList } from "../components/tasks/ListView";
import { useProjectArchiving } from "../components/useProjectArchiving";
import { useProjectDeletion } from "../components/useProjectDeletion";
import { useProjectEditing } from "../components/useProjectEditing";
import { useDocumentTitle } from "../hooks";
import { useAccessEnded } from "../live/access";
import { taskSummary } from "./DashboardPage";

type ProjectView = "list" | "board";

/** The view in the URL (`?view=board`); the list unless it says otherwise. */
function viewOf(params: URLSearchParams): ProjectView {
  return params.get("view") === "board" ? "board" : "list";
}

/** What the task panel (a child route) gets from the page. */
export interface ProjectOutletContext {
  project: Project;
  editable: boolean;
}

/** List or board, kept in the URL beside the filters, so a filtered view is a link too. */
function ViewSwitch({ view }: { view: ProjectView }) {
  const [params] = useSearchParams();
  const to = (v: ProjectView) => {
    const next = new URLSearchParams(params);
    if (v === "list") next.delete("view");
    else next.set("view", v);
    const query = next.toString();
    return query ? `?${query}` : "?";
  };
  return (
    <nav className="view-switch" aria-label="View">
      {(["list", "board"] as const).map((v) => (
        <Link key={v} to={to(v)} aria-current={view === v ? "page" : undefined} className="view-switch-link" replace>
          {v === "list" ? "List" : "Board"}
        </Link>
      ))}
    </nav>
  );
}

export function ProjectPage() {
  const { projectId = "" } = useParams();
  // The person's access to its workspace ended while it was open: nothing is asked again.
  const ended = useAccessEnded({ projectId });
  const project = useProject(projectId, !ended);
  const [params, setParams] = useSearchParams();
  const view = viewOf(params);
  const filters = filtersFromParams(params);
  // Start loading the tasks with the project, not after it (the same query as the view's).
  useTasks(projectId, filters, view === "list" && !ended);
  useBoardTasks(projectId, filters, view === "board" && !ended);
  const setFilters = (next: TaskFilters) => setParams(paramsWithFilters(params, next), { replace: true });
  const navigate = useNavigate();
  // The project goes to the trash: back to its workspace, where the toast offers Undo.
  const deletion = useProjectDeletion({
    onDeleted: (deleted) => void navigate(`/w/${deleted.workspace_id}`, { replace: true }),
  });
  const editing = useProjectEditing();
  const archiving = useProjectArchiving();
  const workspaces = useWorkspaces();
  useDocumentTitle(project.data?.name ?? "Project");
  const workspaceId = ended ? undefined : project.data?.workspace_id;
  const members = useAllMembers(workspaceId).data;
  const labels = useLabels(workspaceId).data;
  const me = useMe().data;
  // Opening a project makes its workspace the current one (the switcher shows it).
  useEffect(() => {
    if (workspaceId) setCurrentWorkspace(workspaceId);
  }, [workspaceId]);
  const missing = project.error instanceof ApiError && project.error.status === 404;
  useForgetWorkspacesWhenMissing(missing);

  if (ended) return <AccessEndedNotice ended={ended} />;
  if (project.isPending) return <Spinner label="Loading project…" paused={project.fetchStatus === "paused"} />;
  // A failed background refetch keeps showing what we have, unless the project is gone.
  if (project.isLoadingError || missing) {
    return (
      <div className="card empty-state">
        <h1 tabIndex={-1}>{missing ? "Project not found" : "Couldn’t load the project"}</h1>
        <p className="muted">
          {missing
            ? "It may have been deleted, you may no longer be a member of its workspace, or the link is wrong."
            : describeError(project.error)}
        </p>
        <Link to="/" className="btn btn-primary">
          Back to projects
        </Link>
      </div>
    );
  }

  const p = project.data;
  // From the server's decision (my_role): a viewer sees the project, with no controls.
  const editable = canEdit(p.my_role);
  const archived = p.archived_at !== null;
  const workspaceName = workspaces.data?.find((w) => w.id === p.workspace_id)?.name;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/w/${p.workspace_id}`}>
          <span aria-hidden="true">← </span>
          {workspaceName ? `Projects in ${workspaceName}` : "All projects"}
        </Link>
      </nav>
      <div className="page-header">
        <div className="page-header-text">
          <h1 tabIndex={-1}>{p.name}</h1>
          {p.description ? <p className="project-description">{p.description}</p> : null}
        </div>
        {editable ? (
          <div className="page-header-actions">
            <button type="button" className="btn btn-secondary" onClick={() => editing.startEditing(p)}>
              Edit project
            </button>
            <button
              type="button"
              className="btn btn-secondary"
              onClick={() => (archived ? archiving.unarchive(p) : archiving.archive(p))}
              disabled={archiving.isChanging(p.id)}
            >
              {archived ? "Unarchive" : "Archive"}
            </button>
            <button
              type="button"
              className="btn btn-ghost-danger"
              onClick={() => deletion.remove(p)}
              disabled={deletion.isDeleting(p.id)}
            >
              {deletion.isDeleting(p.id) ? "Deleting…" : "Delete project"}
            </button>
          </div>
        ) : (
          <p className="badge badge-muted" title="Viewers see projects and tasks but change nothing.">
            View only
          </p>
        )}
      </div>

      {editing.failure ? (
        <FailureAlert
          message={<>Couldn’t save your changes: {describeError(editing.failure.error)}</>}
          onDismiss={editing.dismissFailure}
        />
      ) : null}
      {deletion.failure}
      {archiving.failure}
      {archived ? (
        <p className="alert alert-info">Archived: this project is out of its workspace’s list until someone unarchives it.</p>
      ) : null}

      <section className="card progress-card" aria-labelledby="progress-title">
        <div className="progress-card-header">
          <h2 id="progress-title">Progress</h2>
          <p className="progress-figure" aria-hidden="true">
            {p.progress}%
          </p>
        </div>
        <ProgressBar value={p.progress} label={`Progress of ${p.name}`} />
        <p className="muted small" aria-live="polite">
          {taskSummary(p)}
        </p>
      </section>

      <section className={`card tasks-card tasks-card-${view}`} aria-labelledby="tasks-title">
        <div className="tasks-card-header">
          <h2 id="tasks-title">Tasks</h2>
          <ViewSwitch view={view} />
        </div>
        <FilterBar filters={filters} view={view} members={members} labels={labels} meId={me?.id} onChange={setFilters} />
        {editable ? <AddTaskForm projectId={p.id} /> : null}
        {view === "board" ? (
          <BoardView project={p} editable={editable} filters={filters} />
        ) : (
          <TaskList projectId={p.id} workspaceId={p.workspace_id} editable={editable} filters={filters} />
        )}
      </section>

      <Outlet context={{ project: p, editable } satisfies ProjectOutletContext} />

      {editing.dialog}
    </>
  );
}
