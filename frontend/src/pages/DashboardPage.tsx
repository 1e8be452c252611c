import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import type { Project, Workspace } from "../api/client";
import { describeError } from "../api/errors";
import { useCreateProject, useProjects } from "../api/queries";
import {
  listingFromParams,
  paramsWithListing,
  PROJECT_SORT_NAMES,
  PROJECT_SORTS,
  type ProjectListing,
  type ProjectSort,
} from "../api/projectListing";
import { canEdit } from "../api/roles";
import { ErrorAlert, FailureAlert, firstLoad, LoadMore, ProgressBar } from "../components/feedback";
import { ProjectFormDialog } from "../components/ProjectFormDialog";
import { SearchField } from "../components/SearchField";
import { useProjectArchiving } from "../components/useProjectArchiving";
import { useProjectDeletion } from "../components/useProjectDeletion";
import { useProjectEditing } from "../components/useProjectEditing";
import { WorkspaceShell } from "../components/WorkspaceShell";
import { useAbortable, useDocumentTitle } from "../hooks";
import { projectPath } from "../paths";

export function taskSummary(project: Pick<Project, "task_count" | "done_count">): string {
  if (project.task_count === 0) return "No tasks yet";
  return `${project.done_count} of ${project.task_count} task${project.task_count === 1 ? "" : "s"} done`;
}

/** How the list is ordered, said under the heading. */
const ORDER_NAMES: Record<ProjectSort, string> = {
  created: "newest first",
  updated: "latest change first",
  name: "A to Z",
};

interface CardActions {
  onEdit(): void;
  onDelete(): void;
  deleting: boolean;
  /** Archive, or (for an archived project) unarchive. */
  onArchive(): void;
  archiving: boolean;
}

/** A project in the list; `actions` only for roles that may (no controls otherwise). */
function ProjectCard({ project, actions }: { project: Project; actions?: CardActions }) {
  const archived = project.archived_at !== null;
  return (
    <li className="card project-card">
      <div className="project-card-body">
        <h2 className="project-card-title">
          <Link to={projectPath(project.id)} className="project-link">
            {project.name}
          </Link>
        </h2>
        {archived ? <p className="badge badge-muted">Archived</p> : null}
        {project.description ? <p className="project-card-description">{project.description}</p> : null}
      </div>
      <div className="project-card-progress">
        <ProgressBar value={project.progress} label={`Progress of ${project.name}`} />
        <p className="muted small">
          {taskSummary(project)}
          {project.task_count > 0 ? <span className="progress-percent"> · {project.progress}%</span> : null}
        </p>
      </div>
      {actions ? (
        <div className="project-card-actions">
          <button type="button" className="btn btn-ghost btn-small" onClick={actions.onEdit} aria-label={`Edit ${project.name}`}>
            Edit
          </button>
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={actions.onArchive}
            disabled={actions.archiving}
            aria-label={`${archived ? "Unarchive" : "Archive"} ${project.name}`}
          >
            {archived ? "Unarchive" : "Archive"}
          </button>
          <button
            type="button"
            className="btn btn-ghost-danger btn-small"
            onClick={actions.onDelete}
            disabled={actions.deleting}
            aria-label={`Delete ${project.name}`}
          >
            {actions.deleting ? "Deleting…" : "Delete"}
          </button>
        </div>
      ) : null}
    </li>
  );
}

/** Search by name, the order, and active or archived: the URL's, shown and edited here. */
function ProjectToolbar({ listing, onChange }: { listing: ProjectListing; onChange(next: ProjectListing): void }) {
  const [params] = useSearchParams();
  const shown = (archived: boolean) => `?${paramsWithListing(params, { ...listing, archived }).toString()}`;
  return (
    <div className="project-toolbar" role="search" aria-label="Find projects">
      <SearchField
        value={listing.q}
        onChange={(q) => onChange({ ...listing, q })}
        label="Search projects"
        placeholder="Search projects"
      />
      <label className="filter-sort">
        Sort
        <select
          aria-label="Sort projects"
          value={listing.sort}
          onChange={(event) => onChange({ ...listing, sort: event.target.value as ProjectSort })}
        >
          {PROJECT_SORTS.map((sort) => (
            <option key={sort} value={sort}>
              {PROJECT_SORT_NAMES[sort]}
            </option>
          ))}
        </select>
      </label>
      <nav className="view-switch" aria-label="Projects shown">
        {[false, true].map((archived) => (
          <Link
            key={String(archived)}
            to={shown(archived)}
            replace
            className="view-switch-link"
            aria-current={listing.archived === archived ? "page" : undefined}
          >
            {archived ? "Archived" : "Active"}
          </Link>
        ))}
      </nav>
    </div>
  );
}

/** A workspace's projects: `/w/:workspaceId`. */
export function DashboardPage() {
  const { workspaceId = "" } = useParams();
  return <WorkspaceShell workspaceId={workspaceId}>{(workspace) => <WorkspaceProjects workspace={workspace} />}</WorkspaceShell>;
}

function WorkspaceProjects({ workspace }: { workspace: Workspace }) {
  useDocumentTitle(`Projects · ${workspace.name}`);
  const [params, setParams] = useSearchParams();
  const listing = listingFromParams(params);
  const setListing = (next: ProjectListing) => setParams(paramsWithListing(params, next), { replace: true });
  const projects = useProjects(workspace.id, listing);
  // From the server's decision: a viewer gets no controls that could only fail.
  const editable = canEdit(workspace.my_role);
  const create = useCreateProject();
  const deletion = useProjectDeletion();
  const archiving = useProjectArchiving();
  const editing = useProjectEditing();
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState("");
  const creation = useAbortable();

  const items = projects.data?.pages.flatMap((page) => page.items) ?? [];

  function openCreate() {
    create.reset();
    setCreating(true);
  }

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Projects</h1>
          <p className="muted">
            {listing.archived ? `Archived in ${workspace.name}` : `Everything in ${workspace.name}`}, {ORDER_NAMES[listing.sort]}.
          </p>
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
      {archiving.failure}
      <ProjectToolbar listing={listing} onChange={setListing} />

      {firstLoad(projects, "Loading projects…") ?? (items.length === 0 && (listing.q || listing.archived) ? (
        <div className="card empty-state">
          {listing.q ? (
            <>
              <h2>No {listing.archived ? "archived " : ""}projects match “{listing.q}”</h2>
              <button type="button" className="btn btn-secondary" onClick={() => setListing({ ...listing, q: "" })}>
                Clear the search
              </button>
            </>
          ) : (
            <>
              <h2>No archived projects</h2>
              <p className="muted">Archive a finished project to take it out of the list without deleting it.</p>
            </>
          )}
        </div>
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
          <ul className="project-grid" aria-label={`${listing.archived ? "Archived projects" : "Projects"} in ${workspace.name}`}>
            {items.map((project) => (
              <ProjectCard
                key={project.id}
                project={project}
                {...(canEdit(project.my_role)
                  ? {
                      actions: {
                        onEdit: () => editing.startEditing(project),
                        onDelete: () => deletion.remove(project),
                        deleting: deletion.isDeleting(project.id),
                        onArchive: () =>
                          project.archived_at === null ? archiving.archive(project) : archiving.unarchive(project),
                        archiving: archiving.isChanging(project.id),
                      },
                    }
                  : {})}
              />
            ))}
          </ul>
          {projects.isFetchNextPageError || projects.isRefetchError ? <ErrorAlert error={projects.error} /> : null}
          <LoadMore query={projects} what="projects" />
        </>
      ))}

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
