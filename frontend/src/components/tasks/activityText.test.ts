import { describe, expect, it } from "vitest";
import type { ActivityEntry } from "../../api/client";
import { activitySentence, relativeTime, type ActivityNames } from "./activityText";

const people: Record<string, string> = { ann: "Ann", bob: "Bob", cat: "Cat" };
const names: ActivityNames = {
  person: (id) => people[id] ?? "Former member",
  label: (id) => (id === "l1" ? "Bug" : "a removed label"),
};

function entry(changes: Partial<ActivityEntry>): ActivityEntry {
  return {
    id: "e1",
    project_id: "p1",
    task_id: "t1",
    actor_id: "ann",
    kind: "changed",
    field: null,
    before: null,
    after: null,
    at: "2026-11-30T10:00:00Z",
    ...changes,
  };
}

const say = (changes: Partial<ActivityEntry>) => activitySentence(entry(changes), names, "2026-11-30");

describe("activity sentences", () => {
  it("a status change is a move between columns", () => {
    expect(say({ field: "status", before: "todo", after: "in_progress" })).toBe("Ann moved this from To do to In progress");
  });

  it("the done flag beside a status change says nothing of its own", () => {
    expect(say({ field: "done", before: false, after: true })).toBeNull();
  });

  it("assignments name the people", () => {
    expect(say({ actor_id: "bob", kind: "assigned", field: "assignees", after: "cat" })).toBe("Bob assigned Cat");
    expect(say({ actor_id: "bob", kind: "unassigned", field: "assignees", before: "cat" })).toBe("Bob unassigned Cat");
    expect(say({ actor_id: "bob", kind: "assigned", field: "assignees", after: "bob" })).toBe("Bob assigned themselves");
  });

  it("due dates are short dates, with the year only when it is not this one", () => {
    expect(say({ field: "due_date", before: "2026-12-03", after: "2026-12-05" })).toBe(
      "Ann changed the due date from 3 Dec to 5 Dec",
    );
    expect(say({ field: "due_date", before: null, after: "2027-01-02" })).toBe("Ann set the due date to 2 Jan 2027");
    expect(say({ field: "due_date", before: "2026-12-03", after: null })).toBe("Ann removed the due date (was 3 Dec)");
  });

  it("priority, title and description", () => {
    expect(say({ field: "priority", before: "low", after: "urgent" })).toBe("Ann changed the priority from Low to Urgent");
    expect(say({ field: "priority", before: "none", after: "high" })).toBe("Ann set the priority to High");
    expect(say({ field: "title", before: "Dig", after: "Dig deeper" })).toBe("Ann renamed this from “Dig” to “Dig deeper”");
    expect(say({ field: "description" })).toBe("Ann edited the description");
  });

  it("labels, comments, reorders, the trash and creation", () => {
    expect(say({ kind: "labelled", field: "labels", after: "l1" })).toBe("Ann added the label Bug");
    expect(say({ kind: "unlabelled", field: "labels", before: "l2" })).toBe("Ann removed the label a removed label");
    expect(say({ kind: "commented" })).toBe("Ann commented");
    expect(say({ kind: "comment_edited" })).toBe("Ann edited a comment");
    expect(say({ kind: "comment_deleted" })).toBe("Ann deleted a comment");
    expect(say({ kind: "moved", field: "position", before: "a", after: "b" })).toBe("Ann reordered this within its column");
    expect(say({ kind: "deleted" })).toBe("Ann moved this to the trash");
    expect(say({ kind: "restored" })).toBe("Ann restored this from the trash");
    expect(say({ kind: "created", after: "Dig" })).toBe("Ann created this task");
  });

  it("someone who left is a former member", () => {
    expect(say({ actor_id: "zed", kind: "commented" })).toBe("Former member commented");
  });
});

describe("times", () => {
  const now = new Date("2026-11-30T12:00:00Z");
  it("relative times", () => {
    expect(relativeTime("2026-11-30T11:59:40Z", now)).toBe("just now");
    expect(relativeTime("2026-11-30T11:55:00Z", now)).toBe("5 min ago");
    expect(relativeTime("2026-11-30T09:00:00Z", now)).toBe("3 h ago");
    expect(relativeTime("2026-11-29T10:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2026-11-27T12:00:00Z", now)).toBe("3 days ago");
  });
});
