"""The projects service's request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from projectconnect.projects.notifications import KINDS, MAIL_KINDS, Frequency, Kind

# PostgreSQL cannot store NUL in text, so no backend accepts it.
NO_NUL = r"^[^\x00]*$"
# Names and titles: something besides spaces, and no NUL.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
Description = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)]
WorkspaceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
RoleName = Literal["owner", "admin", "member", "viewer"]
TaskTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=NOT_BLANK)
]


class RequestModel(BaseModel):
    """Bodies refuse unknown fields: owner and ids cannot be mass-assigned."""

    model_config = ConfigDict(extra="forbid")


def omittable_not_null(*fields: str) -> Callable[[dict[str, Any]], None]:
    """Document `fields` as optional but never null, as `_not_null` enforces."""

    def edit(schema: dict[str, Any]) -> None:
        for name in fields:
            field = schema["properties"][name]
            options = [o for o in field.pop("anyOf") if o != {"type": "null"}]
            field.update(options[0])
            field.pop("default", None)

    return edit


def _not_null(value: object) -> object:
    # Defaults are not validated, so this only runs for a value the client sent.
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


class ProjectCreate(RequestModel):
    name: ProjectName
    description: Description | None = None


class ProjectUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=omittable_not_null("name"))

    name: ProjectName | None = None
    description: Description | None = None

    _name_not_null = field_validator("name")(_not_null)


class ProjectPublic(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    description: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    task_count: int = Field(description="Tasks that are not cancelled.")
    done_count: int
    progress: int = Field(
        ge=0, le=100, description="Percent of the tasks not cancelled that are done, 0 when none."
    )
    created_by: uuid.UUID
    archived_at: dt.datetime | None = Field(
        description="When the project was archived; null while it is not."
    )
    my_role: RoleName = Field(description="The caller's role in the project's workspace.")


class ProjectPage(BaseModel):
    items: list[ProjectPublic]
    next_cursor: str | None


TaskStatus = Literal["backlog", "todo", "in_progress", "done", "cancelled"]
TaskPriority = Literal["none", "low", "medium", "high", "urgent"]
TaskDescription = Annotated[str, StringConstraints(max_length=20_000, pattern=NO_NUL)]
# Sets of ids: as many as a board needs, few enough to check in one statement.
Assignees = Annotated[list[uuid.UUID], Field(max_length=100)]
LabelIds = Annotated[list[uuid.UUID], Field(max_length=100)]


# How a text names a member; the mentioned are notified (`projects.notifications`).
MENTIONS = (
    "Mention a member as `<@USER_ID>` (their user id), which the web app shows as their "
    "name; the members a text newly mentions are notified. Other ids are left as text."
)


class TaskFields(RequestModel):
    """What a client may set on a task, on creation and by a change."""

    description: TaskDescription | None = Field(default=None, description=f"Markdown. {MENTIONS}")
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    due_date: dt.date | None = None
    assignees: Assignees | None = Field(
        default=None, description="Members of the project's workspace, by user id."
    )
    labels: LabelIds | None = Field(default=None, description="Labels of the workspace, by id.")

    _sets_not_null = field_validator("status", "priority", "assignees", "labels")(_not_null)


TASK_NOT_NULL = ("status", "priority", "assignees", "labels")


class TaskCreate(TaskFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra=omittable_not_null(*TASK_NOT_NULL))

    title: TaskTitle


class TaskUpdate(TaskFields):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=omittable_not_null("title", "done", *TASK_NOT_NULL)
    )

    title: TaskTitle | None = None
    done: bool | None = Field(
        default=None,
        description="A shortcut: true sets the status to done; false, of a done task, to todo.",
    )
    after: uuid.UUID | None = Field(
        default=None, description="Place the task right after this one of its (new) column."
    )
    before: uuid.UUID | None = Field(
        default=None, description="Place the task right before this one of its (new) column."
    )

    _not_null = field_validator("title", "done")(_not_null)


class TaskPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    created_by: uuid.UUID
    title: str
    done: bool = Field(description="Whether the status is done.")
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    due_date: dt.date | None
    completed_at: dt.datetime | None = Field(description="When the status last became done.")
    assignees: list[uuid.UUID]
    labels: list[uuid.UUID]
    position: str = Field(description="Orders the tasks of a status column (byte order).")
    version: int = Field(description="Grows with every change; the ETag of the task.")
    comment_count: int = Field(description="Comments on the task.")
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskPage(BaseModel):
    items: list[TaskPublic]
    next_cursor: str | None


CommentBody = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000, pattern=NOT_BLANK),
]


class CommentCreate(RequestModel):
    body: CommentBody = Field(description=f"Markdown; trimmed. {MENTIONS}")


class CommentUpdate(RequestModel):
    body: CommentBody = Field(description=f"Markdown; trimmed. {MENTIONS}")


class CommentPublic(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    author_id: uuid.UUID
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime | None = Field(description="When it was last edited; null if never.")


class CommentPage(BaseModel):
    items: list[CommentPublic]
    next_cursor: str | None


JsonValue = str | int | bool | list[str] | dict[str, str] | None


class ActivityPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    task_id: uuid.UUID | None = Field(description="Null for the project itself.")
    actor_id: uuid.UUID
    kind: str = Field(
        description="created, changed, renamed, moved, assigned, unassigned, labelled, "
        "unlabelled, commented, comment_edited, comment_deleted, deleted, restored, archived, "
        "unarchived."
    )
    field: str | None
    before: JsonValue
    after: JsonValue
    at: dt.datetime


class ActivityPage(BaseModel):
    items: list[ActivityPublic]
    next_cursor: str | None


class TrashItemPublic(BaseModel):
    kind: Literal["project", "task"]
    id: uuid.UUID
    project_id: uuid.UUID = Field(description="The project itself, or the task's.")
    title: str = Field(description="The project's name or the task's title.")
    deleted_at: dt.datetime
    deleted_by: uuid.UUID | None
    purge_at: dt.datetime = Field(description="When it leaves the trash for good.")


class TrashPage(BaseModel):
    items: list[TrashItemPublic]
    next_cursor: str | None


LabelName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=NOT_BLANK)
]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class LabelCreate(RequestModel):
    name: LabelName
    colour: Colour = Field(description="#rrggbb")


class LabelUpdate(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=omittable_not_null("name", "colour")
    )

    name: LabelName | None = None
    colour: Colour | None = None

    _not_null = field_validator("name", "colour")(_not_null)


class LabelPublic(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    colour: str
    created_at: dt.datetime


class LabelList(BaseModel):
    items: list[LabelPublic]


class WorkspaceCreate(RequestModel):
    name: WorkspaceName


class WorkspaceUpdate(RequestModel):
    name: WorkspaceName


class PersonRef(BaseModel):
    """Someone as the directory knows them; names are null until it has heard of them."""

    user_id: uuid.UUID
    display_name: str | None
    email: str | None


class Inheritance(BaseModel):
    """How the caller came to own the workspace: its only owner's account was deleted."""

    from_name: str | None
    at: dt.datetime


