import { describe, expect, it } from "vitest";
import { parseControl, parseNotice } from "./notices";

describe("parseNotice", () => {
  it("keeps the fields that apply", () => {
    expect(
      parseNotice("task", '{"op":"changed","id":"t1","workspace_id":"w1","project_id":"p1","task_id":"t1","version":4}'),
    ).toEqual({ kind: "task", op: "changed", id: "t1", workspace_id: "w1", project_id: "p1", task_id: "t1", version: 4 });
  });

  it("reads a membership's end as role null", () => {
    expect(parseNotice("membership", '{"op":"deleted","id":"u1","user_id":"u1","workspace_id":"w1","role":null}')).toEqual({
      kind: "membership",
      op: "deleted",
      id: "u1",
      user_id: "u1",
      workspace_id: "w1",
      role: null,
    });
  });

  it("ignores kinds it does not know and data it cannot read", () => {
    expect(parseNotice("ping", '{"op":"changed","id":"x"}')).toBeNull();
    expect(parseNotice("task", "not json")).toBeNull();
    expect(parseNotice("task", '{"op":"changed"}')).toBeNull();
  });
});

describe("parseControl", () => {
  it("reads ready, reset and end", () => {
    expect(parseControl("ready", '{"resumed":true}')).toEqual({ kind: "ready", resumed: true });
    expect(parseControl("reset", '{"reason":"behind"}')).toEqual({ kind: "reset", reason: "behind" });
    expect(parseControl("end", '{"reason":"token_expired"}')).toEqual({ kind: "end", reason: "token_expired" });
    expect(parseControl("task", "{}")).toBeNull();
  });
});
