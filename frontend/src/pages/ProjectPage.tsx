import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { Task } from "../api/client";
import { setCurrentWorkspace } from "../api/currentWorkspace";
import { ApiError, describeError, isAbort } from "../api/errors";
import {
  useAddedTasks,
  useCreateTask,
  useDeleteProject,
  useDeleteTask,
  useProject,
  useTasks,
  useForgetWorkspacesWhenMissing,
  useUpdateTask,
  useWorkspaces,
} from "../api/queries";
import { canEdit } from "../api/roles";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { TextField, useFormErrors } from "../components/fields";
import { ErrorAlert, LoadMore, ProgressBar, Spinner } from "../components/feedback";
import { useProjectEditing } from "../components/useProjectEditing";
import { useAbortable, useDocumentTitle } from "../hooks";
import { deletionWarning, taskSummary } from "./DashboardPage";

function AddTaskForm({ projectId }: { projectId: string }) {
  const create = useCreateTask(projectId);
  const [title, setTitle] = useState("");
  const formRef = useRef<HTMLFormElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const { errors, formError, check, edited } = useFormErrors(formRef, create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    const submitted = title.trim();
    if (!check(submitted ? {} : { title: "Type what needs doing." })) return;
    // The box empties at once so the next task can be typed while this one is saved; if
    // saving fails, the title comes back (unless something new was typed meanwhile).
    setTitle("");
    inputRef.current?.focus();
    // Per call, unlike mutate's callbacks: with several adds in flight each failure restores.
    create.mutateAsync(submitted).catch(() => setTitle((current) => current || submitted));
  }

  return (
    <form ref={formRef} className="add-task" onSubmit={submit} noValidate aria-label="Add a task">
      <div className="add-task-row">
        <TextField
          ref={inputRef}
          label="New task"
          name="title"
          maxLength={500}
          autoComplete="off"
          placeholder="e.g. Draft the brief"
          value={title}
          onChange={(e) => {
            setTitle(e.target.value);
            edited("title");
          }}
          error={errors.title}
        />
        <button type="submit" className="btn btn-primary">
          {create.isPending ? "Adding…" : "Add task"}
        </button>
      </div>
      <ErrorAlert error={formError} />
    </form>
  );
}

interface TaskRowProps {
  task: Task;
  /** Whether its rename box is open: one at a time in a list. */
  editing: boolean;
  /** Just added here: highlighted and scrolled into view as it appears. */
  fresh?: boolean;
  onStartEditing(): void;
  onStopEditing(): void;
  onToggle(done: boolean): void;
  onRename(title: string): void;
  onDelete(): void;
  deleting: boolean;
  /** A viewer's row: the task's state, no controls. */
  readOnly?: boolean;
}

function TaskRow({
  task,
  editing,
  fresh = false,
  onStartEditing,
  onStopEditing,
  onToggle,
  onRename,
  onDelete,
  deleting,
  readOnly = false,
}: TaskRowProps) {
  const [draft, setDraft] = useState(task.title);
  const [error, setError] = useState<string | null>(null);
  const rowRef = useRef<HTMLLIElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const renameRef = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);

  useEffect(() => {
    if (editing) {
      inputRef.current?.focus();
      inputRef.current?.select();
    } else if (wasEditing.current && (document.activeElement === null || document.activeElement === document.body)) {
      // Back to this row's Rename button, unless focus went elsewhere (another row's box).
      renameRef.current?.focus();
    }
    wasEditing.current = editing;
  }, [editing]);

  useEffect(() => {
    if (fresh) rowRef.current?.scrollIntoView({ block: "nearest" });
  }, [fresh]);

  function start() {
    setDraft(task.title);
    setError(null);
    onStartEditing();
  }

  function save(event?: FormEvent) {
    event?.preventDefault();
    const title = draft.trim();
    if (!title) {
      setError("A task needs a title.");
      inputRef.current?.focus();
      return;
    }
    if (title !== task.title) onRename(title);
    onStopEditing();
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Escape") {
      event.preventDefault();
      onStopEditing();
    }
  }

  const checkboxId = `task-${task.id}`;
  const titleId = `task-${task.id}-title`;
  return (
    <li ref={rowRef} className={`task${task.done ? " task-done" : ""}${deleting ? " task-busy" : ""}${fresh ? " task-fresh" : ""}`}>
      {editing ? (
        <form className="task-edit" onSubmit={save} noValidate>
          <TextField
            ref={inputRef}
            label={`Rename “${task.title}”`}
            name="title"
            maxLength={500}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            error={error ?? undefined}
          />
          <div className="task-actions">
            <button type="submit" className="btn btn-primary btn-small">
              Save
            </button>
            <button type="button" className="btn btn-secondary btn-small" onClick={onStopEditing}>
              Cancel
            </button>
          </div>
        </form>
      ) : readOnly ? (
        <>
          <span className={`task-state${task.done ? " task-state-done" : ""}`} role="img" aria-label={task.done ? "Done" : "Not done"}>
            {task.done ? "✓" : ""}
          </span>
          <span id={titleId} className="task-title">
            {task.title}
          </span>
        </>
      ) : (
        <>
          <input
            id={checkboxId}
            type="checkbox"
            className="task-checkbox"
            checked={task.done}
            onChange={(e) => onToggle(e.target.checked)}
            disabled={deleting}
            aria-labelledby={titleId}
          />
          {/* Not a <label>: a click on the title must not tick the task; only the box does. */}
          <span id={titleId} className="task-title">
            {task.title}
          </span>
          <div className="task-actions">
            <button
              ref={renameRef}
              type="button"
              className="btn btn-ghost btn-small"
              onClick={start}
              aria-label={`Rename ${task.title}`}
              disabled={deleting}
            >
              Rename
            </button>
            <button
              type="button"
              className="btn btn-ghost-danger btn-small"
              onClick={onDelete}
              aria-label={`Delete ${task.title}`}
              disabled={deleting}
            >
              {deleting ? "Deleting…" : "Delete"}
            </button>
          </div>
        </>
      )}
    </li>
  );
}