class WorkspacePublic(BaseModel):
    id: uuid.UUID
    name: str
    created_at: dt.datetime
    created_by: uuid.UUID
    personal: bool = Field(description="The caller's own workspace, deleted with the account.")
    my_role: RoleName
    member_count: int
    inherited_from: Inheritance | None = None
    # With ?role=owner: what deleting the caller's account would do to the workspace.
    deleted_with_account: bool | None = None
    successor: PersonRef | None = Field(
        default=None,
        description="With ?role=owner: who becomes owner if the caller's account is deleted.",
    )


class WorkspaceList(BaseModel):
    items: list[WorkspacePublic]


class MemberPublic(BaseModel):
    user_id: uuid.UUID
    display_name: str | None
    email: str | None
    role: RoleName
    joined_at: dt.datetime


class MemberPage(BaseModel):
    items: list[MemberPublic]
    next_cursor: str | None


class MemberUpdate(RequestModel):
    role: RoleName


class OwnershipTransfer(RequestModel):
    user_id: uuid.UUID = Field(description="The member who becomes an owner.")


class InvitationCreate(RequestModel):
    email: EmailStr
    role: RoleName = "member"


class InvitationPublic(BaseModel):
    id: uuid.UUID
    email: str
    role: RoleName
    invited_by: PersonRef
    created_at: dt.datetime
    expires_at: dt.datetime
    status: Literal["pending", "expired"]


