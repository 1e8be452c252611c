"""Property-based fuzzing of both services' OpenAPI documents with schemathesis.

Every request carries a real access token of a registered user. Generated values are sometimes
swapped for that user's live data (credentials, refresh token, project and task ids, a workspace
they own, their own member id, an open invitation and its token) or for well-formed cursors, so
handlers run past 401/404/422 into the database; string fields sometimes carry a NUL, which
databases treat differently.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from alembic import command
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.app import AuthRuntime
from projectconnect.auth.app import create_app as create_auth_app
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.pagination import Position
from projectconnect.infra.tokens import (
    StaticKeySource,
    ensure_private_key_file,
    generate_private_key_pem,
)
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.app import ProjectsRuntime
from projectconnect.projects.app import create_app as create_projects_app
from projectconnect.projects.settings import ProjectsSettings
from tests.support.accounts import PASSWORD, unique_email
from tests.support.services import ThrowawayPostgres

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
# Cheap argon2 keeps the fuzz fast; long-lived tokens outlast the run. Throttles would soon lock
# out the one client address and the fuzz user, and stop every case at 429.
AUTH_OPTIONS: dict[str, Any] = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 1024,
    "access_token_ttl_seconds": 3600,
    "login_failures_per_account_and_ip": "1000000 per minute",
    "login_failures_per_account": "1000000 per minute",
    "login_failures_per_ip": "1000000 per minute",
    "registrations_per_ip": "1000000 per minute",
}

# Stand-ins the generator may pick; the test swaps in the fuzz user's live values before sending.
# Path ones stay URL-safe: path parameters reach the test already percent-encoded.
REAL_PROJECT = "real-project"
REAL_TASK = "real-task"
REAL_WORKSPACE = "real-workspace"
REAL_MEMBER = "real-member"
REAL_INVITATION = "real-invitation"
REAL_TOKEN = "real-token"
REAL_LABEL = "real-label"
REAL_COMMENT = "real-comment"
# Stand-ins for each path parameter naming something the fuzz user can reach.
LIVE = {
    "project_id": REAL_PROJECT,
    "task_id": REAL_TASK,
    "workspace_id": REAL_WORKSPACE,
    "user_id": REAL_MEMBER,
    "invitation_id": REAL_INVITATION,
    "token": REAL_TOKEN,
    "label_id": REAL_LABEL,
    "comment_id": REAL_COMMENT,
}
# Task fields that name other live things (members, labels, tasks of a column): a random
# value is a 422 almost always, so one variant of a task change leaves them out.
LINKS = {"assignees", "labels", "after", "before", "done"}
# Operations that succeed only with a second person (a workspace of someone else's to join,
# another member to hand over to or to leave behind): fuzzed for errors, not for a success.
NEEDS_SOMEONE_ELSE = {
    "POST /invitations/{token}/accept",
    "POST /workspaces/{workspace_id}/leave",
    "POST /workspaces/{workspace_id}/transfer",
    "DELETE /workspaces/{workspace_id}/members/{user_id}",
    # The only member is the only owner: a change of their role is the last-owner 409.
    "PATCH /workspaces/{workspace_id}/members/{user_id}",
    # A token only a mailed link carries (tests/api/test_account_mail.py follows them).
    "POST /auth/email/verify",
    "POST /auth/password/reset",
    "POST /auth/me/email",
    # A notification of one's own needs someone else's action (tests/api/test_notifications.py).
    "POST /notifications/{notification_id}/read",
}
REAL_EMAIL = "<real email>"
REAL_PASSWORD = "<real password>"
REAL_REFRESH = "<real refresh token>"
NEW_EMAIL = "<unused email>"
NEW_PASSWORD = "<new strong password>"

# Well-formed cursors at any instant and UTC offset, the ends of the datetime range included.
_OFFSETS = st.integers(-1439, 1439).map(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)))
_INSTANTS = st.one_of(
    st.datetimes(timezones=_OFFSETS),
    st.builds(
        dt.datetime.replace,
        st.sampled_from([dt.datetime.min, dt.datetime.max]),
        tzinfo=_OFFSETS,
    ),
)
CURSORS = st.builds(Position, created_at=_INSTANTS, id=st.uuids()).map(Position.encode)


def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """Both OpenAPI documents, for collection; the routes do not depend on the configuration."""
    key = generate_private_key_pem().decode()
    auth = AuthRuntime(AuthSettings(database_url="sqlite://", private_key=key, **AUTH_OPTIONS))
    projects = ProjectsRuntime(
        ProjectsSettings(database_url="sqlite://"), keys=StaticKeySource({"keys": []})
    )
    return create_auth_app(auth).openapi(), create_projects_app(projects).openapi()


_AUTH_DOCUMENT, _PROJECTS_DOCUMENT = _documents()
# The live stream never ends, so an in-process client never gets its whole answer; its
# contract is tested on a real server (tests/integration/test_live.py).
_PROJECTS_DOCUMENT["paths"].pop("/events/stream")
# Operations of an OpenAPI schema; their parameter and response types do not matter here.
Case = schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]]
auth_schema = schemathesis.openapi.from_dict(_AUTH_DOCUMENT)
projects_schema = schemathesis.openapi.from_dict(_PROJECTS_DOCUMENT)


def _client(app: FastAPI) -> asgi.ASGIClient:
    # Schemathesis' own ASGI client: its event loop is the one the fuzzed requests run on, so
    # the database pools it fills stay usable for them.
    return asgi.get_client(cast("asgi.ASGIApp", app))


def _with_nul(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: f"{v}\x00" if isinstance(v, str) else v for k, v in body.items()}
    return body


def _without_nulls(body: Any) -> Any:
    # The documents allow null for optional update fields, the services only accept omission.
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if v is not None}
    return body


@auth_schema.hook("flatmap_body")
def auth_bodies(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    assert context.operation is not None
    variants = [body, _with_nul(body)]
    label = context.operation.label
    if label == "POST /auth/register":
        variants.append({"email": NEW_EMAIL, "password": NEW_PASSWORD})
    elif label == "POST /auth/login":
        variants.append({"email": REAL_EMAIL, "password": REAL_PASSWORD})
    elif label == "POST /auth/refresh":
        variants.append({"refresh_token": REAL_REFRESH})
    elif label == "DELETE /auth/me":
        variants.append({"password": REAL_PASSWORD})
    elif label == "POST /auth/me/password" and isinstance(body, dict):
        variants.append({**body, "current_password": REAL_PASSWORD})
        variants.append({"current_password": REAL_PASSWORD, "new_password": NEW_PASSWORD})
    return st.sampled_from(variants)


@projects_schema.hook("flatmap_body")
def projects_bodies(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    variants = [body, _with_nul(body), _without_nulls(body)]
    if isinstance(body, dict) and LINKS & set(body):
        variants.append({k: v for k, v in _without_nulls(body).items() if k not in LINKS})
    return st.sampled_from(variants)


@projects_schema.hook("flatmap_path_parameters")
def real_ids(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    if not path_parameters:
        return st.just(path_parameters)
    # The first parameter real and the rest generated, or all of them real (twice as often).
    first = next(iter(path_parameters))
    partly = {**path_parameters, first: LIVE.get(first, path_parameters[first])}
    real = {name: LIVE.get(name, value) for name, value in path_parameters.items()}
    return st.sampled_from([path_parameters, partly, real, real])


@projects_schema.hook("flatmap_query")
def real_cursors(
    context: schemathesis.HookContext, query: dict[str, Any] | None
) -> st.SearchStrategy[Any]:
    assert context.operation is not None
    paginated = context.operation.method.upper() == "GET" and context.operation.path in (
        "/projects",
        "/projects/{project_id}/tasks",
        "/workspaces/{workspace_id}/members",
        "/workspaces/{workspace_id}/invitations",
    )
    if not paginated or not (query is None or isinstance(query, dict)):
        return st.just(query)
    # Half the time a valid page request, so the keyset query itself runs.
    pages = st.fixed_dictionaries({"cursor": CURSORS}, optional={"limit": st.integers(1, 100)})
    return st.one_of(st.just(query), pages)


class AuthUser:
    """A registered account the auth fuzz acts as; it re-registers if a case deleted it."""

    def __init__(self, app: FastAPI, client: asgi.ASGIClient) -> None:
        self.app = app
        self.client = client
        self.statuses: defaultdict[str, set[int]] = defaultdict(set)
        self.failed: set[str] = set()
        self.email = ""
        self.password = PASSWORD
        self.refresh_token = ""
        self.register()

    def register(self) -> None:
        self.email, self.password = unique_email("fuzz"), PASSWORD
        response = self.client.post(
            "/auth/register", json={"email": self.email, "password": self.password}
        )
        assert response.status_code == 201, response.text

    def login(self) -> str:
        """A fresh session's access token: cases may log out or revoke every session."""
        response = self.client.post(
            "/auth/login", json={"email": self.email, "password": self.password}
        )
        if response.status_code == 401:  # a case deleted the account or changed its password
            self.register()
            return self.login()
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        self.refresh_token = tokens["refresh_token"]
        return str(tokens["access_token"])

    def fill_in(self, body: dict[str, Any]) -> dict[str, Any]:
        live = {
            REAL_EMAIL: self.email,
            REAL_PASSWORD: self.password,
            REAL_REFRESH: self.refresh_token,
            NEW_EMAIL: unique_email("fuzz-new"),
            NEW_PASSWORD: f"{PASSWORD}-{uuid.uuid4().hex[:8]}",
        }
        return {k: live.get(v, v) if isinstance(v, str) else v for k, v in body.items()}


