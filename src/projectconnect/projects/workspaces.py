"""Workspaces, their members and invitations: the use cases and their statements.

Who may do what is `projects.access`'s to say; every change goes through a
`projects.writes` unit. Membership changes hold the workspace's exclusive lock and then
check that an owner is left, so the rule "every workspace keeps an owner" holds under
concurrency too (on SQLite, where there is one writer, the check runs after the change
holds the write lock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import case, delete, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.mail import mail_requested
from projectconnect.infra.outbox import Outbox
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import (
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    field_error,
)
from projectconnect.projects.access import Access, Action, Grant, Role, parse_id
from projectconnect.projects.activity import ActivityLog, Change
from projectconnect.projects.live import Notice, Op, announce
from projectconnect.projects.mails import InvitationMails, invitation_link
from projectconnect.projects.models import (
    Invitation,
    MailOutboxMessage,
    Membership,
    OwnershipTransfer,
    Person,
    Project,
    Task,
    TaskAssignee,
    Workspace,
)
from projectconnect.projects.notifications import Notifier
from projectconnect.projects.repository import PeopleRepository, PersonRepository
from projectconnect.projects.writes import Unit, Writes

PERSONAL_NAME = "Personal"
INVITATION_DAYS = 7
MEMBER_NOT_FOUND = "No such member."
INVITATION_NOT_FOUND = "No such invitation."
INVITATION_GONE = "This invitation has expired, was revoked or was already used."
# The order in which the remaining members inherit a workspace: role, then seniority.
SUCCESSION = (Role.ADMIN, Role.MEMBER, Role.VIEWER)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _seniority() -> tuple[object, ...]:
    rank = case(
        *((Membership.role == str(role), index) for index, role in enumerate(SUCCESSION)),
        else_=len(SUCCESSION),
    )
    return (rank, Membership.joined_at, Membership.user_id)


@dataclass(frozen=True, slots=True)
class WorkspaceView:
    workspace: Workspace
    role: str
    member_count: int
    inherited_from: OwnershipTransfer | None = None
    # For an owner thinking of deleting their account:
    deleted_with_account: bool | None = None
    successor: tuple[uuid.UUID, Person | None] | None = None


@dataclass(frozen=True, slots=True)
class MemberView:
    membership: Membership
    person: Person | None


@dataclass(frozen=True, slots=True)
class InvitationView:
    invitation: Invitation
    inviter: Person | None
    token: str | None = None

    @property
    def expired(self) -> bool:
        return self.invitation.expires_at <= utcnow()


@dataclass(frozen=True, slots=True)
class Preview:
    workspace_name: str
    inviter_name: str | None
    role: str


def display(person: Person | None) -> str | None:
    if person is None:
        return None
    return person.display_name or person.email


class Members:
    """Statements on one workspace's memberships."""

    def __init__(self, session: AsyncSession, workspace_id: uuid.UUID) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def get(self, user_id: uuid.UUID) -> Membership | None:
        return await self.session.get(
            Membership, (self.workspace_id, user_id), populate_existing=True
        )

    async def count(self, role: Role | None = None) -> int:
        statement = select(func.count()).where(Membership.workspace_id == self.workspace_id)
        if role is not None:
            statement = statement.where(Membership.role == str(role))
        return int(await self.session.scalar(statement) or 0)

    async def page(self, limit: int, after: Position | None) -> Sequence[Membership]:
        statement = select(Membership).where(Membership.workspace_id == self.workspace_id)
        if after is not None:
            statement = statement.where(
                tuple_(Membership.joined_at, Membership.user_id)
                > tuple_(after.created_at, after.id)
            )
        statement = statement.order_by(Membership.joined_at, Membership.user_id).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def successor(self, leaving: uuid.UUID) -> Membership | None:
        """Who inherits the workspace from `leaving`: the longest-standing admin, else member."""
        statement = (
            select(Membership)
            .where(Membership.workspace_id == self.workspace_id, Membership.user_id != leaving)
            .order_by(*_seniority())  # type: ignore[arg-type]
            .limit(1)
        )
        return (await self.session.scalars(statement)).first()

    async def user_ids(self) -> list[uuid.UUID]:
        statement = select(Membership.user_id).where(Membership.workspace_id == self.workspace_id)
        return list((await self.session.scalars(statement)).all())

    async def set_role(self, user_id: uuid.UUID, role: Role) -> None:
        await self.session.execute(
            update(Membership)
            .where(Membership.workspace_id == self.workspace_id, Membership.user_id == user_id)
            .values(role=str(role))
            .execution_options(synchronize_session=False)
        )
        self.announce(user_id, role)

    def add(self, user_id: uuid.UUID, role: Role | str, joined_at: dt.datetime) -> None:
        self.session.add(
            Membership(
                workspace_id=self.workspace_id, user_id=user_id, role=str(role), joined_at=joined_at
            )
        )
        self.announce(user_id, role)

    def announce(self, user_id: uuid.UUID, role: Role | str | None) -> None:
        """Every membership change is heard by the workspace's members and by the person,
        whose streams start or stop carrying the workspace's notices with it."""
        op: Op = "deleted" if role is None else "changed"
        announce(
            self.session,
            Notice(
                "membership",
                user_id,
                self.workspace_id,
                op,
                user_id=user_id,
                role=None if role is None else str(role),
            ),
        )

    async def among(self, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `user_ids` who are members."""
        wanted = set(user_ids)
        if not wanted:
            return set()
        statement = select(Membership.user_id).where(
            Membership.workspace_id == self.workspace_id, Membership.user_id.in_(wanted)
        )
        return set((await self.session.scalars(statement)).all())

    async def remove(self, user_id: uuid.UUID, unit: Unit) -> None:
        """End a membership, and with it the person's assignments in the workspace: each
        task's activity says who was unassigned, by whom (the caller; the person themself
        when their account goes)."""
        assigned = (
            select(TaskAssignee.task_id)
            .join(Task, Task.id == TaskAssignee.task_id)
            .join(Project, Project.id == Task.project_id)
            .where(TaskAssignee.user_id == user_id, Project.workspace_id == self.workspace_id)
        )
        rows = (await self.session.execute(assigned.add_columns(Task.project_id))).all()
        if rows:
            task_ids = [task_id for task_id, _ in rows]
            now = utcnow()
            await self.session.execute(
                update(Task)
                .where(Task.id.in_(task_ids))
                .values(version=Task.version + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            log = ActivityLog(self.session, unit.user_id or user_id, now)
            unassigned = [Change("unassigned", "assignees", before=str(user_id))]
            for task_id, project_id in rows:
                log.record(project_id, task_id, unassigned)
            await self.session.execute(
                delete(TaskAssignee).where(
                    TaskAssignee.user_id == user_id, TaskAssignee.task_id.in_(task_ids)
                )
            )
            unit.touch_projects(self.workspace_id, {project_id for _, project_id in rows})
        await self.session.execute(
            delete(Membership).where(
                Membership.workspace_id == self.workspace_id, Membership.user_id == user_id
            )
        )
        self.announce(user_id, None)

    async def require_an_owner(self) -> None:
        """Refuse a change that would leave the workspace without an owner."""
        await self.session.flush()
        if await self.count(Role.OWNER) == 0:
            raise Conflict(
                "A workspace always keeps an owner: make someone else owner first.",
                extensions={"reason": "last_owner"},
            )


class WorkspaceService:
    def __init__(
        self,
        db: Database,
        writes: Writes,
        *,
        invitation_days: int = INVITATION_DAYS,
        mail_outbox: Outbox | None = None,
        mails: InvitationMails | None = None,
    ):
        self.db = db
        self.writes = writes
        self.invitation_lifetime = dt.timedelta(days=invitation_days)
        # Without a relay (a composition that starts none), mail waits in the outbox.
        self.mail_outbox = mail_outbox or Outbox(MailOutboxMessage)
        self.mails = mails or InvitationMails()

    # Workspaces

    async def personal(self, user_id: uuid.UUID) -> uuid.UUID:
        """The caller's personal workspace, made on first use."""
        async with self.db.reading() as session:
            existing = await PersonRepository(session, user_id).personal_workspace()
        if existing is not None:
            return existing.id
        try:
            async with self.writes.open(user_id) as unit:
                workspace = await self._new_workspace(unit, user_id, PERSONAL_NAME, personal=True)
        except IntegrityError:  # made by a concurrent first use
            async with self.db.reading() as session:
                existing = await PersonRepository(session, user_id).personal_workspace()
            if existing is None:
                raise
            return existing.id
        return workspace.id

    @staticmethod
    async def _new_workspace(
        unit: Unit, user_id: uuid.UUID, name: str, *, personal: bool
    ) -> Workspace:
        now = utcnow()
        workspace = Workspace(
            id=uuid.uuid4(),
            name=name,
            created_by=user_id,
            created_at=now,
            personal_of=user_id if personal else None,
        )
        unit.session.add(workspace)
        await unit.session.flush()  # before its first member: no relationship orders them
        Members(unit.session, workspace.id).add(user_id, Role.OWNER, now)
        unit.touch_person(user_id)
        return workspace

    async def roles_of(self, user_id: uuid.UUID) -> dict[uuid.UUID, str]:
        """The caller's role in each of their workspaces (what cached reads check)."""
        async with self.db.reading() as session:
            mine = await PersonRepository(session, user_id).memberships()
        return {m.workspace_id: m.role for m in mine}

    async def list_workspaces(
        self, user_id: uuid.UUID, role: Role | None = None
    ) -> list[WorkspaceView]:
        await self.personal(user_id)
        async with self.db.reading() as session:
            # Counted per workspace of the caller's, through the workspace's index: the
            # cost follows their workspaces' members, not the whole table.
            others = aliased(Membership)
            members = (
                select(func.count())
                .where(others.workspace_id == Workspace.id)
                .correlate(Workspace)
                .scalar_subquery()
            )
            statement = (
                select(Workspace, Membership.role, members)
                .join(Membership, Membership.workspace_id == Workspace.id)
                .where(Membership.user_id == user_id)
                .order_by(Workspace.personal_of.is_(None), Workspace.name, Workspace.id)
            )
            if role is not None:
                statement = statement.where(Membership.role == str(role))
            rows = (await session.execute(statement)).all()
            inherited = await self._inheritances(session, user_id, [w.id for w, _, _ in rows])
            views = []
            for workspace, my_role, members in rows:
                view = WorkspaceView(workspace, my_role, members, inherited.get(workspace.id))
                if role is Role.OWNER:
                    view = await self._fate(session, view, user_id)
                views.append(view)
        return views

    async def _fate(
        self, session: AsyncSession, view: WorkspaceView, user_id: uuid.UUID
    ) -> WorkspaceView:
        """What deleting `user_id`'s account would do to a workspace they own."""
        workspace = view.workspace
        if workspace.personal_of == user_id or view.member_count == 1:
            return replace(view, deleted_with_account=True)
        members = Members(session, workspace.id)
        if await members.count(Role.OWNER) > 1:
            return replace(view, deleted_with_account=False)
        heir = await members.successor(user_id)
        if heir is None:
            return replace(view, deleted_with_account=True)
        person = (await PeopleRepository(session).get_many([heir.user_id])).get(heir.user_id)
        return replace(view, deleted_with_account=False, successor=(heir.user_id, person))

    @staticmethod
    async def _inheritances(
        session: AsyncSession, user_id: uuid.UUID, workspace_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, OwnershipTransfer]:
        if not workspace_ids:
            return {}
        rows = await session.scalars(
            select(OwnershipTransfer)
            .where(
                OwnershipTransfer.to_user_id == user_id,
                OwnershipTransfer.workspace_id.in_(workspace_ids),
            )
            .order_by(OwnershipTransfer.at)
        )
        return {row.workspace_id: row for row in rows}

    async def create(self, user_id: uuid.UUID, name: str) -> WorkspaceView:
        async with self.writes.open(user_id) as unit:
            workspace = await self._new_workspace(unit, user_id, name, personal=False)
        return WorkspaceView(workspace, str(Role.OWNER), 1)

    async def get(self, user_id: uuid.UUID, workspace_id: str) -> WorkspaceView:
        async with self.db.reading() as session:
            workspace, grant = await Access(session, user_id).workspace(workspace_id, Action.READ)
            count = await Members(session, workspace.id).count()
            inherited = await self._inheritances(session, user_id, [workspace.id])
        return WorkspaceView(workspace, str(grant.role), count, inherited.get(workspace.id))

    async def rename(self, user_id: uuid.UUID, workspace_id: str, name: str) -> WorkspaceView:
        async with self.writes.open(user_id) as unit:
            workspace, grant = await unit.workspace(workspace_id, Action.RENAME_WORKSPACE)
            workspace.name = name
            count = await Members(unit.session, workspace.id).count()
            unit.touch_workspace(workspace.id)
            announce(unit.session, Notice("workspace", workspace.id, workspace.id))
        return WorkspaceView(workspace, str(grant.role), count)

    async def delete(self, user_id: uuid.UUID, workspace_id: str) -> None:
        wid = parse_id(workspace_id, "No such workspace.")
        async with self.writes.open(user_id) as unit:
            await unit.lock_workspace(wid, exclusive=True)
            workspace, _ = await unit.workspace(wid, Action.DELETE_WORKSPACE)
            if workspace.personal_of is not None:
                raise Conflict("A personal workspace is deleted only with its account.")
            await self._delete_workspace(unit, workspace)
            unit.forget_grants()  # the memberships went with it

    @staticmethod
    async def _delete_workspace(unit: Unit, workspace: Workspace) -> None:
        # Every member's view loses it: touched before the rows go.
        for member in await Members(unit.session, workspace.id).user_ids():
            unit.touch_person(member)
        await unit.session.execute(delete(Workspace).where(Workspace.id == workspace.id))
        announce(unit.session, Notice("workspace", workspace.id, workspace.id, "deleted"))

    # Members

    async def members(
        self, user_id: uuid.UUID, workspace_id: str, limit: int, cursor: str | None
    ) -> tuple[list[MemberView], str | None]:
        after = Position.decode(cursor) if cursor else None
        async with self.db.reading() as session:
            _, grant = await Access(session, user_id).workspace(workspace_id, Action.READ)
            rows = await Members(session, grant.workspace_id).page(limit + 1, after)
            people = await PeopleRepository(session).get_many(m.user_id for m in rows[:limit])
        items = [MemberView(m, people.get(m.user_id)) for m in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None
        next_cursor = Position(last.joined_at, last.user_id).encode() if last else None
        return items, next_cursor

    async def _managed(
        self, unit: Unit, workspace_id: str, action: Action
    ) -> tuple[Workspace, Grant, Members]:
        """The workspace under its exclusive lock, for a change of memberships."""
        wid = parse_id(workspace_id, "No such workspace.")
        await unit.lock_workspace(wid, exclusive=True)
        workspace, grant = await unit.workspace(wid, action)
        return workspace, grant, Members(unit.session, wid)

    async def _changing_member(
        self, unit: Unit, workspace_id: str, target: uuid.UUID, new: Role | None
    ) -> Members:
        """The workspace's members, once the caller may move `target` to `new` (None:
        removed): 403 when they may not, 404 for someone who is not a member."""
        _, grant, members = await self._managed(unit, workspace_id, Action.READ)
        membership = await members.get(target)
        if membership is None:
            grant.require(Action.MANAGE_MEMBERS)
            raise NotFound(MEMBER_NOT_FOUND)
        grant.require_role_change(Role(membership.role), new)
        return members

    async def change_role(
        self, actor: uuid.UUID, workspace_id: str, member_id: str, role: Role
    ) -> MemberView:
        target = parse_id(member_id, MEMBER_NOT_FOUND)
        async with self.writes.open(actor) as unit:
            members = await self._changing_member(unit, workspace_id, target, role)
            await members.set_role(target, role)
            await members.require_an_owner()
            unit.touch_person(target)
            membership = await members.get(target)
            assert membership is not None
            person = (await PeopleRepository(unit.session).get_many([target])).get(target)
        return MemberView(membership, person)

    async def remove(self, actor: uuid.UUID, workspace_id: str, member_id: str) -> None:
        target = parse_id(member_id, MEMBER_NOT_FOUND)
        if target == actor:
            await self.leave(actor, workspace_id)
            return
        async with self.writes.open(actor) as unit:
            members = await self._changing_member(unit, workspace_id, target, None)
            await members.remove(target, unit)
            await members.require_an_owner()
            unit.touch_person(target)
            unit.touch_workspace(members.workspace_id)

    async def leave(self, user_id: uuid.UUID, workspace_id: str) -> None:
        async with self.writes.open(user_id) as unit:
            workspace, grant, members = await self._managed(unit, workspace_id, Action.READ)
            if workspace.personal_of == user_id:
                raise Conflict("You cannot leave your personal workspace.")
            if await members.count() == 1:
                raise Conflict("You are its only member: delete the workspace instead.")
            await members.remove(user_id, unit)
            await members.require_an_owner()
            unit.touch_person(user_id)
            unit.touch_workspace(grant.workspace_id)
            # Leaving ends the grant this write started with, so none is re-checked.
            unit.forget_grants()

    async def transfer(self, actor: uuid.UUID, workspace_id: str, member_id: uuid.UUID) -> None:
        """The member named becomes an owner; the caller stays on as an admin."""
        async with self.writes.open(actor) as unit:
            _, _grant, members = await self._managed(unit, workspace_id, Action.TRANSFER_OWNERSHIP)
            if member_id == actor:
                raise field_error("user_id", "transfer_to_self", "Choose another member.")
            if await members.get(member_id) is None:
                raise field_error("user_id", "not_a_member", "Not a member of this workspace.")
            await members.set_role(member_id, Role.OWNER)
            await members.set_role(actor, Role.ADMIN)
            unit.touch_person(member_id)
            unit.touch_person(actor)
            unit.forget_grants()

    # Invitations

    async def invitations(
        self, user_id: uuid.UUID, workspace_id: str, limit: int, cursor: str | None
    ) -> tuple[list[InvitationView], str | None]:
        after = Position.decode(cursor) if cursor else None
        async with self.db.reading() as session:
            _, grant = await Access(session, user_id).workspace(workspace_id, Action.MANAGE_MEMBERS)
            statement = select(Invitation).where(
                Invitation.workspace_id == grant.workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            if after is not None:
                statement = statement.where(
                    tuple_(Invitation.created_at, Invitation.id)
                    < tuple_(after.created_at, after.id)
                )
            statement = statement.order_by(
                Invitation.created_at.desc(), Invitation.id.desc()
            ).limit(limit + 1)
            rows = (await session.scalars(statement)).all()
            people = await PeopleRepository(session).get_many(i.invited_by for i in rows)
        items = [InvitationView(i, people.get(i.invited_by)) for i in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None
        return items, Position(last.created_at, last.id).encode() if last else None

    async def invite(
        self, user_id: uuid.UUID, workspace_id: str, email: str, role: Role, *, public_url: str
    ) -> InvitationView:
        """An invitation, and its mail to the address with the link (at `public_url`, the
        web app's origin), committed together."""
        address = email.strip().lower()
        token = secrets.token_urlsafe(32)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            _, grant, _members = await self._managed(unit, workspace_id, Action.MANAGE_MEMBERS)
            grant.require_role_change(None, role)
            session = unit.session
            already = await session.scalar(
                select(func.count())
                .select_from(Membership)
                .join(Person, Person.user_id == Membership.user_id)
                .where(
                    Membership.workspace_id == grant.workspace_id,
                    func.lower(Person.email) == address,
                )
            )
            if already:
                raise field_error("email", "already_member", "Already a member.", conflict=True)
            open_one = (
                await session.scalars(
                    select(Invitation).where(
                        Invitation.workspace_id == grant.workspace_id,
                        Invitation.email == address,
                        Invitation.accepted_at.is_(None),
                        Invitation.revoked_at.is_(None),
                    )
                )
            ).first()
            if open_one is not None:
                if open_one.expires_at > now:
                    raise field_error(
                        "email",
                        "already_invited",
                        "An invitation to this email is open: revoke it to send another.",
                        conflict=True,
                    )
                open_one.revoked_at = now  # expired: make way for the new one
                await session.flush()
            invitation = Invitation(
                id=uuid.uuid4(),
                workspace_id=grant.workspace_id,
                email=address,
                role=str(role),
                token_hash=token_hash(token),
                invited_by=user_id,
                created_at=now,
                expires_at=now + self.invitation_lifetime,
            )
            session.add(invitation)
            await Notifier(session, user_id, now).invited(invitation)
            inviter = (await PeopleRepository(session).get_many([user_id])).get(user_id)
            workspace = await session.get(Workspace, grant.workspace_id)
            assert workspace is not None
            message = self.mails.invitation(
                address,
                link=invitation_link(public_url, token),
                workspace_name=workspace.name,
                inviter_name=display(inviter) or "Someone",
                role=str(role),
                valid=self.invitation_lifetime,
            )
            await self.mail_outbox.add(session, mail_requested(message, source="projects"))
        return InvitationView(invitation, inviter, token)

    async def revoke(self, user_id: uuid.UUID, workspace_id: str, invitation_id: str) -> None:
        iid = parse_id(invitation_id, INVITATION_NOT_FOUND)
        async with self.writes.open(user_id) as unit:
            _, grant, _members = await self._managed(unit, workspace_id, Action.MANAGE_MEMBERS)
            result = await unit.session.execute(
                update(Invitation)
                .where(
                    Invitation.id == iid,
                    Invitation.workspace_id == grant.workspace_id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            if getattr(result, "rowcount", 0) != 1:
                raise NotFound(INVITATION_NOT_FOUND)

    async def _usable(self, session: AsyncSession, token: str) -> Invitation:
        """The open invitation behind `token`: 404 unknown, 410 expired, revoked or used."""
        digest = token_hash(token)
        invitation = (
            await session.scalars(select(Invitation).where(Invitation.token_hash == digest))
        ).first()
        if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
            raise NotFound(INVITATION_NOT_FOUND)
        if (
            invitation.accepted_at is not None
            or invitation.revoked_at is not None
            or invitation.expires_at <= utcnow()
        ):
            raise Gone(INVITATION_GONE)
        return invitation

    async def preview(self, token: str) -> Preview:
        async with self.db.reading() as session:
            invitation = await self._usable(session, token)
            workspace = await session.get(Workspace, invitation.workspace_id)
            people = await PeopleRepository(session).get_many([invitation.invited_by])
        assert workspace is not None
        return Preview(workspace.name, display(people.get(invitation.invited_by)), invitation.role)

    async def accept(
        self, user_id: uuid.UUID, email: str | None, token: str, *, email_verified: bool
    ) -> WorkspaceView:
        """Join with the invited role: the membership and the invitation's use commit together.

        Only as the invited address, and only once its owner proved it theirs (followed a
        link mailed to it): anyone can register with any address.
        """
        async with self.writes.open(user_id) as unit:
            session = unit.session
            invitation = await self._usable(session, token)
            await unit.lock_workspace(invitation.workspace_id, exclusive=True)
            if email is None:
                person = (await PeopleRepository(session).get_many([user_id])).get(user_id)
                email = person.email if person is not None else None
            if email is None or email.lower() != invitation.email:
                raise Forbidden(
                    "This invitation was sent to another email address.",
                    extensions={"reason": "email_mismatch"},
                )
            if not email_verified:
                raise Forbidden(
                    "Verify your email address first: follow the link mailed to it, then "
                    "try again.",
                    extensions={"reason": "email_unverified"},
                )
            members = Members(session, invitation.workspace_id)
            if await members.get(user_id) is not None:
                raise Conflict("You are already a member of this workspace.")
            now = utcnow()
            # Used once: the update wins only while the invitation is still open.
            used = await session.execute(
                update(Invitation)
                .where(
                    Invitation.id == invitation.id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                )
                .values(accepted_at=now, accepted_by=user_id)
            )
            if getattr(used, "rowcount", 0) != 1:
                raise Gone(INVITATION_GONE)
            members.add(user_id, invitation.role, now)
            unit.touch_person(user_id)
            unit.touch_workspace(invitation.workspace_id)
            workspace = await session.get(Workspace, invitation.workspace_id)
            assert workspace is not None
            count = await members.count() + 1
        return WorkspaceView(workspace, invitation.role, count)

    # Accounts

    async def end_account(self, user_id: uuid.UUID, unit: Unit) -> int:
        """An account's end, inside the deletion's unit: returns the workspaces deleted.

        Its personal workspace and those where it is the only member go, with everything
        in them; elsewhere its membership ends and, if it was the only owner, the
        longest-standing admin (else member) inherits, which is recorded for them.
        """
        session = unit.session
        mine = await PersonRepository(session, user_id).memberships()
        people = await PeopleRepository(session).get_many([user_id])
        name = display(people.get(user_id))
        deleted = 0
        for membership in sorted(mine, key=lambda m: m.workspace_id):
            await unit.lock_workspace(membership.workspace_id, exclusive=True)
            workspace = await session.get(Workspace, membership.workspace_id)
            if workspace is None:
                continue
            members = Members(session, workspace.id)
            if workspace.personal_of == user_id or await members.count() == 1:
                await self._delete_workspace(unit, workspace)
                deleted += 1
                continue
            if membership.role == Role.OWNER and await members.count(Role.OWNER) == 1:
                heir = await members.successor(user_id)
                assert heir is not None  # another member exists
                await members.set_role(heir.user_id, Role.OWNER)
                session.add(
                    OwnershipTransfer(
                        id=uuid.uuid4(),
                        workspace_id=workspace.id,
                        from_user_id=user_id,
                        from_name=name,
                        to_user_id=heir.user_id,
                        reason="account_deleted",
                        at=utcnow(),
                    )
                )
                unit.touch_person(heir.user_id)
            await members.remove(user_id, unit)
            unit.touch_workspace(workspace.id)
        unit.touch_person(user_id)
        return deleted
