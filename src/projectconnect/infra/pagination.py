"""Keyset pagination cursors: opaque to clients, a position in a sorted list to us."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from projectconnect.infra.problems import FieldError, InvalidInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _pack(values: list[str]) -> str:
    raw = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _unpack(cursor: str) -> Any:
    """What `_pack` wrote; binascii.Error or ValueError when it is not base64 JSON."""
    padded = cursor + "=" * (-len(cursor) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


@dataclass(frozen=True, slots=True)
class Position:
    created_at: dt.datetime
    id: uuid.UUID

    def encode(self) -> str:
        return _pack([self.created_at.isoformat(), str(self.id)])

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            created_at, id_ = _unpack(cursor)
            when = dt.datetime.fromisoformat(created_at)
            if when.tzinfo is None:
                raise ValueError("cursor time without zone")
            return cls(created_at=when.astimezone(dt.UTC), id=uuid.UUID(id_))
        except (binascii.Error, ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise InvalidInput(
                "The cursor is not valid; use next_cursor from a previous page.",
                errors=[FieldError(field="cursor", code="cursor_invalid", message="Bad cursor.")],
            ) from exc


def _invalid_cursor(code: str, message: str) -> InvalidInput:
    return InvalidInput(
        "The cursor is not valid here; use next_cursor from a previous page of the same list "
        "and sort.",
        errors=[FieldError(field="cursor", code=code, message=message)],
    )


def cursor_mismatch() -> InvalidInput:
    """A well-formed cursor of another sort or order than the request's: 422 naming it."""
    return _invalid_cursor("cursor_mismatch", "The cursor was made for another sort or order.")


@dataclass(frozen=True, slots=True)
class SortCursor:
    """A position in a sorted list: which sort and order it belongs to, the segment of the
    list it is in (a status column, a priority, dated or undated), and the sort key's values
    (as text) of the last row, its id last. Decoding checks the shape only; the list that
    reads it checks that it was made for its sort and converts the values."""

    sort: str
    order: str
    segment: str
    values: tuple[str, ...]

    def encode(self) -> str:
        return _pack([self.sort, self.order, self.segment, *self.values])

    @classmethod
    def decode(cls, cursor: str, legacy: tuple[str, str]) -> SortCursor:
        """A cursor as `encode` wrote it; a `Position` (what lists issued before they had
        several sorts) reads as one of the `legacy` (sort, order)."""
        try:
            raw = _unpack(cursor)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise _invalid_cursor("cursor_invalid", "Bad cursor.") from exc
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise _invalid_cursor("cursor_invalid", "Bad cursor.")
        if len(raw) == 2:
            return cls(legacy[0], legacy[1], "", (raw[0], raw[1]))
        if len(raw) < 4:
            raise _invalid_cursor("cursor_invalid", "Bad cursor.")
        return cls(raw[0], raw[1], raw[2], tuple(raw[3:]))

    def invalid(self) -> InvalidInput:
        return _invalid_cursor("cursor_invalid", "Bad cursor.")
