"""The projects service's request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# PostgreSQL cannot store NUL in text, so no backend accepts it.
NO_NUL = r"^[^\x00]*$"
# Names and titles: something besides spaces, and no NUL.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
Description = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)]
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
    name: str
    description: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    task_count: int
    done_count: int
    progress: int = Field(ge=0, le=100, description="Percent of tasks done, 0 when none.")


class ProjectPage(BaseModel):
    items: list[ProjectPublic]
    next_cursor: str | None


class TaskCreate(RequestModel):
    title: TaskTitle


class TaskUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=omittable_not_null("title", "done"))

    title: TaskTitle | None = None
    done: bool | None = None

    _not_null = field_validator("title", "done")(_not_null)


class TaskPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    done: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskPage(BaseModel):
    items: list[TaskPublic]
    next_cursor: str | None
