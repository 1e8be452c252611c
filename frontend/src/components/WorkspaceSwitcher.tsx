import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { chooseWorkspace, useCurrentWorkspaceId } from "../api/currentWorkspace";
import { useCreateWorkspace, useWorkspaces } from "../api/queries";
import { ROLE_LABELS } from "../api/roles";
import { useAbortable } from "../hooks";
import { TextField, useFormErrors } from "./fields";
import { ErrorAlert } from "./feedback";
import { Modal } from "./Modal";

function NewWorkspaceDialog({ onClose }: { onClose(): void }) {
  const create = useCreateWorkspace();
  const attempt = useAbortable();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const formRef = useRef<HTMLFormElement>(null);
  const { errors, formError, check, edited } = useFormErrors(formRef, create.error);

  function close() {
    attempt.abort();
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!check(name.trim() ? {} : { name: "Give the workspace a name." })) return;
    create.mutate(
      { name: name.trim(), signal: attempt.next() },
      {
        onSuccess: (workspace) => {
          onClose();
          void navigate(`/w/${workspace.id}`);
        },
      },
    );
  }

  return (
    <Modal
      title="New workspace"
      onClose={close}
      description={<p>A place to share projects with other people. You’ll be its owner and can invite them next.</p>}
    >
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="form">
        <TextField
          label="Name"
          name="name"
          maxLength={100}
          autoComplete="off"
          placeholder="e.g. Garden club"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            edited("name");
          }}
          error={errors.name}
        />
        <div className="modal-actions">
          <button type="button" className="btn btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create workspace"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * The header's workspace switcher: a button naming the current workspace that opens a
 * list of the person's workspaces (links) and a way to make a new one. A disclosure, not
 * a menu: Tab moves through it; Escape or a click elsewhere closes it.
 */
export function WorkspaceSwitcher() {
  const workspaces = useWorkspaces();
  const currentId = useCurrentWorkspaceId();
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    function onPointer(event: PointerEvent) {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    }
    function onKey(event: KeyboardEvent) {
      if (event.key !== "Escape") return;
      setOpen(false);
      buttonRef.current?.focus();
    }
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const list = workspaces.data ?? [];
  const current = chooseWorkspace(list, currentId);

  return (
    <div className="switcher" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="switcher-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="visually-hidden">Workspace: </span>
        <span className="switcher-name">{current?.name ?? "Workspaces"}</span>
        <span className="switcher-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      {open ? (
        <div id={panelId} className="switcher-panel">
          {workspaces.isError ? <ErrorAlert error={workspaces.error} /> : null}
          <ul className="switcher-list" aria-label="Your workspaces">
            {list.map((w) => (
              <li key={w.id}>
                <Link
                  to={`/w/${w.id}`}
                  className="switcher-item"
                  aria-current={w.id === current?.id ? "true" : undefined}
                  onClick={() => setOpen(false)}
                >
                  <span className="switcher-item-name">{w.name}</span>
                  <span className="switcher-item-meta">
                    {w.personal ? "Personal workspace · " : ""}
                    {ROLE_LABELS[w.my_role]}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
          <button
            type="button"
            className="btn btn-ghost btn-small switcher-new"
            onClick={() => {
              setOpen(false);
              setCreating(true);
            }}
          >
            + New workspace
          </button>
        </div>
      ) : null}
      {creating ? <NewWorkspaceDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}
