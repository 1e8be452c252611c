import { Link, useParams } from "react-router";
import type { TrashItem, Workspace } from "../api/client";
import { useAllMembers, useRestoreProject, useRestoreTask, useTrash } from "../api/queries";
import { canEdit } from "../api/roles";
import { ErrorAlert, firstLoad, LoadMore } from "../components/feedback";
import { restoreReports } from "../components/trashToasts";
import { memberName } from "../components/tasks/TaskMeta";
import { WorkspaceShell } from "../components/WorkspaceShell";
import { useDocumentTitle } from "../hooks";
import { projectPath } from "../paths";

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
const day = (iso: string) => new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });

/** A workspace's deleted projects and tasks: `/w/:workspaceId/trash`. */
export function TrashPage() {
  const { workspaceId = "" } = useParams();
  return <WorkspaceShell workspaceId={workspaceId}>{(workspace) => <Trash workspace={workspace} />}</WorkspaceShell>;
}

function Trash({ workspace }: { workspace: Workspace }) {
  useDocumentTitle(`Trash · ${workspace.name}`);
  const trash = useTrash(workspace.id);
  const members = useAllMembers(workspace.id).data;
  // Viewers see what is there; restoring is for members and up.
  const mayRestore = canEdit(workspace.my_role);
  const restoreProject = useRestoreProject();
  const restoreTask = useRestoreTask();
  const items = trash.data?.pages.flatMap((p) => p.items) ?? [];

  const restoring = (item: TrashItem) =>
    (restoreProject.isPending && restoreProject.variables === item.id) ||
    (restoreTask.isPending && restoreTask.variables?.taskId === item.id);

  function restore(item: TrashItem) {
    const handlers = restoreReports(item.kind, item.title);
    if (item.kind === "project") restoreProject.mutate(item.id, handlers);
    else restoreTask.mutate({ projectId: item.project_id, taskId: item.id }, handlers);
  }

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Trash</h1>
          <p className="muted">Deleted projects and tasks stay here for 30 days, then go for good.</p>
        </div>
      </div>
      {firstLoad(trash, "Loading the trash…") ?? (items.length === 0 ? (
        <div className="card empty-state">
          <h2>The trash is empty</h2>
          <p className="muted">Projects and tasks deleted in {workspace.name} show here for 30 days.</p>
        </div>
      ) : (
        <>
          <ul className="card trash-list" aria-label={`Trash of ${workspace.name}`}>
            {items.map((item) => {
              const who = item.deleted_by ? memberName(members?.find((m) => m.user_id === item.deleted_by)) : "Someone";
              return (
                <li key={`${item.kind}-${item.id}`} className="trash-item">
                  <div className="trash-item-text">
                    <p className="trash-item-title">
                      <span className={`hit-kind hit-kind-${item.kind}`}>{item.kind === "project" ? "Project" : "Task"}</span>
                      <span>{item.title}</span>
                    </p>
                    <p className="muted small">
                      Deleted by {who} on <time dateTime={item.deleted_at}>{when(item.deleted_at)}</time>
                      {item.kind === "task" ? (
                        <>
                          {" · from "}
                          <Link to={projectPath(item.project_id)}>its project</Link>
                        </>
                      ) : null}
                      {" · purged on "}
                      <time dateTime={item.purge_at}>{day(item.purge_at)}</time>
                    </p>
                  </div>
                  {mayRestore ? (
                    <button
                      type="button"
                      className="btn btn-secondary btn-small"
                      onClick={() => restore(item)}
                      disabled={restoring(item)}
                      aria-label={`Restore ${item.title}`}
                    >
                      {restoring(item) ? "Restoring…" : "Restore"}
                    </button>
                  ) : null}
                </li>
              );
            })}
          </ul>
          {trash.isFetchNextPageError || trash.isRefetchError ? <ErrorAlert error={trash.error} /> : null}
          <LoadMore query={trash} what="items" />
        </>
      ))}
    </>
  );
}
