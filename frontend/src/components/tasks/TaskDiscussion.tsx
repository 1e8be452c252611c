// The task panel's comments and history.
import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Comment, Member, Project, Task } from "../../api/client";
import { describeError, isAbort } from "../../api/errors";
import {
  useActivity,
  useAddComment,
  useAllMembers,
  useComments,
  useDeleteComment,
  useEditComment,
  useLabels,
  useMe,
} from "../../api/queries";
import { atLeast } from "../../api/roles";
import { ErrorAlert, LoadMore, Spinner } from "../feedback";
import { Markdown } from "../Markdown";
import { activitySentence, relativeTime, type ActivityNames } from "./activityText";
import { memberName } from "./TaskMeta";

const COMMENT_MAX = 10_000;

/** Ctrl+Enter or Cmd+Enter: the composer's "send". */
function isSubmitKey(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
  return event.key === "Enter" && (event.ctrlKey || event.metaKey);
}

function When({ at, edited }: { at: string; edited?: string | null }) {
  return (
    <span className="muted small">
      <time dateTime={at} title={new Date(at).toLocaleString()}>
        {relativeTime(at)}
      </time>
      {edited ? <span title={`Edited ${new Date(edited).toLocaleString()}`}> · edited</span> : null}
    </span>
  );
}

function CommentEditor({
  initial,
  label,
  submitLabel,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  initial: string;
  label: string;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit(body: string): Promise<unknown>;
  onCancel?(): void;
}) {
  const [body, setBody] = useState(initial);
  const id = useId();
  function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = body.trim();
    if (!text || busy) return;
    onSubmit(text).then(
      () => setBody(""),
      () => undefined,
    );
  }
  return (
    <form className="comment-editor" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <textarea
        id={id}
        value={body}
        rows={3}
        maxLength={COMMENT_MAX}
        placeholder="Write a comment… (Markdown; Ctrl+Enter sends)"
        onChange={(event) => setBody(event.target.value)}
        onKeyDown={(event) => {
          if (isSubmitKey(event)) submit();
          else if (event.key === "Escape" && onCancel) {
            event.stopPropagation();
            onCancel();
          }
        }}
        autoFocus={initial !== ""}
      />
      {error && !isAbort(error) ? (
        <p className="field-error" role="alert">
          Not saved: {describeError(error)}
        </p>
      ) : null}
      <div className="comment-editor-actions">
        <button type="submit" className="btn btn-primary btn-small" disabled={busy || !body.trim()}>
          {busy ? "Saving…" : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="btn btn-secondary btn-small" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function CommentItem({
  comment,
  author,
  canEdit,
  canDelete,
  projectId,
}: {
  comment: Comment;
  author: string;
  canEdit: boolean;
  canDelete: boolean;
  projectId: string;
}) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const edit = useEditComment(projectId, comment.task_id);
  const remove = useDeleteComment(projectId, comment.task_id);
  return (
    <li className="comment">
      <div className="comment-header">
        <strong>{author}</strong>
        <When at={comment.created_at} edited={comment.updated_at} />
      </div>
      {editing ? (
        <CommentEditor
          initial={comment.body}
          label={`Edit your comment`}
          submitLabel="Save"
          busy={edit.isPending}
          error={edit.error}
          onSubmit={(body) => edit.mutateAsync({ commentId: comment.id, body }).then(() => setEditing(false))}
          onCancel={() => {
            edit.reset();
            setEditing(false);
          }}
        />
      ) : (
        <Markdown className="markdown comment-body">{comment.body}</Markdown>
      )}
      {!editing && (canEdit || canDelete) ? (
        <div className="comment-actions">
          {canEdit ? (
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setEditing(true)}>
              Edit
            </button>
          ) : null}
          {canDelete && !confirming ? (
            <button type="button" className="btn btn-ghost-danger btn-small" onClick={() => setConfirming(true)}>
              Delete
            </button>
          ) : null}
          {confirming ? (
            <span className="comment-confirm" role="group" aria-label="Delete this comment?">
              <span className="small">Delete this comment?</span>
              <button
                type="button"
                className="btn btn-danger btn-small"
                disabled={remove.isPending}
                onClick={() => remove.mutate(comment.id)}
              >
                {remove.isPending ? "Deleting…" : "Delete"}
              </button>
              <button type="button" className="btn btn-secondary btn-small" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : null}
        </div>
      ) : null}
      {remove.error ? <ErrorAlert error={remove.error}>Couldn’t delete the comment.</ErrorAlert> : null}
    </li>
  );
}

function nameOf(members: readonly Member[] | undefined, userId: string): string {
  return memberName(members?.find((m) => m.user_id === userId));
}

/** The task's comments, oldest first, and (for those who may write) a box to add one. */
export function TaskComments({ task, project, editable }: { task: Task; project: Project; editable: boolean }) {
  const comments = useComments(project.id, task.id);
  const members = useAllMembers(project.workspace_id).data;
  const me = useMe().data;
  const add = useAddComment(project.id, task.id);
  const moderator = atLeast(project.my_role, "admin");
  const items = comments.data?.pages.flatMap((p) => p.items) ?? [];
  const titleId = useId();
  return (
    <section className="panel-section task-comments" aria-labelledby={titleId}>
      <h3 id={titleId}>
        Comments{items.length || task.comment_count ? <span className="muted"> ({Math.max(items.length, task.comment_count)})</span> : null}
      </h3>
      {comments.isPending ? (
        <Spinner label="Loading comments…" />
      ) : comments.isError && items.length === 0 ? (
        <ErrorAlert error={comments.error}>Couldn’t load the comments.</ErrorAlert>
      ) : items.length === 0 ? (
        <p className="muted small">No comments yet.</p>
      ) : (
        <ol className="comment-list">
          {items.map((c) => (
            <CommentItem
              key={c.id}
              comment={c}
              author={c.author_id === me?.id ? `${nameOf(members, c.author_id)} (you)` : nameOf(members, c.author_id)}
              canEdit={editable && c.author_id === me?.id}
              canDelete={editable && (c.author_id === me?.id || moderator)}
              projectId={project.id}
            />
          ))}
        </ol>
      )}
      {comments.hasNextPage ? (
        <button
          type="button"
          className="btn btn-secondary btn-small"
          disabled={comments.isFetchingNextPage}
          onClick={() => void comments.fetchNextPage()}
        >
          {comments.isFetchingNextPage ? "Loading…" : "Show newer comments"}
        </button>
      ) : null}
      {editable ? (
        <CommentEditor
          key={task.id}
          initial=""
          label="Add a comment"
          submitLabel="Comment"
          busy={add.isPending}
          error={add.error}
          onSubmit={(body) => add.mutateAsync(body)}
        />
      ) : null}
    </section>
  );
}

/** The task's history, newest first; older entries load as the list's end scrolls into view. */
export function TaskActivity({ task, project }: { task: Task; project: Project }) {
  const activity = useActivity(project.id, task.id);
  const members = useAllMembers(project.workspace_id).data;
  const labels = useLabels(project.workspace_id).data;
  const me = useMe().data;
  const titleId = useId();

  const names: ActivityNames = {
    person: (id) => (id === me?.id ? "You" : nameOf(members, id)),
    label: (id) => labels?.find((l) => l.id === id)?.name ?? "a removed label",
  };
  const entries = (activity.data?.pages.flatMap((p) => p.items) ?? [])
    .map((entry) => ({ entry, sentence: activitySentence(entry, names) }))
    .filter((e): e is { entry: typeof e.entry; sentence: string } => e.sentence !== null);

  return (
    <section className="panel-section task-activity" aria-labelledby={titleId}>
      <h3 id={titleId}>Activity</h3>
      {activity.isPending ? (
        <Spinner label="Loading activity…" />
      ) : activity.isError && entries.length === 0 ? (
        <ErrorAlert error={activity.error}>Couldn’t load the activity.</ErrorAlert>
      ) : (
        <ol className="activity-list">
          {entries.map(({ entry, sentence }) => (
            <li key={entry.id} className="activity-entry">
              <span>{sentence}</span> <When at={entry.at} />
            </li>
          ))}
        </ol>
      )}
      <LoadMore query={activity} what="activity" label="Show earlier activity" compact />
    </section>
  );
}
