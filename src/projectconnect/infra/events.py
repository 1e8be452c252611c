"""The event envelope that crosses service boundaries, versioned, as JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from projectconnect.infra.db import utcnow

USER_DELETED = "user.deleted"
USER_REGISTERED = "user.registered"
USER_UPDATED = "user.updated"


class Envelope(BaseModel):
    """`{"id", "type", "version", "occurred_at", "source", "data"}`; consumers dedupe on id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: dt.datetime = Field(default_factory=utcnow)
    source: str = Field(min_length=1, max_length=100)
    # Kept out of reprs: some payloads carry personal data, which never goes into logs.
    data: dict[str, Any] = Field(repr=False)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, body: bytes) -> Envelope:
        return cls.model_validate_json(body)


def user_deleted(user_id: uuid.UUID) -> Envelope:
    """Version 1: `data` carries only the user's id, never personal data."""
    return Envelope(type=USER_DELETED, version=1, source="auth", data={"user_id": str(user_id)})


class UserProfile(BaseModel):
    """`data` of `user.registered` and `user.updated`, version 1: a user's profile, whole.

    `profile_version` starts at 1 and grows by one with every change, so a consumer keeps
    the highest it has seen and ignores older or repeated ones, whatever order they came in.
    The email and the name are personal data: never log or trace this payload.
    """

    # Validation errors name the field at fault, never the value (an email, a name).
    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    user_id: uuid.UUID
    email: str = Field(min_length=1, max_length=320)
    display_name: str | None = Field(default=None, max_length=100)
    profile_version: int = Field(ge=1)


def user_registered(profile: UserProfile) -> Envelope:
    """Version 1: the new account's profile, at `profile_version` 1."""
    return Envelope(
        type=USER_REGISTERED, version=1, source="auth", data=profile.model_dump(mode="json")
    )


def user_updated(profile: UserProfile) -> Envelope:
    """Version 1: the whole profile after a change, not only what changed."""
    return Envelope(
        type=USER_UPDATED, version=1, source="auth", data=profile.model_dump(mode="json")
    )
