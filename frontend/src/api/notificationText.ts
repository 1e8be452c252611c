/**
 * What a notification says and where it leads: the one place that turns a kind and its
 * fields into words ("Ann assigned you ‘Fix login’") and a link.
 */
import type { Notification, NotificationKind } from "./client";
import { projectPath, taskPath, workspacePath } from "../paths";

/** The kinds in the order the preferences list them, with what each is about. */
export const NOTIFICATION_KINDS: readonly { kind: NotificationKind; label: string; description: string }[] = [
  { kind: "assigned", label: "Assigned to you", description: "Someone assigns you a task." },
  { kind: "mentioned", label: "Mentions", description: "Someone names you in a comment or a task’s description." },
  { kind: "commented", label: "Comments", description: "Someone comments on a task you created or are assigned to." },
  { kind: "invited", label: "Invitations", description: "Someone invites you to a workspace." },
  { kind: "due_soon", label: "Due tomorrow", description: "A task assigned to you is due tomorrow." },
  { kind: "overdue", label: "Overdue", description: "A task assigned to you is past its due date." },
];

const quoted = (title: string) => `‘${title}’`;

/** The due date as the person reads dates (the date is a calendar day, not an instant). */
function dueDay(date: string): string {
  const [y = 1970, m = 1, d = 1] = date.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** The notification in one sentence. */
export function notificationText(n: Notification): string {
  const who = n.actor?.name ?? "Someone";
  // A task in the trash or gone has no title any more.
  const task = n.task ? quoted(n.task.title) : "a task";
  switch (n.kind) {
    case "assigned":
      return `${who} assigned you ${task}`;
    case "mentioned":
      return n.comment_id ? `${who} mentioned you in a comment on ${task}` : `${who} mentioned you in ${task}`;
    case "commented":
      return `${who} commented on ${task}`;
    case "invited":
      return `${who} invited you to join ${n.workspace.name}`;
    case "due_soon":
      return `${n.task ? quoted(n.task.title) : "A task"} is due tomorrow`;
    case "overdue": {
      const since = n.due_date ? ` (due ${dueDay(n.due_date)})` : "";
      return `${n.task ? quoted(n.task.title) : "A task"} is overdue${since}`;
    }
  }
}

/**
 * Where the notification leads: its task in its project, else its project, else its
 * workspace; null for an invitation (its link, with the token that accepts it, is in the
 * email the person was sent: the app never learns it).
 */
export function notificationLink(n: Notification): string | null {
  if (n.kind === "invited") return null;
  if (n.project && n.task) return taskPath(n.project.id, n.task.id);
  if (n.project) return projectPath(n.project.id);
  return workspacePath(n.workspace.id);
}
