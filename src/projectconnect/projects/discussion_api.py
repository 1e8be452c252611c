"""The projects service's routes for a task's comments and the activity log."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE
from projectconnect.infra.problems import problem_responses
from projectconnect.projects.api import Cursor, Limit
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.discussion import ActivityFeed, CommentService
from projectconnect.projects.models import ActivityEntry, Comment
from projectconnect.projects.schemas import (
    ActivityPage,
    ActivityPublic,
    CommentCreate,
    CommentPage,
    CommentPublic,
    CommentUpdate,
)
from projectconnect.projects.service import Page

router = APIRouter(tags=["comments"], responses=problem_responses(401, 403, 404, 422, 500, 503))
COMMENTS = "/projects/{project_id}/tasks/{task_id}/comments"


def comments_of(request: Request) -> CommentService:
    service: CommentService = request.app.state.projects_comments
    return service


def activity_of(request: Request) -> ActivityFeed:
    feed: ActivityFeed = request.app.state.projects_activity
    return feed


def comment_public(comment: Comment) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        task_id=comment.task_id,
        author_id=comment.author_id,
        body=comment.body,
        created_at=comment.created_at,
        updated_at=comment.edited_at,
    )


def activity_page(page: Page[ActivityEntry]) -> ActivityPage:
    items = [ActivityPublic.model_validate(e, from_attributes=True) for e in page.items]
    return ActivityPage(items=items, next_cursor=page.next_cursor)


@router.get(COMMENTS)
async def list_comments(
    request: Request,
    project_id: str,
    task_id: str,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> CommentPage:
    """The task's comments, oldest first."""
    page = await comments_of(request).list(caller.user_id, project_id, task_id, limit, cursor)
    return CommentPage(items=[comment_public(c) for c in page.items], next_cursor=page.next_cursor)


@router.post(COMMENTS, status_code=status.HTTP_201_CREATED)
async def create_comment(
    request: Request, project_id: str, task_id: str, body: CommentCreate, caller: CallerDep
) -> CommentPublic:
    service = comments_of(request)
    return comment_public(await service.create(caller.user_id, project_id, task_id, body.body))


@router.patch(COMMENTS + "/{comment_id}")
async def update_comment(
    request: Request,
    project_id: str,
    task_id: str,
    comment_id: str,
    body: CommentUpdate,
    caller: CallerDep,
) -> CommentPublic:
    """Only its author edits a comment."""
    comment = await comments_of(request).update(
        caller.user_id, project_id, task_id, comment_id, body.body
    )
    return comment_public(comment)


@router.delete(COMMENTS + "/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comment(
    request: Request, project_id: str, task_id: str, comment_id: str, caller: CallerDep
) -> None:
    """Its author, or an admin or owner of the workspace, deletes a comment."""
    await comments_of(request).delete(caller.user_id, project_id, task_id, comment_id)


@router.get("/projects/{project_id}/activity", tags=["activity"])
async def list_project_activity(
    request: Request,
    project_id: str,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> ActivityPage:
    """What happened to the project and its tasks, newest first."""
    return activity_page(await activity_of(request).list(caller.user_id, project_id, limit, cursor))


@router.get("/projects/{project_id}/tasks/{task_id}/activity", tags=["activity"])
async def list_task_activity(
    request: Request,
    project_id: str,
    task_id: str,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> ActivityPage:
    """What happened to the task, newest first."""
    return activity_page(
        await activity_of(request).list(caller.user_id, project_id, limit, cursor, task_id)
    )
