"""Who may do what: the one place where access to workspaces and what they hold is decided.

Three parts, and nothing outside this module decides access:

- The table: each `Action` has a minimum `Role` (`REQUIRED_ROLE`), and `may_change_role`
  says who may give or take which role.
- The decision: `decide` turns the caller's role in a workspace (None: not a member) into a
  `Grant`, or refuses: not a member is 404, exactly as for what does not exist; a role too
  weak is 403 naming the role needed.
- The resolver: `Access` asks the database for that role in the same statement that finds
  the thing asked for, joined to the caller's membership, so a row the caller may not see
  is never loaded. Repositories take a `Grant` and scope every statement
  to its workspace: without a grant there is no way to reach a workspace's rows.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.problems import Forbidden, NotFound
from projectconnect.projects.models import Membership, Project, Workspace

WORKSPACE_NOT_FOUND = "No such workspace."
PROJECT_NOT_FOUND = "No such project."


class Role(enum.StrEnum):
    """Roles, strongest first; each can do everything the weaker ones can."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS: Final[Mapping[Role, int]] = {
    Role.VIEWER: 0,
    Role.MEMBER: 1,
    Role.ADMIN: 2,
    Role.OWNER: 3,
}


class Action(enum.StrEnum):
    READ = "read"  # the workspace, its members, its projects and tasks
    EDIT = "edit"  # create, change, delete (to the trash) and restore projects and tasks
    COMMENT = "comment"  # comment on tasks; edit and delete one's own comments
    MODERATE_COMMENTS = "moderate_comments"  # delete anyone's comment (never edit it)
    MANAGE_LABELS = "manage_labels"  # create, change and delete the workspace's labels
    MANAGE_MEMBERS = "manage_members"  # invite, revoke, change roles, remove (see below)
    RENAME_WORKSPACE = "rename_workspace"
    DELETE_WORKSPACE = "delete_workspace"
    TRANSFER_OWNERSHIP = "transfer_ownership"


REQUIRED_ROLE: Final[Mapping[Action, Role]] = {
    Action.READ: Role.VIEWER,
    Action.EDIT: Role.MEMBER,
    Action.COMMENT: Role.MEMBER,
    Action.MODERATE_COMMENTS: Role.ADMIN,
    Action.MANAGE_LABELS: Role.MEMBER,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.RENAME_WORKSPACE: Role.ADMIN,
    Action.DELETE_WORKSPACE: Role.OWNER,
    Action.TRANSFER_OWNERSHIP: Role.OWNER,
}


def may_change_role(actor: Role, current: Role | None, new: Role | None) -> bool:
    """Whether `actor` may move someone from `current` to `new` (None: not a member).

    Nobody grants a role above their own; admins manage admins, members and viewers;
    owners manage everyone, owners included. Leaving is not a change made by another.
    """
    if not actor.at_least(REQUIRED_ROLE[Action.MANAGE_MEMBERS]):
        return False
    if new is not None and not actor.at_least(new):
        return False
    return actor is Role.OWNER or Role.OWNER not in (current, new)


def forbidden(needed: Role, what: str) -> Forbidden:
    return Forbidden(
        f"{what} needs the {needed} role or a stronger one.",
        extensions={"required_role": str(needed)},
    )


@dataclass(frozen=True, slots=True)
class Grant:
    """The verified caller's role in one workspace. Only `decide` makes one."""

    user_id: uuid.UUID
    workspace_id: uuid.UUID
    role: Role

    def allows(self, action: Action) -> bool:
        return self.role.at_least(REQUIRED_ROLE[action])

    def require(self, action: Action) -> None:
        if not self.allows(action):
            raise forbidden(REQUIRED_ROLE[action], _WHAT[action])

    def require_role_change(self, current: Role | None, new: Role | None) -> None:
        if not may_change_role(self.role, current, new):
            needed = (
                Role.OWNER
                if Role.OWNER in (current, new)
                else max(
                    REQUIRED_ROLE[Action.MANAGE_MEMBERS], new or Role.VIEWER, key=lambda r: r.rank
                )
            )
            raise forbidden(needed, "Changing this member")

    def require_comment_edit(self, author_id: uuid.UUID) -> Action:
        """Only its author edits a comment, with the role to comment; no role edits another's.
        The action the write relies on until it commits."""
        self.require(Action.COMMENT)
        if author_id != self.user_id:
            raise Forbidden("Only the author of a comment can edit it.")
        return Action.COMMENT

    def require_comment_removal(self, author_id: uuid.UUID) -> Action:
        """Authors delete their own comments; admins and owners anyone's. The action the
        write relies on until it commits."""
        if author_id == self.user_id and self.allows(Action.COMMENT):
            return Action.COMMENT
        self.require(Action.MODERATE_COMMENTS)
        return Action.MODERATE_COMMENTS


