"""The event envelope that crosses service boundaries, versioned, as JSON."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from projectconnect.infra.db import utcnow

USER_DELETED = "user.deleted"


class Envelope(BaseModel):
    """`{"id", "type", "version", "occurred_at", "source", "data"}`; consumers dedupe on id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: dt.datetime = Field(default_factory=utcnow)
    source: str = Field(min_length=1, max_length=100)
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, body: bytes) -> Envelope:
        return cls.model_validate_json(body)


def user_deleted(user_id: uuid.UUID) -> Envelope:
    """Version 1: `data` carries only the user's id, never personal data."""
    return Envelope(type=USER_DELETED, version=1, source="auth", data={"user_id": str(user_id)})