function TaskList({ projectId, editable }: { projectId: string; editable: boolean }) {
  const tasks = useTasks(projectId);
  const added = useAddedTasks(projectId).data;
  const addedIds = new Set(added.map((t) => t.id));
  // Tasks added during this visit show in their own group under the input, where the
  // person is looking, not after pages of older tasks that may not even be loaded.
  const items = (tasks.data?.pages.flatMap((p) => p.items) ?? []).filter((t) => !addedIds.has(t.id));
  const [failure, setFailure] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Task | null>(null);
  const deletion = useAbortable();
  // A checkbox shows its new state from the click on: the optimistic cache update lands
  // a moment later (asynchronously), and a controlled input would flicker back meanwhile.
  const [pendingDone, setPendingDone] = useState<Record<string, boolean>>({});
  const update = useUpdateTask(projectId, {
    onError: (error, { taskId, changes }) => {
      if (isAbort(error)) return;
      const title = [...added, ...items].find((t) => t.id === taskId)?.title ?? "the task";
      const action = changes.done === undefined ? "rename" : changes.done ? "complete" : "reopen";
      setFailure(`Not saved: couldn’t ${action} “${title}”. ${describeError(error)}`);
    },
    onSettled: ({ taskId, changes }) => {
      if (changes.done === undefined) return;
      setPendingDone(({ [taskId]: _settled, ...rest }) => rest);
    },
  });
  const remove = useDeleteTask(projectId);

  if (tasks.isPending) return <Spinner label="Loading tasks…" paused={tasks.fetchStatus === "paused"} />;
  if (tasks.isLoadingError)
    return (
      <ErrorAlert error={tasks.error}>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void tasks.refetch()}>
          Try again
        </button>
      </ErrorAlert>
    );

  const row = (task: Task, fresh = false) => (
    <TaskRow
      key={task.id}
      task={task.id in pendingDone ? { ...task, done: pendingDone[task.id]! } : task}
      fresh={fresh}
      readOnly={!editable}
      editing={editable && editingId === task.id}
      onStartEditing={() => setEditingId(task.id)}
      onStopEditing={() => setEditingId((id) => (id === task.id ? null : id))}
      deleting={remove.isPending && remove.variables?.taskId === task.id}
      onToggle={(done) => {
        setFailure(null);
        setPendingDone((all) => ({ ...all, [task.id]: done }));
        update.mutate({ taskId: task.id, changes: { done } });
      }}
      onRename={(title) => {
        setFailure(null);
        update.mutate({ taskId: task.id, changes: { title } });
      }}
      onDelete={() => {
        setFailure(null);
        remove.reset();
        setConfirming(task);
      }}
    />
  );
  const older = items.length > 0 || tasks.hasNextPage;

  return (
    <>
      {tasks.isFetchNextPageError || tasks.isRefetchError ? <ErrorAlert error={tasks.error} /> : null}
      {failure ? (
        <div className="alert alert-error" role="alert">
          <p>{failure}</p>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => setFailure(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {added.length > 0 ? (
        <>
          {older ? (
            <p id={`added-${projectId}`} className="task-group-label">
              Added just now
            </p>
          ) : null}
          <ul
            className="task-list task-list-added"
            aria-label={older ? undefined : "Tasks"}
            aria-labelledby={older ? `added-${projectId}` : undefined}
          >
            {/* Each row highlights and scrolls into view once, when it mounts: when it is added. */}
            {added.map((task) => row(task, true))}
          </ul>
        </>
      ) : null}
      {items.length > 0 ? (
        <ul className="task-list" aria-label={added.length > 0 ? "Earlier tasks" : "Tasks"}>
          {items.map((task) => row(task))}
        </ul>
      ) : added.length === 0 ? (
        <p className="empty-tasks muted">{editable ? "No tasks yet. Add the first one above." : "No tasks yet."}</p>
      ) : null}
      <LoadMore query={tasks} what="tasks" />
      {confirming ? (
        <ConfirmDialog
          title={`Delete “${confirming.title}”?`}
          confirmLabel="Delete task"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            deletion.abort();
            remove.reset();
            setConfirming(null);
          }}
          onConfirm={() =>
            remove.mutate({ taskId: confirming.id, signal: deletion.next() }, { onSuccess: () => setConfirming(null) })
          }
        >
          <p>The task will be deleted for good. This can’t be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

export function ProjectPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  // Start loading the tasks with the project, not after it (same query as TaskList's).
  useTasks(projectId);
  const navigate = useNavigate();
  const remove = useDeleteProject();
  const editing = useProjectEditing();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const deletion = useAbortable();
  const workspaces = useWorkspaces();
  useDocumentTitle(project.data?.name ?? "Project");
  const workspaceId = project.data?.workspace_id;
  // Opening a project makes its workspace the current one (the switcher shows it).
  useEffect(() => {
    if (workspaceId) setCurrentWorkspace(workspaceId);
  }, [workspaceId]);
  const missing = project.error instanceof ApiError && project.error.status === 404;
  useForgetWorkspacesWhenMissing(missing);

  if (project.isPending) return <Spinner label="Loading project…" paused={project.fetchStatus === "paused"} />;
  // A failed background refetch keeps showing what we have, unless the project is gone.
  if (project.isLoadingError || missing) {
    return (
      <div className="card empty-state">
        <h1 tabIndex={-1}>{missing ? "Project not found" : "Couldn’t load the project"}</h1>
        <p className="muted">
          {missing
            ? "It may have been deleted, you may no longer be a member of its workspace, or the link is wrong."
            : describeError(project.error)}
        </p>
        <Link to="/" className="btn btn-primary">
          Back to projects
        </Link>
      </div>
    );
  }

  const p = project.data;
  // From the server's decision (my_role): a viewer sees the project, with no controls.
  const editable = canEdit(p.my_role);
  const workspaceName = workspaces.data?.find((w) => w.id === p.workspace_id)?.name;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/w/${p.workspace_id}`}>
          <span aria-hidden="true">← </span>
          {workspaceName ? `Projects in ${workspaceName}` : "All projects"}
        </Link>
      </nav>
      <div className="page-header">
        <div className="page-header-text">
          <h1 tabIndex={-1}>{p.name}</h1>
          {p.description ? <p className="project-description">{p.description}</p> : null}
        </div>
        {editable ? (
        <div className="page-header-actions">
          <button type="button" className="btn btn-secondary" onClick={() => editing.startEditing(p)}>
            Edit project
          </button>
          <button
            type="button"
            className="btn btn-ghost-danger"
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
          >
            Delete project
          </button>
        </div>
        ) : (
          <p className="badge badge-muted" title="Viewers see projects and tasks but change nothing.">
            View only
          </p>
        )}
      </div>

      {editing.failure ? (
        <div className="alert alert-error" role="alert">
          <p>Couldn’t save your changes: {describeError(editing.failure.error)}</p>
          <button type="button" className="btn btn-secondary btn-small" onClick={editing.dismissFailure}>
            Dismiss
          </button>
        </div>
      ) : null}

      <section className="card progress-card" aria-labelledby="progress-title">
        <div className="progress-card-header">
          <h2 id="progress-title">Progress</h2>
          <p className="progress-figure" aria-hidden="true">
            {p.progress}%
          </p>
        </div>
        <ProgressBar value={p.progress} label={`Progress of ${p.name}`} />
        <p className="muted small" aria-live="polite">
          {taskSummary(p)}
        </p>
      </section>

      <section className="card tasks-card" aria-labelledby="tasks-title">
        <h2 id="tasks-title">Tasks</h2>
        {editable ? <AddTaskForm projectId={p.id} /> : null}
        <TaskList projectId={p.id} editable={editable} />
      </section>

      {editing.dialog}
      {confirmDelete ? (
        <ConfirmDialog
          title={`Delete “${p.name}”?`}
          confirmLabel="Delete project"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            deletion.abort();
            remove.reset();
            setConfirmDelete(false);
          }}
          onConfirm={() =>
            remove.mutate({ projectId: p.id, signal: deletion.next() }, {
              onSuccess: () => void navigate(`/w/${p.workspace_id}`, { replace: true }),
            })
          }
        >
          <p>{deletionWarning(p)}</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