class InvitationCreated(InvitationPublic):
    token: str = Field(description="Shown once: only its hash is kept.")
    url: str = Field(description="The link to share: the invitation page of the web app.")


class InvitationPage(BaseModel):
    items: list[InvitationPublic]
    next_cursor: str | None


class InvitationPreview(BaseModel):
    """What anyone holding the link may see, logged in or not."""

    workspace_name: str
    inviter_name: str | None
    role: RoleName


class NotificationActor(BaseModel):
    id: uuid.UUID
    name: str | None = Field(
        description="Their display name, else their email; null once the directory forgets them."
    )


class NotificationWorkspace(BaseModel):
    id: uuid.UUID
    name: str


class NotificationProject(BaseModel):
    id: uuid.UUID
    name: str


class NotificationTask(BaseModel):
    id: uuid.UUID
    title: str


class NotificationPublic(BaseModel):
    id: uuid.UUID
    kind: Kind = Field(
        description="assigned (to a task), mentioned (in a comment or a task's description), "
        "commented (on a task one is assigned to or created), invited (to the workspace), "
        "due_soon (an assigned task due tomorrow, UTC), overdue (one due before today)."
    )
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(description="Null while unread.")
    actor: NotificationActor | None = Field(description="Who did it; null for reminders.")
    workspace: NotificationWorkspace
    project: NotificationProject | None = Field(
        description="Its current name; null when none applies or it is in the trash or gone."
    )
    task: NotificationTask | None = Field(
        description="Its current title; null when none applies or it is in the trash or gone."
    )
    comment_id: uuid.UUID | None = Field(description="The comment, while it and its task exist.")
    due_date: dt.date | None = Field(description="The due date a reminder was given for.")


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None
    unread_count: int = Field(description="All the caller's unread notifications, not the page's.")


class NotificationKinds(BaseModel):
    """Whether each kind of notification is shown in the app."""

    assigned: bool
    mentioned: bool
    commented: bool
    invited: bool
    due_soon: bool
    overdue: bool


class NotificationKindChoices(RequestModel):
    """The kinds to turn on (true) or off (false); those not named keep their setting."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=omittable_not_null(*KINDS))

    assigned: bool | None = None
    mentioned: bool | None = None
    commented: bool | None = None
    invited: bool | None = None
    due_soon: bool | None = None
    overdue: bool | None = None

    _not_null = field_validator(*KINDS)(_not_null)


class NotificationMailKinds(BaseModel):
    """Whether each kind of notification is mailed (an invitation is mailed on its own)."""

    assigned: bool
    mentioned: bool
    commented: bool
    due_soon: bool
    overdue: bool


class NotificationMailChoices(RequestModel):
    """The kinds to mail (true) or not (false); those not named keep their setting."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=omittable_not_null(*MAIL_KINDS))

    assigned: bool | None = None
    mentioned: bool | None = None
    commented: bool | None = None
    due_soon: bool | None = None
    overdue: bool | None = None

    _not_null = field_validator(*MAIL_KINDS)(_not_null)


MAIL_FREQUENCY = (
    "instant: a mail soon after a notification (those close together in one, at most one "
    "every few minutes); daily: one summary a day; off: no notification mail."
)


class NotificationPreferences(BaseModel):
    kinds: NotificationKinds
    mail: NotificationMailKinds
    mail_frequency: Frequency = Field(description=MAIL_FREQUENCY)


class NotificationPreferencesUpdate(RequestModel):
    """What to change; what is not named keeps its setting."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=omittable_not_null("kinds", "mail", "mail_frequency")
    )

    kinds: NotificationKindChoices | None = None
    mail: NotificationMailChoices | None = None
    mail_frequency: Frequency | None = Field(default=None, description=MAIL_FREQUENCY)

    _not_null = field_validator("kinds", "mail", "mail_frequency")(_not_null)
