// A task with every field, in a drawer that has its own URL: /p/:projectId/t/:taskId.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useLocation, useNavigate, useOutletContext, useParams } from "react-router";
import type { Label, Member, Task, TaskUpdate } from "../../api/client";
import { ApiError, describeError, fieldErrorMap, isAbort, isConflict } from "../../api/errors";
import {
  queryKeys,
  useAllMembers,
  useCreateLabel,
  useEditTask,
  useLabels,
  useTask,
} from "../../api/queries";
import { formatDue, initialsOf, isOverdue } from "../../api/taskOrder";
import type { ProjectOutletContext } from "../../pages/ProjectPage";
import { FailureAlert, Spinner } from "../feedback";
import { Markdown } from "../Markdown";
import { Modal } from "../Modal";
import { TaskActivity, TaskComments } from "./TaskDiscussion";
import { LabelChip, memberName, PriorityOptions, StatusOptions } from "./TaskMeta";
import { useTaskDeletion } from "./useTaskDeletion";
import { projectPath } from "../../paths";

type Changes = Omit<TaskUpdate, "after" | "before">;

function ConflictNotice({ onReload, onOverwrite }: { onReload(): void; onOverwrite(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} className="alert alert-warning conflict" role="alertdialog" aria-labelledby={titleId} tabIndex={-1}>
      <p id={titleId}>
        <strong>Someone changed this task</strong> while you were editing it. Your change is not saved.
      </p>
      <p className="small">Reload to see their version, or overwrite it with yours.</p>
      <div className="conflict-actions">
        <button type="button" className="btn btn-secondary btn-small" onClick={onReload}>
          Reload
        </button>
        <button type="button" className="btn btn-primary btn-small" onClick={onOverwrite}>
          Overwrite
        </button>
      </div>
    </div>
  );
}

