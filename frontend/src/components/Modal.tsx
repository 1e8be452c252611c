import { useEffect, useId, useRef, type ReactNode, type RefObject } from "react";
import { createPortal } from "react-dom";

const FIELDS = 'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled])';
const FOCUSABLE = `a[href], button:not([disabled]), ${FIELDS}, [tabindex]:not([tabindex="-1"])`;

interface ModalProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Optional sentence under the title, announced with it. */
  description?: ReactNode;
  /** What gets focus on open; otherwise the first field, or else the first focusable element. */
  initialFocusRef?: RefObject<HTMLElement | null>;
  /** "alertdialog" for confirmations. */
  role?: "dialog" | "alertdialog";
  /** "drawer": a panel along the right edge (the whole screen on a phone); a click beside it closes it. */
  variant?: "dialog" | "drawer";
  /** The title names the dialog for screen readers only (the content shows it another way). */
  hideTitle?: boolean;
  /** Beside the close button, in the header. */
  headerExtra?: ReactNode;
}

/**
 * A modal dialog: rendered over the app, which becomes inert (unreachable by pointer,
 * keyboard and screen readers) while it is open; Tab and Shift+Tab cycle inside it;
 * Escape closes it; on close, focus goes back to where it was before opening. It can be
 * closed at any time, also while a request runs: the owner gives up on that request.
 * Render it only while open.
 */
export function Modal({
  title,
  onClose,
  children,
  description,
  initialFocusRef,
  role = "dialog",
  variant = "dialog",
  hideTitle = false,
  headerExtra,
}: ModalProps) {
  const dialogRef = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const app = document.getElementById("root");
    app?.setAttribute("inert", "");
    app?.setAttribute("aria-hidden", "true");
    document.body.classList.add("has-modal");

    const dialog = dialogRef.current;
    const first =
      initialFocusRef?.current ??
      dialog?.querySelector<HTMLElement>(FIELDS) ??
      dialog?.querySelector<HTMLElement>(FOCUSABLE) ??
      dialog;
    first?.focus();

    return () => {
      app?.removeAttribute("inert");
      app?.removeAttribute("aria-hidden");
      document.body.classList.remove("has-modal");
      // Back to the opener; if it is gone (a deleted item's button), to the page heading.
      const target = returnTo?.isConnected ? returnTo : document.querySelector<HTMLElement>("main h1");
      target?.focus();
    };
    // Runs once per opening; initialFocusRef is read at that moment only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Escape is heard on the whole document: focus may have fallen to <body> (a button that
  // was disabled while a request ran loses it), and the dialog must still close.
  useEffect(() => {
    function onEscape(event: KeyboardEvent) {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      event.preventDefault();
      onCloseRef.current();
    }
    document.addEventListener("keydown", onEscape);
    return () => document.removeEventListener("keydown", onEscape);
  }, []);

  function onKeyDown(event: React.KeyboardEvent<HTMLDivElement>) {
    if (event.key !== "Tab" || !dialogRef.current) return;
    const focusable = Array.from(dialogRef.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (focusable.length === 0) {
      event.preventDefault();
      return;
    }
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === dialogRef.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div
      className={variant === "drawer" ? "modal-backdrop drawer-backdrop" : "modal-backdrop"}
      onMouseDown={variant === "drawer" ? (e) => e.target === e.currentTarget && onClose() : undefined}
    >
      <div
        ref={dialogRef}
        className={variant === "drawer" ? "modal drawer" : "modal"}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descriptionId : undefined}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="modal-header">
          <h2 id={titleId} className={hideTitle ? "visually-hidden" : "modal-title"}>
            {title}
          </h2>
          {headerExtra}
          <button
            type="button"
            className="icon-button"
            aria-label="Close"
            onClick={onClose}
          >
            <span aria-hidden="true">×</span>
          </button>
        </div>
        {description ? (
          <div id={descriptionId} className="modal-description">
            {description}
          </div>
        ) : null}
        {children}
      </div>
    </div>,
    document.body,
  );
}
