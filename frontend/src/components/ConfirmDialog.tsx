import { useRef, type ReactNode } from "react";
import { ErrorAlert } from "./feedback";
import { Modal } from "./Modal";

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  busy: boolean;
  error?: unknown;
  onConfirm(): void;
  onCancel(): void;
}

/**
 * "Are you sure?" for destructive actions. Focus starts on Cancel, the safe choice; Cancel,
 * × and Escape work while the request runs (the owner gives up on it in onCancel).
 */
export function ConfirmDialog({ title, children, confirmLabel, busyLabel, busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  return (
    <Modal title={title} description={children} onClose={onCancel} initialFocusRef={cancelRef} role="alertdialog">
      <ErrorAlert error={error} />
      <div className="modal-actions">
        <button ref={cancelRef} type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={onConfirm} disabled={busy}>
          {busy ? busyLabel : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
