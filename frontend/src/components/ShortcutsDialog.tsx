import { Modal } from "./Modal";

const SHORTCUTS: { keys: string[][]; what: string }[] = [
  { keys: [["/"]], what: "Search tasks and projects" },
  { keys: [["?"]], what: "Show these shortcuts" },
  { keys: [["↑"], ["↓"], ["Enter"]], what: "In search results: move, then open" },
  { keys: [["Space"], ["Enter"]], what: "On the board, on a card’s handle: pick the card up, then drop it" },
  { keys: [["↑"], ["↓"]], what: "On the board, while holding a card: move it within its column" },
  { keys: [["←"], ["→"]], what: "On the board, while holding a card: move it to the next column" },
  { keys: [["Escape"]], what: "Cancel a move, close a dialog, the task panel or the search results" },
  { keys: [["Ctrl", "Enter"], ["⌘", "Enter"]], what: "In a comment: send it" },
];

/** Every keyboard shortcut, opened with `?`. */
export function ShortcutsDialog({ onClose }: { onClose(): void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <dl className="shortcuts">
        {SHORTCUTS.map(({ keys, what }) => (
          <div key={what} className="shortcut">
            <dt>
              {keys.map((combo, i) => (
                <span key={i}>
                  {i > 0 ? <span className="muted"> or </span> : null}
                  {combo.map((key, j) => (
                    <span key={j}>
                      {j > 0 ? "+" : null}
                      <kbd>{key}</kbd>
                    </span>
                  ))}
                </span>
              ))}
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </Modal>
  );
}

/** Whether a key press is someone typing (a field, an editable region), not a shortcut. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target as HTMLInputElement).type;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(type);
}
