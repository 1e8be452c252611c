"""What the fast reads take from a request: only what they read exactly as the routes do."""

from __future__ import annotations

import uuid

import pytest

from projectconnect.projects.cache import person_scope, project_scope
from projectconnect.projects.fast_reads import (
    PROJECT_LIST,
    TASK_LIST,
    _page,
    _query,
    plan_project,
    plan_project_list,
    plan_task_list,
)

ANN = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
PROJECT = uuid.UUID("00000000-0000-0000-0000-0000000000b2")


def query(raw: str, names: frozenset[str] = PROJECT_LIST) -> dict[str, str] | None:
    return _query({"query_string": raw.encode()}, names)


@pytest.mark.parametrize("raw", ["limit=20&limit=100", "limit=", "other=1", "q=x", "archived"])
def test_a_repeated_blank_or_unknown_parameter_is_declined(raw: str) -> None:
    assert query(raw) is None


def test_a_query_is_read_as_the_framework_decodes_it() -> None:
    assert query("") == {}
    assert query("sort=name&cursor=a%2Bb+c") == {"sort": "name", "cursor": "a+b c"}


@pytest.mark.parametrize(
    ("limit", "size"), [(None, 20), ("20", 20), ("0020", 20), ("100", 100), ("1", 1)]
)
def test_page_sizes_are_the_routes_integers(limit: str | None, size: int) -> None:
    page = _page({"limit": limit} if limit is not None else {}, "list:*")
    assert page is not None
    assert page.key == f"list:*:{size}:"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "+5", "²", "1e2", " 5"])
def test_a_size_the_route_would_refuse_or_read_otherwise_is_declined(limit: str) -> None:
    assert _page({"limit": limit}, "list:*") is None


def test_a_cursor_longer_than_the_route_takes_is_declined() -> None:
    assert _page({"cursor": "c" * 512}, "list:*") is not None
    assert _page({"cursor": "c" * 513}, "list:*") is None


def views_of(plan: object) -> list[tuple[str, str]]:
    assert isinstance(plan, tuple)
    views: list[tuple[str, str]] = plan[0]
    return views


def test_the_project_list_is_read_under_the_keys_the_route_stores() -> None:
    default = plan_project_list(ANN, {}, {})
    assert views_of(default) == [(person_scope(ANN), "list:*:20:")]
    workspace = str(PROJECT).upper()
    narrowed = plan_project_list(ANN, {}, {"workspace": workspace, "sort": "name"})
    key = f"list:{PROJECT}?sort=name&archived=false:20:"
    assert views_of(narrowed) == [(person_scope(ANN), key)]
    for declined in ({"workspace": "team"}, {"sort": "size"}, {"archived": "yes"}):
        assert plan_project_list(ANN, {}, declined) is None


def test_a_project_and_its_tasks_are_read_with_the_callers_memberships() -> None:
    path = {"project_id": str(PROJECT)}
    acl = (person_scope(ANN), "acl")
    assert views_of(plan_project(ANN, path, {})) == [acl, (project_scope(PROJECT), "project")]
    assert views_of(plan_task_list(ANN, path, {})) == [acl, (project_scope(PROJECT), "tasks:20:")]
    board = plan_task_list(ANN, path, {"sort": "position", "limit": "100"})
    key = "tasks?sort=position&order=asc:100:"
    assert views_of(board) == [acl, (project_scope(PROJECT), key)]
    assert plan_project(ANN, {"project_id": "nope"}, {}) is None
    assert plan_task_list(ANN, path, {"order": "up"}) is None
    assert query("status=done", TASK_LIST) is None
