import { describe, expect, it } from "vitest";
import type { Role } from "./client";
import {
  assignableRoles,
  atLeast,
  canDeleteWorkspace,
  canEdit,
  canManageMembers,
  canRenameWorkspace,
  canTransferOwnership,
  mayChangeRole,
  ROLES,
  withArticle,
} from "./roles";

describe("roles", () => {
  it("orders the roles as the server does", () => {
    expect(ROLES).toEqual(["owner", "admin", "member", "viewer"]);
    expect(atLeast("admin", "member")).toBe(true);
    expect(atLeast("member", "admin")).toBe(false);
    expect(atLeast(null, "viewer")).toBe(false);
  });

  it("maps each action to its minimum role, like the server's table", () => {
    const table: [string, (role: Role) => boolean, Role][] = [
      ["edit projects and tasks", canEdit, "member"],
      ["manage members", canManageMembers, "admin"],
      ["rename the workspace", canRenameWorkspace, "admin"],
      ["delete the workspace", canDeleteWorkspace, "owner"],
      ["transfer ownership", canTransferOwnership, "owner"],
    ];
    for (const [what, may, needed] of table) {
      const allowed = ROLES.filter((role) => may(role));
      expect(allowed, what).toEqual(ROLES.slice(0, ROLES.indexOf(needed) + 1));
    }
    expect(canEdit(undefined)).toBe(false);
  });

  it("lets nobody grant above their own role, and only owners touch owners", () => {
    // [actor, current, next, allowed]; null current: an invitation, null next: removal.
    const cases: [Role, Role | null, Role | null, boolean][] = [
      ["owner", null, "owner", true],
      ["owner", "owner", "member", true],
      ["owner", "owner", null, true],
      ["admin", null, "admin", true],
      ["admin", null, "owner", false],
      ["admin", "member", "admin", true],
      ["admin", "admin", "viewer", true],
      ["admin", "admin", null, true],
      ["admin", "owner", "admin", false],
      ["admin", "owner", null, false],
      ["admin", "member", "owner", false],
      ["member", null, "viewer", false],
      ["member", "viewer", null, false],
      ["viewer", null, "viewer", false],
    ];
    for (const [actor, current, next, allowed] of cases) {
      expect(mayChangeRole(actor, current, next), `${actor}: ${current} → ${next}`).toBe(allowed);
    }
  });

  it("offers the roles one may give, keeping the current one in the list", () => {
    expect(assignableRoles("owner", null)).toEqual(["owner", "admin", "member", "viewer"]);
    expect(assignableRoles("admin", null)).toEqual(["admin", "member", "viewer"]);
    expect(assignableRoles("admin", "member")).toEqual(["admin", "member", "viewer"]);
    // An admin cannot change an owner: only the owner's own role is listed (no choice).
    expect(assignableRoles("admin", "owner")).toEqual(["owner"]);
    expect(assignableRoles("member", "viewer")).toEqual(["viewer"]);
  });

  it("says roles in sentences", () => {
    expect(withArticle("admin")).toBe("an admin");
    expect(withArticle("owner")).toBe("an owner");
    expect(withArticle("member")).toBe("a member");
    expect(withArticle("viewer")).toBe("a viewer");
  });
});
