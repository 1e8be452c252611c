import { useRef, useState, type FormEvent } from "react";
import type { ProjectCreate } from "../api/client";
import { TextAreaField, TextField, useFormErrors } from "./fields";
import { ErrorAlert } from "./feedback";
import { Modal } from "./Modal";

interface ProjectFormDialogProps {
  mode: "create" | "edit";
  initial?: { name: string; description: string | null };
  /** A failed attempt to show: field errors at their fields, anything else above. */
  error?: unknown;
  /** A request is running: the submit button waits; closing gives up on it (see onClose). */
  busy?: boolean;
  onSubmit(values: ProjectCreate): void;
  onClose(): void;
}

export function ProjectFormDialog({ mode, initial, error, busy = false, onSubmit, onClose }: ProjectFormDialogProps) {
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const formRef = useRef<HTMLFormElement>(null);
  const { errors, formError, check, edited } = useFormErrors(formRef, error);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!check(name.trim() ? {} : { name: "Give the project a name." })) return;
    onSubmit({ name: name.trim(), description: description.trim() ? description : null });
  }

  const title = mode === "create" ? "New project" : "Edit project";
  return (
    <Modal title={title} onClose={onClose}>
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="form">
        <TextField
          label="Name"
          name="name"
          maxLength={200}
          autoComplete="off"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            edited("name");
          }}
          error={errors.name}
        />
        <TextAreaField
          label="Description"
          optional
          name="description"
          rows={4}
          maxLength={10000}
          value={description}
          onChange={(e) => {
            setDescription(e.target.value);
            edited("description");
          }}
          error={errors.description}
        />
        <div className="modal-actions">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {mode === "create" ? (busy ? "Creating…" : "Create project") : busy ? "Saving…" : "Save changes"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
