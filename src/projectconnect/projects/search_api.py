"""`GET /search`: the tasks and projects the caller can see that match some words."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from projectconnect.infra.problems import problem_responses
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.schemas import TaskStatus
from projectconnect.projects.search import MAX_QUERY_CHARS, Hit, SearchService
from projectconnect.projects.search import Span as FoundSpan

router = APIRouter(tags=["search"], responses=problem_responses(401, 404, 422, 500, 503))

MAX_SEARCH_PAGE = 50
DEFAULT_SEARCH_PAGE = 20


class Span(BaseModel):
    """A highlighted stretch of a text, in UTF-16 code units (`text.slice(start, end)`)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class SearchHit(BaseModel):
    type: Literal["task", "project"]
    id: uuid.UUID
    project_id: uuid.UUID = Field(description="The task's project, or the project itself.")
    workspace_id: uuid.UUID
    project_name: str
    title: str = Field(description="The task's title or the project's name, as plain text.")
    title_highlights: list[Span]
    snippet: str | None = Field(
        description="Plain text from the description around the matches (null when it is "
        "empty); render it as text, marking `snippet_highlights`."
    )
    snippet_highlights: list[Span]
    status: TaskStatus | None = Field(description="A task's status; null for a project.")


class SearchResults(BaseModel):
    items: list[SearchHit] = Field(description="Best match first.")
    next_cursor: str | None


def search_of(request: Request) -> SearchService:
    service: SearchService = request.app.state.projects_search
    return service


def _spans(spans: list[FoundSpan]) -> list[Span]:
    return [Span(start=s.start, end=s.end) for s in spans]


def search_hit(hit: Hit) -> SearchHit:
    return SearchHit(
        type=hit.kind,
        id=hit.id,
        project_id=hit.project_id,
        workspace_id=hit.workspace_id,
        project_name=hit.project_name,
        title=hit.title,
        title_highlights=_spans(hit.title_highlights),
        snippet=hit.snippet,
        snippet_highlights=_spans(hit.snippet_highlights),
        status=hit.status,
    )


@router.get("/search")
async def search(
    request: Request,
    caller: CallerDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='Words (all must match), "quoted phrases", -excluded words; the last '
            "word matches as a prefix. At least 2 characters.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE)] = DEFAULT_SEARCH_PAGE,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    workspace: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[Literal["task", "project"] | None, Query()] = None,
) -> SearchResults:
    """Tasks (title, description) and projects (name, description) of the caller's
    workspaces, or of `workspace` only, best match first."""
    results = await search_of(request).search(caller.user_id, q, limit, cursor, workspace, type)
    return SearchResults(
        items=[search_hit(h) for h in results.items], next_cursor=results.next_cursor
    )
