import { describeError } from "../api/errors";
import { showToast } from "./Toast";

type Trashable = "project" | "task";

const noun = (kind: Trashable) => (kind === "project" ? "Project" : "Task");

/** After a delete: the thing is in the trash, and Undo brings it back. */
export function showMovedToTrash(kind: Trashable, undo: () => void) {
  showToast(`${noun(kind)} moved to trash`, { label: "Undo", run: undo });
}

/** What a restore reports, wherever it was asked for (the trash page, a toast's Undo). */
export function restoreReports(kind: Trashable, title: string) {
  return {
    onSuccess: () => showToast(`${noun(kind)} “${title}” restored.`),
    onError: (error: unknown) => showToast(`Couldn’t restore “${title}”: ${describeError(error)}`),
  };
}
