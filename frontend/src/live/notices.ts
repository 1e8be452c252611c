/**
 * What `GET /events/stream` says, as the browser reads it. A notice names what changed
 * (its kind, id, version and where it lives), never its content: the app turns it into
 * refetches through the normal, authorized reads (`liveCache.ts`).
 */
import type { Role } from "../api/client";

export const NOTICE_KINDS = ["task", "project", "comment", "membership", "workspace", "label", "notification"] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export type NoticeOp = "created" | "changed" | "deleted" | "restored";

/** One change; only the fields that apply to its kind are there. */
export interface Notice {
  kind: NoticeKind;
  op: NoticeOp;
  /** The id of what changed: a task, project, comment, label or workspace; the member's user id. */
  id: string;
  workspace_id?: string;
  project_id?: string;
  task_id?: string;
  /** A task's version after the change. */
  version?: number;
  /** Whose membership (`membership`), or whom a notification is for. */
  user_id?: string;
  /** A membership's role after the change; null when it ended. */
  role?: Role | null;
}

/** The stream's own events: live from here, refetch everything, or closing. */
export type Control =
  | { kind: "ready"; resumed: boolean }
  | { kind: "reset"; reason: string }
  | { kind: "end"; reason: "session_ended" | "session_unconfirmed" | "token_expired" | string };

export const CONTROL_KINDS = ["ready", "reset", "end"] as const;

const OPS: readonly string[] = ["created", "changed", "deleted", "restored"];

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function parse(data: string): Record<string, unknown> | null {
  try {
    const body: unknown = JSON.parse(data);
    return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A notice from an event's name and `data:` line; null for what is not one (ignored). */
export function parseNotice(kind: string, data: string): Notice | null {
  if (!(NOTICE_KINDS as readonly string[]).includes(kind)) return null;
  const body = parse(data);
  const id = text(body?.id);
  if (!body || !id) return null;
  const op = typeof body.op === "string" && OPS.includes(body.op) ? (body.op as NoticeOp) : "changed";
  const notice: Notice = { kind: kind as NoticeKind, op, id };
  for (const field of ["workspace_id", "project_id", "task_id", "user_id"] as const) {
    const value = text(body[field]);
    if (value) notice[field] = value;
  }
  if (typeof body.version === "number") notice.version = body.version;
  if ("role" in body) notice.role = (text(body.role) as Role | undefined) ?? null;
  return notice;
}

/** A control event from its name and `data:` line; null for what is not one. */
export function parseControl(kind: string, data: string): Control | null {
  const body = parse(data) ?? {};
  switch (kind) {
    case "ready":
      return { kind, resumed: body.resumed === true };
    case "reset":
      return { kind, reason: text(body.reason) ?? "gap" };
    case "end":
      return { kind, reason: text(body.reason) ?? "session_ended" };
    default:
      return null;
  }
}
