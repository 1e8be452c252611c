"""A workspace's labels: read by every member, managed by members and above.

A label's name and colour are not part of a task's JSON (tasks carry label ids), so only
deleting a label changes what the projects' task lists show.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.problems import NotFound, field_error
from projectconnect.projects.access import Access, Action, parse_id
from projectconnect.projects.live import Notice, announce
from projectconnect.projects.models import Label
from projectconnect.projects.repository import LabelRepository
from projectconnect.projects.schemas import LabelCreate, LabelUpdate
from projectconnect.projects.writes import Writes

LABEL_NOT_FOUND = "No such label."


def _name_taken() -> Exception:
    return field_error(
        "name", "label_exists", "The workspace has a label of that name.", conflict=True
    )


class LabelService:
    def __init__(self, db: Database, writes: Writes) -> None:
        self.db = db
        self.writes = writes

    async def list(self, user_id: uuid.UUID, workspace_id: str) -> Sequence[Label]:
        async with self.db.reading() as session:
            _, grant = await Access(session, user_id).workspace(workspace_id, Action.READ)
            return await LabelRepository(session, grant).in_workspace()

    async def create(self, user_id: uuid.UUID, workspace_id: str, data: LabelCreate) -> Label:
        async with self.writes.open(user_id) as unit:
            _, grant = await unit.workspace(workspace_id, Action.MANAGE_LABELS)
            label = Label(
                id=uuid.uuid4(),
                workspace_id=grant.workspace_id,
                name=data.name,
                colour=data.colour.lower(),
                created_at=utcnow(),
            )
            LabelRepository(unit.session, grant).add(label)
            try:
                await unit.session.flush()
            except IntegrityError as exc:
                raise _name_taken() from exc
            announce(unit.session, Notice("label", label.id, grant.workspace_id, "created"))
        return label

    async def update(
        self, user_id: uuid.UUID, workspace_id: str, label_id: str, data: LabelUpdate
    ) -> Label:
        lid = parse_id(label_id, LABEL_NOT_FOUND)
        async with self.writes.open(user_id) as unit:
            _, grant = await unit.workspace(workspace_id, Action.MANAGE_LABELS)
            label = await LabelRepository(unit.session, grant).get(lid)
            if label is None:
                raise NotFound(LABEL_NOT_FOUND)
            if data.name is not None:
                label.name = data.name
            if data.colour is not None:
                label.colour = data.colour.lower()
            try:
                await unit.session.flush()
            except IntegrityError as exc:
                raise _name_taken() from exc
            announce(unit.session, Notice("label", label.id, grant.workspace_id))
        return label

    async def delete(self, user_id: uuid.UUID, workspace_id: str, label_id: str) -> None:
        """The label goes, and with it from every task that carried it."""
        lid = parse_id(label_id, LABEL_NOT_FOUND)
        async with self.writes.open(user_id) as unit:
            _, grant = await unit.workspace(workspace_id, Action.MANAGE_LABELS)
            labels = LabelRepository(unit.session, grant)
            if await labels.get(lid) is None:
                raise NotFound(LABEL_NOT_FOUND)
            unit.touch_projects(grant.workspace_id, await labels.projects_using(lid))
            await labels.delete(lid)
            # Off every task that carried it: subscribers refetch what shows labels.
            announce(unit.session, Notice("label", lid, grant.workspace_id, "deleted"))
