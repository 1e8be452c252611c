/**
 * Boards held still: while a card is being dragged, live refetches of that board wait
 * (its cards would jump under the pointer, and the drop is placed among the cards it
 * shows), and run when the drag ends.
 */

const held = new Map<string, number>();
const releases = new Set<(projectId: string) => void>();

/** Holds the project's board until the returned function is called (once). */
export function holdBoard(projectId: string): () => void {
  held.set(projectId, (held.get(projectId) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(projectId) ?? 1) - 1;
    if (left > 0) {
      held.set(projectId, left);
      return;
    }
    held.delete(projectId);
    for (const listener of [...releases]) listener(projectId);
  };
}

export function isBoardHeld(projectId: string): boolean {
  return held.has(projectId);
}

/** Called with the project's id when its board is no longer held. */
export function onBoardReleased(listener: (projectId: string) => void): () => void {
  releases.add(listener);
  return () => releases.delete(listener);
}
