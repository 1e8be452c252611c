import type { Task } from "../../api/client";
import { useDeleteTask, useRestoreTask } from "../../api/queries";
import { restoreReports, showMovedToTrash } from "../trashToasts";

/**
 * Deleting a task at once (it goes to the trash, so no "are you sure?"), then a toast
 * whose Undo brings it back. `onError` reports a refused delete where it was asked for.
 */
export function useTaskDeletion(projectId: string, { onError }: { onError?(error: unknown, task: Task): void } = {}) {
  const remove = useDeleteTask(projectId);
  const restore = useRestoreTask();

  function undo(task: Task) {
    restore.mutate({ projectId, taskId: task.id }, restoreReports("task", task.title));
  }

  return {
    isDeleting: (taskId: string) => remove.isPending && remove.variables?.taskId === taskId,
    remove(task: Task, { onDeleted }: { onDeleted?(): void } = {}) {
      remove.mutate(
        { taskId: task.id },
        {
          onSuccess: () => {
            showMovedToTrash("task", () => undo(task));
            onDeleted?.();
          },
          onError: (error) => onError?.(error, task),
        },
      );
    },
  };
}
