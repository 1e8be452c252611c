import type { ReactNode } from "react";
import type { Project } from "../api/client";
import { describeError } from "../api/errors";
import { useDeleteProject, useRestoreProject } from "../api/queries";
import { FailureAlert } from "./feedback";
import { restoreReports, showMovedToTrash } from "./trashToasts";

/**
 * Deleting a project at once (it goes to the trash, so no "are you sure?"), then a toast
 * whose Undo brings it back. `failure`: what to show where the delete was asked for.
 */
export function useProjectDeletion({ onDeleted }: { onDeleted?(project: Project): void } = {}) {
  const remove = useDeleteProject();
  const restore = useRestoreProject();

  function undo(project: Project) {
    restore.mutate(project.id, restoreReports("project", project.name));
  }

  const failure: ReactNode = remove.error ? (
    <FailureAlert
      message={<>Couldn’t delete the project: {describeError(remove.error)}</>}
      onDismiss={() => remove.reset()}
    />
  ) : null;

  return {
    failure,
    isDeleting: (projectId: string) => remove.isPending && remove.variables?.projectId === projectId,
    remove(project: Project) {
      remove.mutate(
        { projectId: project.id },
        {
          onSuccess: () => {
            showMovedToTrash("project", () => undo(project));
            onDeleted?.(project);
          },
        },
      );
    },
  };
}
