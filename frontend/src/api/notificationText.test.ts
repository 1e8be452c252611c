import { describe, expect, it } from "vitest";
import type { Notification } from "./client";
import { notificationLink, notificationText } from "./notificationText";

const base: Notification = {
  id: "n1",
  kind: "assigned",
  created_at: "2026-11-30T10:00:00Z",
  read_at: null,
  actor: { id: "u1", name: "Ann" },
  workspace: { id: "w1", name: "Garden club" },
  project: { id: "p1", name: "Garden" },
  task: { id: "t1", title: "Fix login" },
  comment_id: null,
  due_date: null,
};
const n = (overrides: Partial<Notification>): Notification => ({ ...base, ...overrides });

describe("notificationText", () => {
  it.each([
    [n({ kind: "assigned" }), "Ann assigned you ‘Fix login’"],
    [n({ kind: "mentioned", comment_id: "c1" }), "Ann mentioned you in a comment on ‘Fix login’"],
    [n({ kind: "mentioned" }), "Ann mentioned you in ‘Fix login’"],
    [n({ kind: "commented", comment_id: "c1" }), "Ann commented on ‘Fix login’"],
    [n({ kind: "invited", project: null, task: null }), "Ann invited you to join Garden club"],
    [n({ kind: "due_soon", actor: null, due_date: "2026-12-01" }), "‘Fix login’ is due tomorrow"],
  ])("says what happened: %#", (notification, text) => {
    expect(notificationText(notification)).toBe(text);
  });

  it("gives an overdue task's due date as a calendar day", () => {
    const text = notificationText(n({ kind: "overdue", actor: null, due_date: "2026-11-28" }));
    expect(text).toMatch(/^‘Fix login’ is overdue \(due .*28.*\)$/);
  });

  it("names someone the directory forgot, and a task that is gone, without inventing them", () => {
    expect(notificationText(n({ actor: { id: "u1", name: null }, task: null }))).toBe("Someone assigned you a task");
    expect(notificationText(n({ kind: "overdue", actor: null, task: null, due_date: null }))).toBe("A task is overdue");
  });
});

describe("notificationLink", () => {
  it("leads to the task in its project, else the project, else the workspace", () => {
    expect(notificationLink(n({}))).toBe("/p/p1/t/t1");
    expect(notificationLink(n({ task: null }))).toBe("/p/p1");
    expect(notificationLink(n({ task: null, project: null }))).toBe("/w/w1");
  });

  it("has none for an invitation: its link is in the email", () => {
    expect(notificationLink(n({ kind: "invited", project: null, task: null }))).toBeNull();
  });
});
