/**
 * What a role may do, for deciding which controls to show. The server decides for real
 * (src/projectconnect/projects/access.py: its action table and `may_change_role`); this
 * mirrors it so nobody is offered a button that can only fail. Everything here starts
 * from the `my_role` the server sent with the workspace or project.
 */
import type { Role } from "./client";

/** Strongest first, as the server orders them. */
export const ROLES: readonly Role[] = ["owner", "admin", "member", "viewer"];

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function atLeast(role: Role | null | undefined, needed: Role): boolean {
  return role != null && RANK[role] >= RANK[needed];
}

export const ROLE_LABELS: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  member: "Member",
  viewer: "Viewer",
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: "Everything, including managing owners, transferring ownership and deleting the workspace.",
  admin: "Edits projects and tasks, invites and removes people, renames the workspace.",
  member: "Creates and edits projects and tasks.",
  viewer: "Sees every project and task, changes nothing.",
};

/** "a member", "an admin": for sentences. */
export function withArticle(role: Role): string {
  const label = ROLE_LABELS[role].toLowerCase();
  return `${/^[aeiou]/.test(label) ? "an" : "a"} ${label}`;
}

/** Create, change and delete projects and tasks. */
export const canEdit = (role: Role | null | undefined) => atLeast(role, "member");
/** Invite, revoke invitations, change roles and remove people (within `mayChangeRole`). */
export const canManageMembers = (role: Role | null | undefined) => atLeast(role, "admin");
export const canRenameWorkspace = (role: Role | null | undefined) => atLeast(role, "admin");
export const canDeleteWorkspace = (role: Role | null | undefined) => atLeast(role, "owner");
export const canTransferOwnership = (role: Role | null | undefined) => atLeast(role, "owner");

/**
 * Whether `actor` may move someone from `current` to `next` (null: not a member, so
 * inviting is `current` null and removing is `next` null). Nobody grants a role above
 * their own; admins manage admins, members and viewers; owners manage everyone.
 */
export function mayChangeRole(actor: Role | null | undefined, current: Role | null, next: Role | null): boolean {
  if (!actor || !canManageMembers(actor)) return false;
  if (next !== null && !atLeast(actor, next)) return false;
  return actor === "owner" || (current !== "owner" && next !== "owner");
}

/** The roles `actor` may give someone who now has `current` (null: an invitation). */
export function assignableRoles(actor: Role | null | undefined, current: Role | null): Role[] {
  return ROLES.filter((role) => role === current || mayChangeRole(actor, current, role));
}
