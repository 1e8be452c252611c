"""Keyset cursors: what the API hands out comes back intact; anything else is a 422 on `cursor`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import InvalidInput

# Any whole-minute UTC offset, as real zones have (the service itself only issues UTC).
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
# A day in from either end of the datetime range, so every offset still has a UTC equivalent.
INSTANTS = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=OFFSETS
)
POSITIONS = st.builds(Position, created_at=INSTANTS, id=st.uuids())
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def json_cursor(value: object) -> str:
    return cursor_of(json.dumps(value).encode())


def assert_rejected(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Position.decode(cursor)
    assert caught.value.status == 422
    assert [(e.field, e.code) for e in caught.value.errors] == [("cursor", "cursor_invalid")]


@given(POSITIONS)
def test_a_position_survives_encoding_as_the_same_instant_in_utc(position: Position) -> None:
    decoded = Position.decode(position.encode())
    assert decoded == position  # aware datetimes are equal when they name the same instant
    assert decoded.created_at.utcoffset() == dt.timedelta(0)


@given(POSITIONS)
def test_cursors_are_url_safe_and_unpadded(position: Position) -> None:
    cursor = position.encode()
    assert cursor.isascii()
    assert not set(cursor) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


MOMENT = "2026-01-02T03:04:05+00:00"
AN_ID = "0b7c8a5e-5f7a-4c55-9b0e-2b8f3f0c9d11"


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("!!!!", id="not-base64"),
        pytest.param("a", id="impossible-base64-length"),
        pytest.param(cursor_of(b"not json"), id="not-json"),
        pytest.param(cursor_of(b"\xff\xfe\xfd"), id="not-utf8"),
        pytest.param(json_cursor(42), id="a-number"),
        pytest.param(json_cursor(None), id="null"),
        pytest.param(json_cursor({"created_at": MOMENT, "id": AN_ID}), id="an-object"),
        pytest.param(json_cursor([MOMENT]), id="one-element"),
        pytest.param(json_cursor([MOMENT, AN_ID, "extra"]), id="three-elements"),
        pytest.param(json_cursor([None, AN_ID]), id="time-null"),
        pytest.param(json_cursor([1767322045, AN_ID]), id="time-a-number"),
        pytest.param(json_cursor(["yesterday", AN_ID]), id="time-not-iso"),
        pytest.param(json_cursor(["2026-01-02T03:04:05", AN_ID]), id="time-without-zone"),
        pytest.param(json_cursor(["2026-02-30T00:00:00+00:00", AN_ID]), id="time-impossible"),
        pytest.param(json_cursor(["0001-01-01T00:00:00+00:01", AN_ID]), id="time-before-utc-range"),
        pytest.param(
            json_cursor(["9999-12-31T23:59:59.999999-00:01", AN_ID]), id="time-after-utc-range"
        ),
        pytest.param(json_cursor([MOMENT, "not-a-uuid"]), id="id-not-uuid"),
        pytest.param(json_cursor([MOMENT, 7]), id="id-a-number"),
        pytest.param(json_cursor([MOMENT, None]), id="id-null"),
        pytest.param(json_cursor([MOMENT, [AN_ID]]), id="id-a-list"),
    ],
)
def test_a_malformed_cursor_is_invalid_input_on_the_cursor_field(cursor: str) -> None:
    assert_rejected(cursor)


def test_a_valid_cursor_decodes_to_its_position() -> None:
    position = Position.decode(json_cursor([MOMENT, AN_ID]))
    assert position == Position(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), uuid.UUID(AN_ID))


def _decodes_or_is_invalid_input(cursor: str) -> None:
    try:
        position = Position.decode(cursor)
    except InvalidInput as exc:
        errors = exc.errors
    else:
        assert position.created_at.tzinfo is not None
        assert isinstance(position.id, uuid.UUID)
        return
    assert [e.field for e in errors] == ["cursor"]


@given(st.text())
def test_any_string_is_a_position_or_invalid_input(cursor: str) -> None:
    _decodes_or_is_invalid_input(cursor)


@given(JSON)
def test_any_json_document_is_a_position_or_invalid_input(document: object) -> None:
    _decodes_or_is_invalid_input(json_cursor(document))


@given(st.lists(st.text(), min_size=2, max_size=2))
def test_any_pair_of_strings_is_a_position_or_invalid_input(pair: list[str]) -> None:
    _decodes_or_is_invalid_input(json_cursor(pair))
