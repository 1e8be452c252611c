import type { ReactNode } from "react";
import type { Project } from "../api/client";
import { describeError } from "../api/errors";
import { useDeleteProject, useRestoreProject } from "../api/queries";
import { showToast } from "./Toast";

/**
 * Deleting a project at once (it goes to the trash, so no "are you sure?"), then a toast
 * whose Undo brings it back. `failure`: what to show where the delete was asked for.
 */
export function useProjectDeletion({ onDeleted }: { onDeleted?(project: Project): void } = {}) {
  const remove = useDeleteProject();
  const restore = useRestoreProject();

  function undo(project: Project) {
    restore.mutate(project.id, {
      onSuccess: () => showToast(`Project “${project.name}” restored.`),
      onError: (error) => showToast(`Couldn’t restore “${project.name}”: ${describeError(error)}`),
    });
  }

  const failure: ReactNode = remove.error ? (
    <div className="alert alert-error" role="alert">
      <p>Couldn’t delete the project: {describeError(remove.error)}</p>
      <button type="button" className="btn btn-secondary btn-small" onClick={() => remove.reset()}>
        Dismiss
      </button>
    </div>
  ) : null;

  return {
    failure,
    isDeleting: (projectId: string) => remove.isPending && remove.variables?.projectId === projectId,
    remove(project: Project) {
      remove.mutate(
        { projectId: project.id },
        {
          onSuccess: () => {
            showToast("Project moved to trash", { label: "Undo", run: () => undo(project) });
            onDeleted?.(project);
          },
        },
      );
    },
  };
}
