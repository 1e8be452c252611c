"""The caller's notifications: `/notifications`, marking them read, and their preferences."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel

from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE
from projectconnect.infra.problems import problem_responses
from projectconnect.projects.api import Cursor, Limit
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.notification_center import (
    NotificationCenter,
    NotificationView,
    Preferences,
)
from projectconnect.projects.notifications import KINDS, MAIL_KINDS, Kind
from projectconnect.projects.schemas import (
    NotificationActor,
    NotificationKinds,
    NotificationMailKinds,
    NotificationPage,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    NotificationProject,
    NotificationPublic,
    NotificationTask,
    NotificationWorkspace,
)

router = APIRouter(tags=["notifications"], responses=problem_responses(401, 422, 500, 503))


def center_of(request: Request) -> NotificationCenter:
    center: NotificationCenter = request.app.state.projects_notifications
    return center


def notification_public(view: NotificationView) -> NotificationPublic:
    n = view.notification
    return NotificationPublic(
        id=n.id,
        kind=n.kind,
        created_at=n.created_at,
        read_at=n.read_at,
        actor=NotificationActor(id=n.actor_id, name=view.actor_name) if n.actor_id else None,
        workspace=NotificationWorkspace(id=n.workspace_id, name=view.workspace_name),
        project=(
            NotificationProject(id=n.project_id, name=view.project_name)
            if n.project_id is not None and view.project_name is not None
            else None
        ),
        task=(
            NotificationTask(id=n.task_id, title=view.task_title)
            if n.task_id is not None and view.task_title is not None
            else None
        ),
        comment_id=view.comment_id,
        due_date=n.due_date,
    )


def preferences_public(preferences: Preferences) -> NotificationPreferences:
    return NotificationPreferences(
        kinds=NotificationKinds(**preferences.kinds),
        mail=NotificationMailKinds(**preferences.mail),
        mail_frequency=preferences.mail_frequency,
    )


def named(choices: BaseModel | None, kinds: Iterable[Kind]) -> dict[Kind, bool]:
    """The kinds a body names, with their choice."""
    if choices is None:
        return {}
    values = ((kind, getattr(choices, kind)) for kind in kinds)
    return {kind: on for kind, on in values if on is not None}


@router.get("/notifications")
async def list_notifications(
    request: Request,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
) -> NotificationPage:
    """The caller's notifications, newest first, with how many are unread. Only those of
    the workspaces the caller belongs to (and invitations while they are open)."""
    page, unread_count = await center_of(request).list(caller.user_id, limit, cursor, unread=unread)
    return NotificationPage(
        items=[notification_public(v) for v in page.items],
        next_cursor=page.next_cursor,
        unread_count=unread_count,
    )


@router.post(
    "/notifications/read-all",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def mark_all_notifications_read(request: Request, caller: CallerDep) -> None:
    """Every notification of the caller's is read."""
    await center_of(request).mark_all_read(caller.user_id)


@router.post(
    "/notifications/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
async def mark_notification_read(request: Request, notification_id: str, caller: CallerDep) -> None:
    """The notification is read (it stays read); another's or an unknown one is 404."""
    await center_of(request).mark_read(caller.user_id, notification_id)


@router.get("/notifications/preferences")
async def get_notification_preferences(
    request: Request, caller: CallerDep
) -> NotificationPreferences:
    """Whether each kind of notification is shown in the app and mailed (all are, until
    turned off), and how often mail comes (`instant` until changed)."""
    return preferences_public(await center_of(request).preferences(caller.user_id))


@router.put("/notifications/preferences")
async def update_notification_preferences(
    request: Request, body: NotificationPreferencesUpdate, caller: CallerDep
) -> NotificationPreferences:
    """Turn kinds on or off, in the app or by mail, and choose how often mail comes; what
    is not named keeps its setting. A kind turned off is no longer made, or mailed, from
    then on (what was made stays)."""
    chosen = await center_of(request).choose(
        caller.user_id,
        in_app=named(body.kinds, KINDS),
        mail=named(body.mail, MAIL_KINDS),
        mail_frequency=body.mail_frequency,
    )
    return preferences_public(chosen)
