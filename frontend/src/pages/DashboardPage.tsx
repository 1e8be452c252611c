import { useRef, useState } from "react";
import { Link, useParams } from "react-router";
import type { Project, Workspace } from "../api/client";
import { describeError } from "../api/errors";
import { useCreateProject, useProjects } from "../api/queries";
import { canEdit } from "../api/roles";
import { ErrorAlert, FailureAlert, LoadMore, ProgressBar, Spinner } from "../components/feedback";
import { ProjectFormDialog } from "../components/ProjectFormDialog";
import { useProjectDeletion } from "../components/useProjectDeletion";
import { useProjectEditing } from "../components/useProjectEditing";
import { WorkspaceShell } from "../components/WorkspaceShell";
import { useAbortable, useDocumentTitle, useLoadWhenVisible } from "../hooks";

export function taskSummary(project: Pick<Project, "task_count" | "done_count">): string {
  if (project.task_count === 0) return "No tasks yet";
  return `${project.done_count} of ${project.task_count} task${project.task_count === 1 ? "" : "s"} done`;
}

/** A project in the list; `onEdit`/`onDelete` only for roles that may (no controls otherwise). */
function ProjectCard({
  project,
  onEdit,
  onDelete,
  deleting = false,
}: {
  project: Project;
  onEdit?: () => void;
  onDelete?: () => void;
  deleting?: boolean;
}) {
  return (
    <li className="card project-card">
      <div className="project-card-body">
        <h2 className="project-card-title">
          <Link to={`/p/${project.id}`} className="project-link">
            {project.name}
          </Link>
        </h2>
        {project.description ? <p className="project-card-description">{project.description}</p> : null}
      </div>
      <div className="project-card-progress">
        <ProgressBar value={project.progress} label={`Progress of ${project.name}`} />
        <p className="muted small">
          {taskSummary(project)}
          {project.task_count > 0 ? <span className="progress-percent"> · {project.progress}%</span> : null}
        </p>
      </div>
      {onEdit || onDelete ? (
        <div className="project-card-actions">
          {onEdit ? (
            <button type="button" className="btn btn-ghost btn-small" onClick={onEdit} aria-label={`Edit ${project.name}`}>
              Edit
            </button>
          ) : null}
          {onDelete ? (
            <button
              type="button"
              className="btn btn-ghost-danger btn-small"
              onClick={onDelete}
              disabled={deleting}
              aria-label={`Delete ${project.name}`}
            >
              {deleting ? "Deleting…" : "Delete"}
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

/** A workspace's projects: `/w/:workspaceId`. */
export function DashboardPage() {
  const { workspaceId = "" } = useParams();
  return <WorkspaceShell workspaceId={workspaceId}>{(workspace) => <WorkspaceProjects workspace={workspace} />}</WorkspaceShell>;
}

function WorkspaceProjects({ workspace }: { workspace: Workspace }) {
  useDocumentTitle(`Projects · ${workspace.name}`);
  const projects = useProjects(workspace.id);
  // From the server's decision: a viewer gets no controls that could only fail.
  const editable = canEdit(workspace.my_role);
  const create = useCreateProject();
  const deletion = useProjectDeletion();
  const editing = useProjectEditing();
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState("");
  const creation = useAbortable();

  const items = projects.data?.pages.flatMap((page) => page.items) ?? [];
  const loadMoreRef = useRef<HTMLDivElement>(null);
  // The next page loads as the end of the list comes into view.
  useLoadWhenVisible(loadMoreRef, projects.hasNextPage && !projects.isFetchingNextPage && !projects.isFetchNextPageError, () =>
    void projects.fetchNextPage(),
  );

  function openCreate() {
    create.reset();
    setCreating(true);
  }

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Projects</h1>
          <p className="muted">Everything in {workspace.name}, newest first.</p>
        </div>
        {editable ? (
          <button type="button" className="btn btn-primary" onClick={openCreate}>
            New project
          </button>
        ) : null}
      </div>

      <p className="visually-hidden" role="status" aria-live="polite">
        {notice}
      </p>
      {editing.failure ? (
        <FailureAlert
          message={<>Couldn’t save your changes to “{editing.failure.name}”: {describeError(editing.failure.error)}</>}
          onDismiss={editing.dismissFailure}
        />
      ) : null}
      {deletion.failure}

      {projects.isPending ? (
        <Spinner label="Loading projects…" paused={projects.fetchStatus === "paused"} />
      ) : projects.isLoadingError ? (
        <ErrorAlert error={projects.error}>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void projects.refetch()}>
            Try again
          </button>
        </ErrorAlert>
      ) : items.length === 0 ? (
        <div className="card empty-state">
          <h2>No projects yet</h2>
          {editable ? (
            <>
              <p className="muted">Create a project, split it into tasks and watch the progress bar fill up.</p>
              <button type="button" className="btn btn-primary" onClick={openCreate}>
                Create your first project
              </button>
            </>
          ) : (
            <p className="muted">Projects created in {workspace.name} will show here.</p>
          )}
        </div>
      ) : (
        <>
          <ul className="project-grid" aria-label={`Projects in ${workspace.name}`}>
            {items.map((project) => (
              <ProjectCard
                key={project.id}
                project={project}
                {...(canEdit(project.my_role)
                  ? {
                      onEdit: () => editing.startEditing(project),
                      onDelete: () => deletion.remove(project),
                      deleting: deletion.isDeleting(project.id),
                    }
                  : {})}
              />
            ))}
          </ul>
          {projects.isFetchNextPageError || projects.isRefetchError ? <ErrorAlert error={projects.error} /> : null}
          <LoadMore query={projects} what="projects" anchorRef={loadMoreRef} />
        </>
      )}

      {creating ? (
        <ProjectFormDialog
          mode="create"
          busy={create.isPending}
          error={create.error}
          onClose={() => {
            creation.abort();
            create.reset();
            setCreating(false);
          }}
          onSubmit={(values) =>
            create.mutate({ workspaceId: workspace.id, values, signal: creation.next() }, {
              onSuccess: (project) => {
                setCreating(false);
                setNotice(`Project “${project.name}” created.`);
              },
            })
          }
        />
      ) : null}
      {editing.dialog}
    </>
  );
}
