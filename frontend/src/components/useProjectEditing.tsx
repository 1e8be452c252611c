import { useState } from "react";
import type { Project, ProjectUpdate } from "../api/client";
import { fieldErrorMap } from "../api/errors";
import { useUpdateProject } from "../api/queries";
import { ProjectFormDialog } from "./ProjectFormDialog";

interface Editing {
  project: Project;
  draft?: ProjectUpdate;
  error?: unknown;
}

/**
 * Editing a project is optimistic: the dialog closes on submit and the new name shows at
 * once. If the server refuses, the change is rolled back; field errors reopen the dialog
 * with what was typed, anything else is reported by the caller via `failure`.
 */
export function useProjectEditing() {
  const [editing, setEditing] = useState<Editing | null>(null);
  const [failure, setFailure] = useState<{ name: string; error: unknown } | null>(null);
  const update = useUpdateProject();

  function save(project: Project, changes: ProjectUpdate) {
    setEditing(null);
    setFailure(null);
    update.mutate(
      { projectId: project.id, changes },
      {
        onError: (error) => {
          if (Object.keys(fieldErrorMap(error)).length > 0) setEditing({ project, draft: changes, error });
          else setFailure({ name: project.name, error });
        },
      },
    );
  }

  const dialog = editing ? (
    <ProjectFormDialog
      mode="edit"
      initial={{
        name: editing.draft?.name ?? editing.project.name,
        description: editing.draft?.description !== undefined ? editing.draft.description : editing.project.description,
      }}
      error={editing.error}
      onSubmit={(values) => save(editing.project, values)}
      onClose={() => setEditing(null)}
    />
  ) : null;

  return {
    startEditing: (project: Project) => setEditing({ project }),
    dialog,
    failure,
    dismissFailure: () => setFailure(null),
  };
}
