// The project's tasks as a list: quick add, inline edits, new tasks where the person looks.
import { isFiltered, NO_FILTERS, type TaskFilters } from "../../api/taskFilters";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useLocation } from "react-router";
import type { Label, Member, Task, TaskUpdate } from "../../api/client";
import { describeError, isAbort } from "../../api/errors";
import {
  useAddedTasks,
  useAllMembers,
  useCreateTask,
  useLabels,
  useTasks,
  useUpdateTask,
} from "../../api/queries";
import { isOverdue, STATUS_NAMES } from "../../api/taskOrder";
import { TextField, useFormErrors } from "../fields";
import { ErrorAlert, FailureAlert, firstLoad, LoadMore } from "../feedback";
import { AssigneeAvatars, DueBadge, LabelChips, PriorityBadge, PriorityOptions, StatusOptions } from "./TaskMeta";
import { useTaskDeletion } from "./useTaskDeletion";
import { taskPath } from "../../paths";

export function AddTaskForm({ projectId }: { projectId: string }) {
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
  /** Status, priority or due date, changed in the row. */
  onChange(changes: Pick<TaskUpdate, "status" | "priority" | "due_date">): void;
  onDelete(): void;
  /** Where the task's panel opens (keeps the page's view in the URL). */
  panelLink: string;
  members: Member[] | undefined;
  labels: Label[] | undefined;
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
  onChange,
  onDelete,
  panelLink,
  members,
  labels,
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

  const meta =
    task.labels.length > 0 || task.assignees.length > 0 ? (
      <span className="task-meta">
        <LabelChips ids={task.labels} labels={labels} />
        <AssigneeAvatars ids={task.assignees} members={members} />
      </span>
    ) : null;
  const open = (
    <Link to={panelLink} state={{ fromProject: true }} className="btn btn-ghost btn-small" aria-label={`Open ${task.title}`}>
      Open
    </Link>
  );
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
          <span className="task-meta">
            <span className="status-pill">{STATUS_NAMES[task.status]}</span>
            <PriorityBadge priority={task.priority} />
            <DueBadge task={task} />
          </span>
          {meta}
          {open}
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
          {meta}
          <div className="task-fields">
            <select
              className="inline-select"
              aria-label={`Status of ${task.title}`}
              value={task.status}
              disabled={deleting}
              onChange={(e) => onChange({ status: e.target.value as Task["status"] })}
            >
              <StatusOptions />
            </select>
            <select
              className={`inline-select priority-select priority-select-${task.priority}`}
              aria-label={`Priority of ${task.title}`}
              value={task.priority}
              disabled={deleting}
              onChange={(e) => onChange({ priority: e.target.value as Task["priority"] })}
            >
              <PriorityOptions />
            </select>
            <input
              type="date"
              className={`inline-date${isOverdue(task) ? " inline-date-overdue" : ""}`}
              aria-label={`Due date of ${task.title}`}
              value={task.due_date ?? ""}
              disabled={deleting}
              onChange={(e) => onChange({ due_date: e.target.value || null })}
            />
          </div>
          <div className="task-actions">
            {open}
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

/** The verb for a failed edit: "couldn't complete “Dig”". */
function attempted(changes: TaskUpdate): string {
  if (changes.done !== undefined) return changes.done ? "complete" : "reopen";
  return changes.title !== undefined ? "rename" : "change";
}

export function TaskList({
  projectId,
  workspaceId,
  editable,
  filters = NO_FILTERS,
}: {
  projectId: string;
  workspaceId: string;
  editable: boolean;
  filters?: TaskFilters;
}) {
  const tasks = useTasks(projectId, filters);
  const members = useAllMembers(workspaceId).data;
  const labels = useLabels(workspaceId).data;
  const { search } = useLocation();
  const added = useAddedTasks(projectId).data;
  const addedIds = new Set(added.map((t) => t.id));
  // Tasks added during this visit show in their own group under the input, where the
  // person is looking, not after pages of older tasks that may not even be loaded.
  const items = (tasks.data?.pages.flatMap((p) => p.items) ?? []).filter((t) => !addedIds.has(t.id));
  const [failure, setFailure] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  // A checkbox shows its new state from the click on: the optimistic cache update lands
  // a moment later (asynchronously), and a controlled input would flicker back meanwhile.
  const [pendingDone, setPendingDone] = useState<Record<string, boolean>>({});
  const update = useUpdateTask(projectId, {
    onError: (error, { taskId, changes }) => {
      if (isAbort(error)) return;
      const title = [...added, ...items].find((t) => t.id === taskId)?.title ?? "the task";
      setFailure(`Not saved: couldn’t ${attempted(changes)} “${title}”. ${describeError(error)}`);
    },
    onSettled: ({ taskId, changes }) => {
      if (changes.done === undefined) return;
      setPendingDone(({ [taskId]: _settled, ...rest }) => rest);
    },
  });
  const deletion = useTaskDeletion(projectId, {
    onError: (error, task) => setFailure(`Couldn’t delete “${task.title}”. ${describeError(error)}`),
  });

  const loading = firstLoad(tasks, "Loading tasks…");
  if (loading) return loading;

  const row = (task: Task, fresh = false) => (
    <TaskRow
      key={task.id}
      task={task.id in pendingDone ? { ...task, done: pendingDone[task.id]! } : task}
      fresh={fresh}
      readOnly={!editable}
      editing={editable && editingId === task.id}
      onStartEditing={() => setEditingId(task.id)}
      onStopEditing={() => setEditingId((id) => (id === task.id ? null : id))}
      deleting={deletion.isDeleting(task.id)}
      onToggle={(done) => {
        setFailure(null);
        setPendingDone((all) => ({ ...all, [task.id]: done }));
        update.mutate({ taskId: task.id, changes: { done } });
      }}
      onRename={(title) => {
        setFailure(null);
        update.mutate({ taskId: task.id, changes: { title } });
      }}
      onChange={(changes) => {
        setFailure(null);
        update.mutate({ taskId: task.id, changes });
      }}
      panelLink={taskPath(projectId, task.id, search)}
      members={members}
      labels={labels}
      onDelete={() => {
        setFailure(null);
        deletion.remove(task);
      }}
    />
  );
  const older = items.length > 0 || tasks.hasNextPage;

  return (
    <>
      {tasks.isFetchNextPageError || tasks.isRefetchError ? <ErrorAlert error={tasks.error} /> : null}
      {failure ? (
        <FailureAlert message={failure} onDismiss={() => setFailure(null)} />
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
        <p className="empty-tasks muted">
          {isFiltered(filters)
            ? "No tasks match these filters."
            : editable
              ? "No tasks yet. Add the first one above."
              : "No tasks yet."}
        </p>
      ) : null}
      <LoadMore query={tasks} what="tasks" />
    </>
  );
}

