// Small pieces of a task shown on cards, rows and the panel.
import type { Label, Member, Task } from "../../api/client";
import { formatDue, initialsOf, isOverdue, PRIORITIES, PRIORITY_NAMES, STATUS_NAMES, STATUSES } from "../../api/taskOrder";

export function PriorityBadge({ priority }: { priority: Task["priority"] }) {
  if (priority === "none") return null;
  return (
    <span className={`priority priority-${priority}`}>
      <span className="visually-hidden">Priority: </span>
      {PRIORITY_NAMES[priority]}
    </span>
  );
}

export function DueBadge({ task }: { task: Pick<Task, "due_date" | "status"> }) {
  if (!task.due_date) return null;
  const overdue = isOverdue(task);
  return (
    <span className={overdue ? "due due-overdue" : "due"}>
      {overdue ? "Overdue: " : "Due "}
      <time dateTime={task.due_date}>{formatDue(task.due_date)}</time>
    </span>
  );
}

export function memberName(member: Member | undefined): string {
  return member?.display_name || member?.email || "Former member";
}

export function AssigneeAvatars({ ids, members }: { ids: readonly string[]; members: readonly Member[] | undefined }) {
  if (ids.length === 0) return null;
  const names = ids.map((id) => memberName(members?.find((m) => m.user_id === id)));
  return (
    <span className="avatars" role="img" aria-label={`Assigned to ${names.join(", ")}`}>
      {ids.map((id, i) => {
        const m = members?.find((x) => x.user_id === id);
        return (
          <span key={id} className="avatar" title={names[i]} aria-hidden="true">
            {initialsOf(m?.display_name, m?.email)}
          </span>
        );
      })}
    </span>
  );
}

export function LabelChip({ label }: { label: Pick<Label, "name" | "colour"> }) {
  return (
    <span className="label-chip">
      <span className="label-dot" style={{ background: label.colour }} aria-hidden="true" />
      {label.name}
    </span>
  );
}

export function LabelChips({ ids, labels }: { ids: readonly string[]; labels: readonly Label[] | undefined }) {
  const known = ids.flatMap((id) => labels?.filter((l) => l.id === id) ?? []);
  if (known.length === 0) return null;
  return (
    <ul className="label-chips" aria-label="Labels">
      {known.map((l) => (
        <li key={l.id}>
          <LabelChip label={l} />
        </li>
      ))}
    </ul>
  );
}

/** The `<option>`s of a status select, in board order. */
export function StatusOptions() {
  return STATUSES.map((s) => (
    <option key={s} value={s}>
      {STATUS_NAMES[s]}
    </option>
  ));
}

/** The `<option>`s of a priority select, lowest first. */
export function PriorityOptions() {
  return PRIORITIES.map((p) => (
    <option key={p} value={p}>
      {PRIORITY_NAMES[p]}
    </option>
  ));
}
