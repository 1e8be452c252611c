"""Filters and sorts of a project's task list through the public API: every filter, every
sort in both orders paged across several pages with ties, `me` and `none`, cursors of
another sort, bad values, and what the read cache shares."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from projectconnect.infra.pagination import Position
from tests.api.test_projects import invalid_fields, problem
from tests.api.test_task_fields import new_label, patch, post_task
from tests.support.accounts import Account, sign_up, statements
from tests.support.teams import create_project_in, create_workspace, join

Task = dict[str, Any]
STATUSES = ["backlog", "todo", "in_progress", "done", "cancelled"]
PRIORITIES = ["urgent", "high", "medium", "low", "none"]
DEFAULT_ORDER = {
    "created": "asc",
    "updated": "desc",
    "due_date": "asc",
    "priority": "desc",
    "position": "asc",
}


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def expected(tasks: Sequence[Task], sort: str, order: str | None = None) -> list[str]:
    """The ids in the order the API promises, computed from the tasks themselves."""
    order = order or DEFAULT_ORDER[sort]
    key: Callable[[Task], Any]
    if sort == "created":
        key = lambda t: (when(t["created_at"]), t["id"])  # noqa: E731
    elif sort == "updated":
        key = lambda t: (when(t["updated_at"]), t["id"])  # noqa: E731
    elif sort == "priority":
        # The default order (desc): the most urgent first, each priority's oldest first.
        key = lambda t: (PRIORITIES.index(t["priority"]), when(t["created_at"]), t["id"])  # noqa: E731
    elif sort == "position":
        key = lambda t: (STATUSES.index(t["status"]), t["position"], t["id"])  # noqa: E731
    else:
        dated = sorted((t for t in tasks if t["due_date"]), key=lambda t: (t["due_date"], t["id"]))
        undated = sorted((t for t in tasks if not t["due_date"]), key=lambda t: t["id"])
        if order == "desc":
            dated.reverse()
            undated.reverse()
        return [t["id"] for t in dated + undated]
    # The default order of each sort; the other one is its exact reverse.
    forward = [t["id"] for t in sorted(tasks, key=key, reverse=sort == "updated")]
    return forward if order == DEFAULT_ORDER[sort] else forward[::-1]


async def read_all(
    api: httpx.AsyncClient, who: Account, project: Task, limit: int = 3, **params: Any
) -> list[list[Task]]:
    """Every page of a filtered, sorted list, following next_cursor."""
    result: list[list[Task]] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": limit, **params}
        if cursor is not None:
            query["cursor"] = cursor
        response = await api.get(
            f"/projects/{project['id']}/tasks", params=query, headers=who.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        result.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return result
        assert len(result) < 50, "pagination does not end"


async def listed(api: httpx.AsyncClient, who: Account, project: Task, **params: Any) -> list[str]:
    ids = [t["id"] for page in await read_all(api, who, project, **params) for t in page]
    assert len(ids) == len(set(ids)), "a task came twice"
    return ids


@dataclass
class Board:
    ann: Account  # owner
    bob: Account  # member
    workspace: str
    project: Task
    red: Task  # labels
    blue: Task
    tasks: list[Task]

    def ids(self, keep: Callable[[Task], bool]) -> set[str]:
        return {t["id"] for t in self.tasks if keep(t)}


TODAY = dt.datetime.now(dt.UTC).date()
DAY = dt.timedelta(days=1)


async def make_board(api: httpx.AsyncClient) -> Board:
    """A project of 14 tasks that tie on every sort key some way: statuses, priorities,
    due dates (some the same, some none), assignees and labels."""
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)
    bob = await join(api, ann, workspace, "member", "bob")
    project = await create_project_in(api, ann, workspace, "Board")
    red = await new_label(api, ann, workspace, "Red", "#FF0000")
    blue = await new_label(api, ann, workspace, "Blue", "#0000FF")
    specs: list[dict[str, Any]] = [
        {"status": "todo", "priority": "high", "due_date": str(TODAY - 3 * DAY)},
        {"status": "todo", "priority": "urgent", "assignees": [ann.id]},
        {"status": "done", "priority": "high", "due_date": str(TODAY - 3 * DAY)},
        {"status": "backlog", "priority": "none", "assignees": [bob.id], "labels": [red["id"]]},
        {"status": "in_progress", "priority": "medium", "due_date": str(TODAY)},
        {"status": "todo", "priority": "high", "due_date": str(TODAY + 2 * DAY)},
        {"status": "cancelled", "priority": "low", "due_date": str(TODAY - DAY)},
        {"status": "todo", "assignees": [ann.id, bob.id], "labels": [red["id"], blue["id"]]},
        {"status": "in_progress", "priority": "high", "due_date": str(TODAY + 2 * DAY)},
        {"status": "backlog", "priority": "urgent", "labels": [blue["id"]]},
        {"status": "todo", "priority": "low", "due_date": str(TODAY - DAY), "assignees": [bob.id]},
        {"status": "done", "priority": "medium"},
        {"status": "todo", "priority": "high", "due_date": str(TODAY + 2 * DAY)},
        {"status": "in_progress", "priority": "none"},
    ]
    tasks = []
    for n, spec in enumerate(specs):
        response = await post_task(api, ann, project["id"], title=f"Task {n:02}", **spec)
        assert response.status_code == 201, response.text
        tasks.append(response.json())
    # Changes out of creation order, and a move within the todo column.
    for n in (5, 0, 9):
        tasks[n] = await patch(api, bob, tasks[n], {"description": f"changed {n}"})
    tasks[12] = await patch(api, ann, tasks[12], {"after": tasks[1]["id"]})
    return Board(ann, bob, workspace, project, red, blue, tasks)


# Sorts


async def test_without_parameters_the_list_is_as_before(api: httpx.AsyncClient) -> None:
    board = await make_board(api)

    plain = await listed(api, board.ann, board.project)

    assert plain == expected(board.tasks, "created")
    assert await listed(api, board.ann, board.project, sort="created", order="asc") == plain


@pytest.mark.parametrize("sort", list(DEFAULT_ORDER))
async def test_every_sort_pages_through_ties_in_both_orders(
    api: httpx.AsyncClient, sort: str
) -> None:
    board = await make_board(api)

    for order in (None, "asc", "desc"):
        params: dict[str, Any] = {"sort": sort, **({"order": order} if order else {})}
        pages = await read_all(api, board.bob, board.project, **params)
        ids = [t["id"] for page in pages for t in page]

        assert len(pages) >= 4, "paged across several pages"
        assert ids == expected(board.tasks, sort, order), (sort, order)


async def test_position_sort_is_the_board_columns_in_order(api: httpx.AsyncClient) -> None:
    board = await make_board(api)

    todo = await listed(api, board.ann, board.project, status="todo", sort="position", limit=2)
    column = [t for t in board.tasks if t["status"] == "todo"]

    assert todo == expected(column, "position")
    # The moved task sits right after the one it was moved behind.
    assert todo.index(board.tasks[12]["id"]) == todo.index(board.tasks[1]["id"]) + 1
    columns = await listed(api, board.ann, board.project, sort="position", limit=4)
    statuses = [next(t["status"] for t in board.tasks if t["id"] == i) for i in columns]
    assert statuses == sorted(statuses, key=STATUSES.index)


async def test_priority_sort_puts_the_most_urgent_first(api: httpx.AsyncClient) -> None:
    board = await make_board(api)

    ids = await listed(api, board.ann, board.project, sort="priority")
    priorities = [next(t["priority"] for t in board.tasks if t["id"] == i) for i in ids]

    assert priorities == sorted(priorities, key=PRIORITIES.index)
    assert priorities[0] == "urgent"
    assert priorities[-1] == "none"


async def test_tasks_without_a_due_date_come_last_in_either_order(
    api: httpx.AsyncClient,
) -> None:
    board = await make_board(api)
    undated = board.ids(lambda t: t["due_date"] is None)

    for order in ("asc", "desc"):
        ids = await listed(api, board.ann, board.project, sort="due_date", order=order)
        assert set(ids[-len(undated) :]) == undated, order


# Filters


async def test_status_and_priority_filters_keep_any_of_their_values(
    api: httpx.AsyncClient,
) -> None:
    board = await make_board(api)

    for statuses in (["todo"], ["done", "cancelled"], ["backlog", "in_progress", "todo"]):
        for sort in ("created", "position", "priority"):
            ids = await listed(api, board.ann, board.project, status=statuses, sort=sort, limit=2)
            wanted = {t["id"] for t in board.tasks if t["status"] in statuses}
            assert set(ids) == wanted, (statuses, sort)
    for priorities in (["urgent"], ["high", "low"]):
        for sort in ("created", "priority", "due_date"):
            ids = await listed(api, board.ann, board.project, priority=priorities, sort=sort)
            assert set(ids) == {t["id"] for t in board.tasks if t["priority"] in priorities}, sort


async def test_assignee_me_none_and_user_ids(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    ann, bob = board.ann, board.bob

    def to(*people: str) -> set[str]:
        return board.ids(lambda t: bool(set(t["assignees"]) & set(people)))

    nobody = board.ids(lambda t: not t["assignees"])

    assert set(await listed(api, ann, board.project, assignee="me")) == to(ann.id)
    assert set(await listed(api, bob, board.project, assignee="me")) == to(bob.id)
    assert set(await listed(api, bob, board.project, assignee=ann.id)) == to(ann.id)
    assert set(await listed(api, ann, board.project, assignee="none")) == nobody
    assert (
        set(await listed(api, ann, board.project, assignee=["me", "none"])) == to(ann.id) | nobody
    )
    assert set(await listed(api, ann, board.project, assignee=[ann.id, bob.id])) == to(
        ann.id, bob.id
    )
    stranger = str(uuid.uuid4())
    assert await listed(api, ann, board.project, assignee=stranger) == []


async def test_label_filter_keeps_tasks_with_any_of_them(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    red, blue = board.red["id"], board.blue["id"]

    def having(*labels: str) -> set[str]:
        return board.ids(lambda t: bool(set(t["labels"]) & set(labels)))

    assert set(await listed(api, board.ann, board.project, label=red)) == having(red)
    assert set(await listed(api, board.ann, board.project, label=[red, blue])) == having(red, blue)
    assert await listed(api, board.ann, board.project, label=str(uuid.uuid4())) == []


async def test_due_dates_are_inclusive_and_overdue_means_open_and_past(
    api: httpx.AsyncClient,
) -> None:
    board = await make_board(api)
    ann = board.ann

    def due(keep: Callable[[dt.date], bool]) -> set[str]:
        return board.ids(
            lambda t: t["due_date"] is not None and keep(dt.date.fromisoformat(t["due_date"]))
        )

    before = await listed(api, ann, board.project, due_before=str(TODAY - DAY), sort="due_date")
    after = await listed(api, ann, board.project, due_after=str(TODAY), sort="updated")
    between = await listed(
        api, ann, board.project, due_after=str(TODAY - DAY), due_before=str(TODAY)
    )
    overdue = await listed(api, ann, board.project, overdue="true", sort="due_date")

    assert set(before) == due(lambda d: d <= TODAY - DAY)
    assert set(after) == due(lambda d: d >= TODAY)
    assert set(between) == due(lambda d: TODAY - DAY <= d <= TODAY)
    assert set(overdue) == board.ids(
        lambda t: (
            t["due_date"] is not None
            and dt.date.fromisoformat(t["due_date"]) < TODAY
            and t["status"] not in ("done", "cancelled")
        )
    )
    assert overdue  # the board has some: todo, 3 days and 1 day ago
    assert set(await listed(api, ann, board.project, overdue="false")) == board.ids(lambda t: True)


async def test_text_is_a_case_insensitive_substring_of_the_title(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    ann, project = board.ann, board.project
    special = [
        (await post_task(api, ann, project["id"], title=title)).json()
        for title in ("Buy MILK", "50% off", "snake_case", "Ünïcode Straße")
    ]

    assert await listed(api, ann, project, q="milk") == [special[0]["id"]]
    assert await listed(api, ann, project, q="%") == [special[1]["id"]]
    assert await listed(api, ann, project, q="e_c") == [special[2]["id"]]
    assert await listed(api, ann, project, q="straße") == [special[3]["id"]]
    assert len(await listed(api, ann, project, q="task 0")) == 10
    assert len(await listed(api, ann, project, q="   ")) == len(board.tasks) + len(special)


async def test_filters_combine_with_every_sort_across_pages(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    filters: dict[str, Any] = {"status": ["todo", "in_progress", "backlog"], "q": "task"}
    wanted = [t for t in board.tasks if t["status"] in filters["status"]]

    for sort in DEFAULT_ORDER:
        for order in ("asc", "desc"):
            ids = await listed(
                api, board.bob, board.project, limit=2, sort=sort, order=order, **filters
            )
            assert ids == expected(wanted, sort, order), (sort, order)
    unassigned_high = [t for t in board.tasks if t["priority"] == "high" and not t["assignees"]]
    ids = await listed(
        api, board.ann, board.project, limit=1, priority="high", assignee="none", sort="due_date"
    )
    assert ids == expected(unassigned_high, "due_date")


# Refusals


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"priority": "critical"}, "priority"),
        ({"assignee": "someone"}, "assignee"),
        ({"label": "red"}, "label"),
        ({"label": [str(uuid.uuid4()) for _ in range(51)]}, "label"),
        ({"due_before": "2026-13-01"}, "due_before"),
        ({"due_after": "tomorrow"}, "due_after"),
        ({"overdue": "maybe"}, "overdue"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"sort": "title"}, "sort"),
        ({"order": "up"}, "order"),
    ],
)
async def test_bad_values_are_refused_naming_the_field(
    api: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    board = await make_board(api)

    response = await api.get(
        f"/projects/{board.project['id']}/tasks", params=params, headers=board.ann.headers
    )

    assert {f.split(".")[0] for f in invalid_fields(response)} == {field}


async def test_a_cursor_of_another_sort_or_order_is_refused(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    path = f"/projects/{board.project['id']}/tasks"
    first = await api.get(path, params={"limit": 2, "sort": "due_date"}, headers=board.ann.headers)
    cursor = first.json()["next_cursor"]

    for params in (
        {"sort": "created"},
        {"sort": "position"},
        {"sort": "due_date", "order": "desc"},
    ):
        response = await api.get(
            path, params={"limit": 2, "cursor": cursor, **params}, headers=board.ann.headers
        )
        assert invalid_fields(response) == {"cursor"}, params
        assert problem(response, 422)["errors"][0]["code"] == "cursor_mismatch"
    same = await api.get(
        path,
        params={"limit": 2, "cursor": cursor, "sort": "due_date", "status": "todo"},
        headers=board.ann.headers,
    )
    assert same.status_code == 200, same.text  # filters may change; the sort may not


async def test_a_cursor_issued_before_sorts_existed_still_pages_the_default_list(
    api: httpx.AsyncClient,
) -> None:
    board = await make_board(api)
    ordered = expected(board.tasks, "created")
    third = next(t for t in board.tasks if t["id"] == ordered[2])
    old = Position(when(third["created_at"]), uuid.UUID(third["id"])).encode()

    response = await api.get(
        f"/projects/{board.project['id']}/tasks",
        params={"cursor": old, "limit": 100},
        headers=board.ann.headers,
    )

    assert [t["id"] for t in response.json()["items"]] == ordered[3:]
    refused = await api.get(
        f"/projects/{board.project['id']}/tasks",
        params={"cursor": old, "sort": "updated"},
        headers=board.ann.headers,
    )
    assert invalid_fields(refused) == {"cursor"}


# The read cache


async def get_tasks(
    api: httpx.AsyncClient, who: Account, board: Board, query: str
) -> httpx.Response:
    response = await api.get(f"/projects/{board.project['id']}/tasks?{query}", headers=who.headers)
    assert response.status_code == 200, response.text
    return response


async def test_assignee_me_is_each_callers_own_through_the_cache(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    ann, bob = board.ann, board.bob
    mine = {
        who.id: {t["id"] for t in board.tasks if who.id in t["assignees"]} for who in (ann, bob)
    }

    for who in (ann, bob, ann, bob):
        response = await get_tasks(api, who, board, "assignee=me&sort=position")
        assert {t["id"] for t in response.json()["items"]} == mine[who.id], who.email
    # The second round came from the cache, each under the caller's own id.
    again = await get_tasks(api, bob, board, "assignee=me&sort=position")
    assert statements(again) == 0
    spelled = await get_tasks(api, bob, board, f"sort=position&order=asc&assignee={ann.id}")
    assert statements(spelled) == 0  # `me` of ann's is ann's id: one entry
    assert {t["id"] for t in spelled.json()["items"]} == mine[ann.id]

    # A change reaches both at once.
    moved = await patch(api, ann, board.tasks[3], {"assignees": [ann.id]})
    for who in (ann, bob):
        response = await get_tasks(api, who, board, "assignee=me&sort=position")
        ids = {t["id"] for t in response.json()["items"]}
        assert (moved["id"] in ids) == (who is ann), who.email


async def test_filtered_lists_share_one_canonical_entry(api: httpx.AsyncClient) -> None:
    board = await make_board(api)
    red, blue = board.red["id"], board.blue["id"]
    await get_tasks(api, board.bob, board, "")  # bob's memberships, cached

    first = await get_tasks(
        api, board.ann, board, f"status=todo&status=done&label={red}&label={blue}"
    )
    for spelling in (
        f"label={blue}&status=done&label={red.upper()}&status=todo&status=done",
        f"status=done&label={red}&status=todo&label={blue}&sort=created&order=asc",
    ):
        response = await get_tasks(api, board.bob, board, spelling)
        assert response.content == first.content
        assert statements(response) == 0, spelling


async def test_unknown_ids_free_text_and_dates_are_never_cached(api: httpx.AsyncClient) -> None:
    board = await make_board(api)

    for query in (
        f"label={uuid.uuid4()}",
        f"assignee={uuid.uuid4()}",
        "q=task",
        f"due_before={TODAY}",
        f"due_after={TODAY}",
    ):
        for _ in range(2):
            response = await get_tasks(api, board.ann, board, query)
            assert statements(response) > 0, query  # from the database, every time
