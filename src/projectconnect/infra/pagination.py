"""Keyset pagination cursors: opaque to clients, a (created_at, id) position to us."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from dataclasses import dataclass

from projectconnect.infra.problems import FieldError, InvalidInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Position:
    created_at: dt.datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            created_at, id_ = json.loads(base64.urlsafe_b64decode(padded.encode()))
            when = dt.datetime.fromisoformat(created_at)
            if when.tzinfo is None:
                raise ValueError("cursor time without zone")
            return cls(created_at=when.astimezone(dt.UTC), id=uuid.UUID(id_))
        except (binascii.Error, ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise InvalidInput(
                "The cursor is not valid; use next_cursor from a previous page.",
                errors=[FieldError(field="cursor", code="cursor_invalid", message="Bad cursor.")],
            ) from exc