_WHAT: Final[Mapping[Action, str]] = {
    Action.READ: "Reading this workspace",
    Action.EDIT: "Changing projects and tasks",
    Action.COMMENT: "Commenting",
    Action.MODERATE_COMMENTS: "Deleting another member's comment",
    Action.MANAGE_LABELS: "Managing labels",
    Action.MANAGE_MEMBERS: "Managing members and invitations",
    Action.RENAME_WORKSPACE: "Renaming the workspace",
    Action.DELETE_WORKSPACE: "Deleting the workspace",
    Action.TRANSFER_OWNERSHIP: "Transferring ownership",
}


def decide(
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    role: str | None,
    action: Action,
    *,
    missing: str = WORKSPACE_NOT_FOUND,
) -> Grant:
    """The caller's grant for `action`, or 404 (not a member) or 403 (role too weak)."""
    if role is None:
        raise NotFound(missing)
    grant = Grant(user_id, workspace_id, Role(role))
    grant.require(action)
    return grant


def parse_id(value: str, missing: str) -> uuid.UUID:
    """Ids are opaque strings: one that is not ours names nothing, and is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(missing) from exc


def visible(user_id: uuid.UUID) -> Select[uuid.UUID, str]:
    """The caller's workspaces and role in each: where every statement of theirs starts."""
    return select(Membership.workspace_id, Membership.role).where(Membership.user_id == user_id)


# The statements every request naming a workspace or a project runs, built once: building
# one costs more than running it.
@functools.cache
def _workspace_with_role(personal: bool = False) -> Select[Workspace, str]:
    """The workspace named by id, or (`personal`) the caller's own, with their role."""
    named = (
        Workspace.personal_of == bindparam("user_id")
        if personal
        else Workspace.id == bindparam("workspace_id")
    )
    return (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == bindparam("user_id"), named)
    )


@functools.cache
def _project_with_role(trashed: bool) -> Select[Project, str]:
    statement = (
        select(Project, Membership.role)
        .join(Membership, Membership.workspace_id == Project.workspace_id)
        .where(Membership.user_id == bindparam("user_id"), Project.id == bindparam("project_id"))
    )
    return statement if trashed else statement.where(Project.deleted_at.is_(None))


class Access:
    """Resolves the verified caller against what a request names, in one statement each."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    def role_query(self, workspace_id: uuid.UUID) -> Select[str]:
        """The caller's role in a workspace, as a statement (no row: not a member)."""
        return select(Membership.role).where(
            Membership.user_id == self.user_id, Membership.workspace_id == workspace_id
        )

    async def role_in(self, workspace_id: uuid.UUID) -> str | None:
        return (await self.session.scalars(self.role_query(workspace_id))).first()

    async def workspace(
        self, workspace_id: str | uuid.UUID, action: Action
    ) -> tuple[Workspace, Grant]:
        """The workspace named in the path, and the caller's grant in it."""
        wid = (
            workspace_id
            if isinstance(workspace_id, uuid.UUID)
            else parse_id(workspace_id, WORKSPACE_NOT_FOUND)
        )
        row = (
            await self.session.execute(
                _workspace_with_role(), {"user_id": self.user_id, "workspace_id": wid}
            )
        ).first()
        grant = decide(self.user_id, wid, row[1] if row is not None else None, action)
        assert row is not None
        return row[0], grant

    async def personal(self, action: Action) -> tuple[Workspace, Grant] | None:
        """The caller's personal workspace and their grant in it (None: not made yet)."""
        statement = _workspace_with_role(personal=True)
        row = (await self.session.execute(statement, {"user_id": self.user_id})).first()
        if row is None:
            return None
        workspace, role = row
        return workspace, decide(self.user_id, workspace.id, role, action)

    async def project(
        self, project_id: str, action: Action, *, trashed: bool = False
    ) -> tuple[Project, Grant]:
        """The project named in the path, and the caller's grant in its workspace.

        A project in the trash is not found, unless `trashed` (to restore it or what it
        holds), which finds it whether it is in the trash or not."""
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        row = (
            await self.session.execute(
                _project_with_role(trashed), {"user_id": self.user_id, "project_id": pid}
            )
        ).first()
        if row is None:
            raise NotFound(PROJECT_NOT_FOUND)
        project, role = row
        return project, decide(self.user_id, project.workspace_id, role, action)