class ProjectsOwner:
    """The owner the projects fuzz acts as, with a project and a task kept in existence."""

    def __init__(self, app: FastAPI, client: asgi.ASGIClient, access_token: str) -> None:
        self.app = app
        self.client = client
        self.statuses: defaultdict[str, set[int]] = defaultdict(set)
        self.failed: set[str] = set()
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.project_id = ""
        self.task_id = ""
        self.workspace_id = ""
        self.user_id = ""

    def live_project(self) -> str:
        if self.project_id:
            found = self.client.get(f"/projects/{self.project_id}", headers=self.headers)
            if found.status_code == 200:
                return self.project_id
            assert found.status_code == 404, found.text
        created = self.client.post("/projects", json={"name": "Fuzzed"}, headers=self.headers)
        assert created.status_code == 201, created.text
        self.project_id, self.task_id = created.json()["id"], ""
        return self.project_id

    def live_task(self) -> str:
        if self.task_id:
            found = self.client.patch(
                f"/projects/{self.project_id}/tasks/{self.task_id}", json={}, headers=self.headers
            )
            if found.status_code == 200:
                return self.task_id
            assert found.status_code == 404, found.text
        created = self.client.post(
            f"/projects/{self.project_id}/tasks", json={"title": "Fuzzed"}, headers=self.headers
        )
        assert created.status_code == 201, created.text
        self.task_id = created.json()["id"]
        return self.task_id

    def live_workspace(self) -> str:
        """A shared (not personal) workspace the fuzz user owns; a case may have deleted it
        or, changing their own role, taken their ownership."""
        if self.workspace_id:
            found = self.client.get(f"/workspaces/{self.workspace_id}", headers=self.headers)
            if found.status_code == 200 and found.json()["my_role"] == "owner":
                return self.workspace_id
            assert found.status_code in (200, 404), found.text
        created = self.client.post("/workspaces", json={"name": "Fuzzed"}, headers=self.headers)
        assert created.status_code == 201, created.text
        self.workspace_id, self.user_id = created.json()["id"], created.json()["created_by"]
        return self.workspace_id

    def live_invitation(self) -> tuple[str, str]:
        """A new open invitation to the live workspace: its id and its token."""
        created = self.client.post(
            f"/workspaces/{self.live_workspace()}/invitations",
            json={"email": unique_email("fuzz-invitee"), "role": "viewer"},
            headers=self.headers,
        )
        assert created.status_code == 201, created.text
        return created.json()["id"], created.json()["token"]

    def live_label(self) -> str:
        """A new label of the live workspace."""
        created = self.client.post(
            f"/workspaces/{self.live_workspace()}/labels",
            json={"name": f"Fuzzed {uuid.uuid4().hex[:8]}", "colour": "#123456"},
            headers=self.headers,
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def live_comment(self, project_id: object, task_id: object) -> str:
        """A new comment of the caller's on the task named, if it is live (else no id of ours)."""
        created = self.client.post(
            f"/projects/{project_id}/tasks/{task_id}/comments",
            json={"body": "Fuzzed"},
            headers=self.headers,
        )
        return str(created.json()["id"]) if created.status_code == 201 else str(uuid.uuid4())

    def fill_in(self, path_parameters: dict[str, Any]) -> dict[str, Any]:
        filled = dict(path_parameters)
        if filled.get("project_id") == REAL_PROJECT:
            filled["project_id"] = self.live_project()
        if filled.get("task_id") == REAL_TASK:
            filled["task_id"] = self.live_task()
        if filled.get("workspace_id") == REAL_WORKSPACE:
            filled["workspace_id"] = self.live_workspace()
        if filled.get("label_id") == REAL_LABEL:
            filled["label_id"] = self.live_label()
        if filled.get("comment_id") == REAL_COMMENT:
            filled["comment_id"] = self.live_comment(filled["project_id"], filled["task_id"])
        if filled.get("user_id") == REAL_MEMBER:
            self.live_workspace()
            filled["user_id"] = self.user_id
        if filled.get("invitation_id") == REAL_INVITATION or filled.get("token") == REAL_TOKEN:
            invitation_id, token = self.live_invitation()
            if filled.get("invitation_id") == REAL_INVITATION:
                filled["invitation_id"] = invitation_id
            if filled.get("token") == REAL_TOKEN:
                filled["token"] = token
        return filled


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
async def fuzz_postgres(postgres: ThrowawayPostgres) -> tuple[str, str]:
    return await postgres.create_migrated("fuzz")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database_urls(request: pytest.FixtureRequest, fuzz_root: Path) -> tuple[str, str]:
    """The auth and projects databases, migrated to head, on one backend."""
    if request.param == "postgres":
        urls: tuple[str, str] = request.getfixturevalue("fuzz_postgres")
        return urls
    auth_url = f"sqlite+aiosqlite:///{fuzz_root / 'auth.db'}"
    projects_url = f"sqlite+aiosqlite:///{fuzz_root / 'projects.db'}"
    command.upgrade(AUTH_MIGRATIONS.config(auth_url), "head")
    command.upgrade(PROJECTS_MIGRATIONS.config(projects_url), "head")
    return auth_url, projects_url


@pytest.fixture(scope="module")
def auth_runtime(database_urls: tuple[str, str], fuzz_root: Path) -> AuthRuntime:
    key = ensure_private_key_file(fuzz_root / "signing-key.pem")
    return AuthRuntime(
        AuthSettings(database_url=database_urls[0], private_key_file=key, **AUTH_OPTIONS)
    )


@pytest.fixture(scope="module")
def auth_user(auth_runtime: AuthRuntime) -> Iterator[AuthUser]:
    app = create_auth_app(auth_runtime)
    with _client(app) as client:
        yield AuthUser(app, client)
    asgi.shutdown_lifespans()  # closes the pools before the databases go


@pytest.fixture(scope="module")
def projects_owner(
    database_urls: tuple[str, str], auth_runtime: AuthRuntime, auth_user: AuthUser
) -> Iterator[ProjectsOwner]:
    runtime = ProjectsRuntime(
        ProjectsSettings(database_url=database_urls[1]),
        keys=StaticKeySource(auth_runtime.signer.jwks()),
        sessions=auth_runtime.service.sessions,
    )
    app = create_projects_app(runtime)
    # A registered user's token from the auth service, which the projects service trusts.
    token = auth_user.login()
    with _client(app) as client:
        yield ProjectsOwner(app, client, token)
    asgi.shutdown_lifespans()


def send(case: Case, target: AuthUser | ProjectsOwner, headers: dict[str, str]) -> int:
    """Send the case and check the response, noting what each operation answered."""
    label = case.operation.label
    try:
        response = case.call(app=target.app, headers=headers)
        target.statuses[label].add(response.status_code)
        case.validate_response(response, checks=CHECKS)
    except BaseException:
        target.failed.add(label)
        raise
    return response.status_code


@FUZZ
@auth_schema.parametrize()
def test_auth_api_matches_its_openapi_document(case: Case, auth_user: AuthUser) -> None:
    token = auth_user.login()
    body = auth_user.fill_in(case.body) if isinstance(case.body, dict) else None
    if body is not None:
        case.body = body
    status = send(case, auth_user, {"Authorization": f"Bearer {token}"})
    if case.operation.label == "POST /auth/me/password" and status == 204:
        assert body is not None
        auth_user.password = str(body["new_password"])


@FUZZ
@projects_schema.parametrize()
def test_projects_api_matches_its_openapi_document(
    case: Case, projects_owner: ProjectsOwner
) -> None:
    if case.path_parameters:
        case.path_parameters = projects_owner.fill_in(case.path_parameters)
    send(case, projects_owner, projects_owner.headers)


def test_every_fuzzed_operation_also_succeeded(
    auth_user: AuthUser, projects_owner: ProjectsOwner
) -> None:
    """A fuzz whose cases all stopped at 401, 404 or 422 would pass without reaching a handler."""
    statuses = {**auth_user.statuses, **projects_owner.statuses}
    if not statuses:
        pytest.skip("no fuzz test ran before this one")
    # An operation whose own fuzz test failed has already been reported, success or not.
    failed = auth_user.failed | projects_owner.failed | NEEDS_SOMEONE_ELSE
    never = [
        label
        for label, seen in sorted(statuses.items())
        if label not in failed and not any(200 <= status < 300 for status in seen)
    ]
    assert never == [], f"no case of these operations succeeded: {never}"
