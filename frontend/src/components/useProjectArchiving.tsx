import type { ReactNode } from "react";
import type { Project } from "../api/client";
import { describeError } from "../api/errors";
import { useArchiveProject } from "../api/queries";
import { FailureAlert } from "./feedback";
import { showToast } from "./Toast";

/**
 * Archiving a project takes it out of the default list, whole and restorable, so it asks
 * nothing first; the toast's Undo puts it back. `failure`: what to show where it was asked.
 */
export function useProjectArchiving() {
  const change = useArchiveProject();

  function set(project: Project, archived: boolean, { undoable }: { undoable: boolean }) {
    change.mutate(
      { projectId: project.id, archived },
      {
        onSuccess: () =>
          archived
            ? showToast(
                `“${project.name}” archived.`,
                undoable ? { label: "Undo", run: () => set(project, false, { undoable: false }) } : undefined,
              )
            : showToast(`“${project.name}” is back among the projects.`),
      },
    );
  }

  const failure: ReactNode = change.error ? (
    <FailureAlert
      message={
        <>
          Couldn’t {change.variables?.archived ? "archive" : "unarchive"} the project: {describeError(change.error)}
        </>
      }
      onDismiss={() => change.reset()}
    />
  ) : null;

  return {
    failure,
    isChanging: (projectId: string) => change.isPending && change.variables?.projectId === projectId,
    archive: (project: Project) => set(project, true, { undoable: true }),
    unarchive: (project: Project) => set(project, false, { undoable: false }),
  };
}