function TitleField({ task, disabled, onSave }: { task: Task; disabled: boolean; onSave(title: string): void }) {
  const [draft, setDraft] = useState(task.title);
  const [error, setError] = useState<string | null>(null);
  // A new title from the cache (saved, someone else's, reloaded, or rolled back) replaces the draft.
  const [seen, setSeen] = useState(task.title);
  if (seen !== task.title) {
    setSeen(task.title);
    setDraft(task.title);
  }

  function save(event?: FormEvent) {
    event?.preventDefault();
    const title = draft.trim();
    if (!title) {
      setError("A task needs a title.");
      return;
    }
    setError(null);
    if (title !== task.title) onSave(title);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter") {
      event.preventDefault();
      save();
    } else if (event.key === "Escape" && draft !== task.title) {
      // The first Escape undoes the typing; the next one closes the panel.
      event.preventDefault();
      setDraft(task.title);
      setError(null);
    }
  }

  return (
    <form onSubmit={save} noValidate className="panel-title-form">
      <label htmlFor={`title-${task.id}`} className="visually-hidden">
        Title
      </label>
      <textarea
        id={`title-${task.id}`}
        className="panel-title"
        rows={1}
        maxLength={500}
        value={draft}
        readOnly={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `title-${task.id}-error` : undefined}
        onChange={(e) => setDraft(e.target.value.replace(/\n/g, ""))}
        onBlur={() => save()}
        onKeyDown={onKeyDown}
      />
      {error ? (
        <p id={`title-${task.id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function DescriptionField({
  task,
  editable,
  onSave,
}: {
  task: Task;
  editable: boolean;
  /**
   * `version`: the task's when editing began, when the description has changed since (live
   * updates show others' changes while the person types): saved over it only if they choose.
   */
  onSave(text: string | null, version?: number): void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  const [from, setFrom] = useState({ version: task.version, description: task.description });
  const textRef = useRef<HTMLTextAreaElement>(null);
  const editRef = useRef<HTMLButtonElement>(null);
  const id = `description-${task.id}`;

  useEffect(() => {
    if (editing) textRef.current?.focus();
  }, [editing]);

  function start() {
    setDraft(task.description ?? "");
    setFrom({ version: task.version, description: task.description });
    setEditing(true);
  }
  function stop() {
    setEditing(false);
    requestAnimationFrame(() => editRef.current?.focus());
  }
  function save(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim() ? draft : null;
    if (text !== (task.description ?? null)) onSave(text, task.description !== from.description ? from.version : undefined);
    stop();
  }

  return (
    <section className="panel-section" aria-labelledby={`${id}-heading`}>
      <div className="panel-section-header">
        <h3 id={`${id}-heading`}>Description</h3>
        {editable && !editing ? (
          <button ref={editRef} type="button" className="btn btn-ghost btn-small" onClick={start}>
            {task.description ? "Edit" : "Add"}
            <span className="visually-hidden"> description</span>
          </button>
        ) : null}
      </div>
      {editing ? (
        <form onSubmit={save} noValidate className="description-form">
          <label htmlFor={id} className="visually-hidden">
            Description (Markdown)
          </label>
          <textarea
            id={id}
            ref={textRef}
            className="input description-input"
            rows={8}
            maxLength={20000}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                e.preventDefault();
                stop();
              } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save(e);
            }}
            aria-describedby={`${id}-hint`}
          />
          <p id={`${id}-hint`} className="field-hint">
            Markdown: **bold**, _italic_, [links](https://example.com), lists. Ctrl+Enter saves.
          </p>
          <div className="modal-actions">
            <button type="button" className="btn btn-secondary btn-small" onClick={stop}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary btn-small">
              Save description
            </button>
          </div>
        </form>
      ) : task.description ? (
        <Markdown>{task.description}</Markdown>
      ) : (
        <p className="muted small">No description.</p>
      )}
    </section>
  );
}

function AssigneesField({
  task,
  members,
  editable,
  onSave,
}: {
  task: Task;
  members: Member[] | undefined;
  editable: boolean;
  onSave(ids: string[]): void;
}) {
  const people = members ?? [];
  // Someone assigned who has left the workspace since still shows, until unassigned.
  const gone = task.assignees.filter((id) => !people.some((m) => m.user_id === id));
  return (
    <fieldset className="panel-section picker">
      <legend>Assignees</legend>
      {people.length === 0 && gone.length === 0 ? <p className="muted small">Loading members…</p> : null}
      <ul className="picker-list">
        {people.map((m) => (
          <li key={m.user_id}>
            <label className="picker-option">
              <input
                type="checkbox"
                checked={task.assignees.includes(m.user_id)}
                disabled={!editable || m.role === "viewer" && !task.assignees.includes(m.user_id)}
                onChange={(e) =>
                  onSave(e.target.checked ? [...task.assignees, m.user_id] : task.assignees.filter((id) => id !== m.user_id))
                }
              />
              <span className="avatar" aria-hidden="true">
                {initialsOf(m.display_name, m.email)}
              </span>
              {memberName(m)}
            </label>
          </li>
        ))}
        {gone.map((id) => (
          <li key={id}>
            <label className="picker-option">
              <input
                type="checkbox"
                checked
                disabled={!editable}
                onChange={() => onSave(task.assignees.filter((x) => x !== id))}
              />
              {memberName(undefined)}
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

const LABEL_COLOURS = ["#2547c9", "#17703f", "#b3261e", "#a15c00", "#7b3fb8", "#0e7490", "#525d70"];

function NewLabelForm({ workspaceId, onCreated }: { workspaceId: string; onCreated(label: Label): void }) {
  const create = useCreateLabel(workspaceId);
  const [name, setName] = useState("");
  const [colour, setColour] = useState(LABEL_COLOURS[0]!);
  const errors = fieldErrorMap(create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    create.mutate(
      { name: trimmed, colour },
      {
        onSuccess: (label) => {
          setName("");
          onCreated(label);
        },
      },
    );
  }

  return (
    <form className="new-label" onSubmit={submit} noValidate aria-label="New label">
      <label className="visually-hidden" htmlFor={`new-label-${workspaceId}`}>
        New label name
      </label>
      <input
        id={`new-label-${workspaceId}`}
        className="input input-small"
        placeholder="New label"
        maxLength={50}
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <label className="visually-hidden" htmlFor={`new-label-colour-${workspaceId}`}>
        Colour
      </label>
      <input
        id={`new-label-colour-${workspaceId}`}
        type="color"
        className="colour-input"
        value={colour}
        onChange={(e) => setColour(e.target.value)}
      />
      <button type="submit" className="btn btn-secondary btn-small" disabled={create.isPending || !name.trim()}>
        {create.isPending ? "Adding…" : "Add label"}
      </button>
      {create.error ? (
        <p className="field-error" role="alert">
          {errors.name ?? errors.colour ?? describeError(create.error)}
        </p>
      ) : null}
    </form>
  );
}

function LabelsField({
  task,
  labels,
  workspaceId,
  editable,
  onSave,
}: {
  task: Task;
  labels: Label[] | undefined;
  workspaceId: string;
  editable: boolean;
  onSave(ids: string[]): void;
}) {
  const all = labels ?? [];
  return (
    <fieldset className="panel-section picker">
      <legend>Labels</legend>
      {all.length === 0 ? <p className="muted small">No labels in this workspace yet.</p> : null}
      <ul className="picker-list">
        {all.map((l) => (
          <li key={l.id}>
            <label className="picker-option">
              <input
                type="checkbox"
                checked={task.labels.includes(l.id)}
                disabled={!editable}
                onChange={(e) => onSave(e.target.checked ? [...task.labels, l.id] : task.labels.filter((id) => id !== l.id))}
              />
              <LabelChip label={l} />
            </label>
          </li>
        ))}
      </ul>
      {/* Members manage labels, the same role that edits tasks. */}
      {editable ? <NewLabelForm workspaceId={workspaceId} onCreated={(l) => onSave([...task.labels, l.id])} /> : null}
    </fieldset>
  );
}

function PanelBody({ task, ctx, onClose }: { task: Task; ctx: ProjectOutletContext; onClose(): void }) {
  const { project, editable } = ctx;
  const qc = useQueryClient();
  const members = useAllMembers(project.workspace_id).data;
  const labels = useLabels(project.workspace_id).data;
  const [conflict, setConflict] = useState<Changes | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const edit = useEditTask(project.id);
  const deletion = useTaskDeletion(project.id, { onError: (error) => setFailure(error) });

  function save(changes: Changes, version?: number) {
    setFailure(null);
    edit.mutateAsync({ taskId: task.id, changes, checked: true, version }).catch((error: unknown) => {
      if (isAbort(error)) return;
      if (isConflict(error)) setConflict((pending) => ({ ...pending, ...changes }));
      else setFailure(error);
    });
  }

  function reload() {
    setConflict(null);
    void qc.invalidateQueries({ queryKey: queryKeys.task(project.id, task.id) });
    void qc.invalidateQueries({ queryKey: queryKeys.boardTasks(project.id) });
    void qc.invalidateQueries({ queryKey: queryKeys.tasks(project.id) });
  }

  function overwrite() {
    if (!conflict) return;
    const changes = conflict;
    setConflict(null);
    // Without If-Match: the person saw that someone else changed it and chose theirs.
    edit.mutateAsync({ taskId: task.id, changes, checked: false }).catch((error: unknown) => {
      if (!isAbort(error)) setFailure(error);
    });
  }

  const overdue = isOverdue(task);
  return (
    <div className="panel-body">
      {conflict ? <ConflictNotice onReload={reload} onOverwrite={overwrite} /> : null}
      {failure ? (
        <FailureAlert message={describeError(failure)} onDismiss={() => setFailure(null)} />
      ) : null}

      <TitleField task={task} disabled={!editable} onSave={(title) => save({ title })} />

      <div className="panel-fields">
        <label className="panel-field">
          <span className="panel-field-label">Status</span>
          <select
            className="input input-small"
            value={task.status}
            disabled={!editable}
            onChange={(e) => save({ status: e.target.value as Task["status"] })}
          >
            <StatusOptions />
          </select>
        </label>
        <label className="panel-field">
          <span className="panel-field-label">Priority</span>
          <select
            className="input input-small"
            value={task.priority}
            disabled={!editable}
            onChange={(e) => save({ priority: e.target.value as Task["priority"] })}
          >
            <PriorityOptions />
          </select>
        </label>
        <div className="panel-field">
          <label className="panel-field-label" htmlFor={`due-${task.id}`}>
            Due date
          </label>
          <div className="due-field">
            <input
              id={`due-${task.id}`}
              type="date"
              className={`input input-small${overdue ? " inline-date-overdue" : ""}`}
              value={task.due_date ?? ""}
              disabled={!editable}
              aria-describedby={overdue ? `due-${task.id}-overdue` : undefined}
              onChange={(e) => save({ due_date: e.target.value || null })}
            />
            {overdue ? (
              <span id={`due-${task.id}-overdue`} className="due due-overdue">
                Overdue
              </span>
            ) : null}
          </div>
        </div>
      </div>

      <DescriptionField task={task} editable={editable} onSave={(description, version) => save({ description }, version)} />
      <AssigneesField task={task} members={members} editable={editable} onSave={(assignees) => save({ assignees })} />
      <LabelsField
        task={task}
        labels={labels}
        workspaceId={project.workspace_id}
        editable={editable}
        onSave={(ids) => save({ labels: ids })}
      />

      <TaskComments task={task} project={project} editable={editable} />
      <TaskActivity task={task} project={project} />

      <p className="panel-footnote muted small">
        Created {new Date(task.created_at).toLocaleDateString("en-GB", { dateStyle: "medium" })}
        {task.completed_at
          ? ` · Done ${new Date(task.completed_at).toLocaleDateString("en-GB", { dateStyle: "medium" })}`
          : task.due_date
            ? ` · Due ${formatDue(task.due_date)}`
            : ""}
      </p>
      <div className="modal-actions">
        {editable ? (
          <button
            type="button"
            className="btn btn-ghost-danger panel-delete"
            onClick={() => deletion.remove(task, { onDeleted: onClose })}
            disabled={deletion.isDeleting(task.id)}
          >
            {deletion.isDeleting(task.id) ? "Deleting…" : "Delete task"}
          </button>
        ) : null}
        <button type="button" className="btn btn-secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

/** The child route of the project page: the drawer over it. */
export function TaskPanel() {
  const { taskId = "" } = useParams();
  const ctx = useOutletContext<ProjectOutletContext>();
  const task = useTask(ctx.project.id, taskId);
  const navigate = useNavigate();
  const location = useLocation();
  const fromProject = (location.state as { fromProject?: boolean } | null)?.fromProject === true;

  // Opened from the page: going back is closing (and the back button does the same).
  // Opened by its link: back to the project, without leaving the task in the history.
  function close() {
    if (fromProject) void navigate(-1);
    else void navigate(projectPath(ctx.project.id, location.search), { replace: true });
  }

  const missing = task.error instanceof ApiError && task.error.status === 404;
  const title = task.data?.title ?? (missing ? "Task not found" : "Task");
  return (
    <Modal title={title} onClose={close} variant="drawer" hideTitle={!!task.data}>
      {task.data ? (
        <PanelBody key={task.data.id} task={task.data} ctx={ctx} onClose={close} />
      ) : task.isPending ? (
        <Spinner label="Loading the task…" paused={task.fetchStatus === "paused"} />
      ) : (
        <p className="muted">{missing ? "It may have been deleted, or the link is wrong." : describeError(task.error)}</p>
      )}
    </Modal>
  );
}
