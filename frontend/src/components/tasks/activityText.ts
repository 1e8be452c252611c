// A task's history entries as sentences people read: "Ann moved this from To do to In progress".
import type { ActivityEntry, TaskPriority, TaskStatus } from "../../api/client";
import { formatDue, PRIORITY_NAMES, STATUS_NAMES } from "../../api/taskOrder";

export interface ActivityNames {
  /** A person's name from their user id ("Former member" when unknown). */
  person(userId: string): string;
  /** A label's name from its id. */
  label(labelId: string): string;
}

const FIELD_NAMES: Record<string, string> = {
  title: "title",
  priority: "priority",
  due_date: "due date",
  description: "description",
  status: "status",
};

function text(value: ActivityEntry["before"]): string | null {
  return typeof value === "string" ? value : null;
}

function valueName(field: string, value: ActivityEntry["before"], today?: string): string | null {
  const v = text(value);
  if (v === null) return null;
  if (field === "status") return STATUS_NAMES[v as TaskStatus] ?? v;
  if (field === "priority") return PRIORITY_NAMES[v as TaskPriority] ?? v;
  if (field === "due_date") return formatDue(v, today);
  if (field === "title") return `“${v}”`;
  return v;
}

function changed(entry: ActivityEntry, today?: string): string | null {
  const field = entry.field ?? "";
  // Completing a task also changes `done`: the status entry beside it tells the story.
  if (field === "done") return null;
  if (field === "description") return "edited the description";
  const before = valueName(field, entry.before, today);
  const after = valueName(field, entry.after, today);
  if (field === "status") return `moved this from ${before ?? "nowhere"} to ${after ?? "nowhere"}`;
  if (field === "title") return `renamed this from ${before ?? "nothing"} to ${after ?? "nothing"}`;
  const name = FIELD_NAMES[field] ?? field.replace(/_/g, " ");
  if (field === "priority" && entry.after === "none") return `removed the priority (was ${before})`;
  if (field === "priority" && entry.before === "none") return `set the priority to ${after}`;
  if (before === null && after !== null) return `set the ${name} to ${after}`;
  if (after === null && before !== null) return `removed the ${name} (was ${before})`;
  return `changed the ${name} from ${before} to ${after}`;
}

/** What the entry says happened, after the actor's name; null for entries not worth a line. */
function activityAction(entry: ActivityEntry, names: ActivityNames, today?: string): string | null {
  const subject = (id: ActivityEntry["after"]) => {
    const userId = text(id);
    if (userId === null) return "someone";
    return userId === entry.actor_id ? "themselves" : names.person(userId);
  };
  const label = (id: ActivityEntry["after"]) => {
    const labelId = text(id);
    return labelId === null ? "a label" : `the label ${names.label(labelId)}`;
  };
  switch (entry.kind) {
    case "created":
      return "created this task";
    case "changed":
      return changed(entry, today);
    case "renamed":
      return `renamed this from “${text(entry.before) ?? ""}” to “${text(entry.after) ?? ""}”`;
    case "moved":
      return "reordered this within its column";
    case "assigned":
      return `assigned ${subject(entry.after)}`;
    case "unassigned":
      return `unassigned ${subject(entry.before)}`;
    case "labelled":
      return `added ${label(entry.after)}`;
    case "unlabelled":
      return `removed ${label(entry.before)}`;
    case "commented":
      return "commented";
    case "comment_edited":
      return "edited a comment";
    case "comment_deleted":
      return "deleted a comment";
    case "deleted":
      return "moved this to the trash";
    case "restored":
      return "restored this from the trash";
    case "archived":
      return "archived this";
    case "unarchived":
      return "unarchived this";
    default:
      return `made a change (${entry.kind})`;
  }
}

/**
 * The whole sentence: "Ann moved this from To do to In progress". Due dates read as on the
 * task's badge; `today` (YYYY-MM-DD, the local date by default) decides when a year shows.
 */
export function activitySentence(entry: ActivityEntry, names: ActivityNames, today?: string): string | null {
  const action = activityAction(entry, names, today);
  return action === null ? null : `${names.person(entry.actor_id)} ${action}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return days === 1 ? "yesterday" : `${days} days ago`;
  return then.toLocaleDateString(undefined, {
    day: "numeric",
    month: "short",
    ...(then.getFullYear() === now.getFullYear() ? {} : { year: "numeric" }),
  });
}
