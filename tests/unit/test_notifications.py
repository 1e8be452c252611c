"""The rules of `projects.notifications` that need no database: which ids a text mentions,
and who of the people with reasons is told of what."""

from __future__ import annotations

import uuid

import pytest

from projectconnect.projects.notifications import KINDS, Kind, choose, mentions
from projectconnect.projects.schemas import NotificationKindChoices, NotificationKinds

ANN, BOB, CAT = (uuid.UUID(int=n) for n in (1, 2, 3))


def test_a_mention_is_a_user_id_in_angle_brackets_after_an_at() -> None:
    text = f"Hi <@{ANN}>, and <@{str(BOB).upper()}>: see <@{ANN}> again"
    assert mentions(text) == {ANN, BOB}


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        f"@{ANN}",  # no brackets
        f"<{ANN}>",  # no @
        f"<@ {ANN}>",  # a space
        f"<@{ANN}",  # not closed
        f"<@{ANN.hex}>",  # not the hyphenated form the picker writes
        "<@not-a-user-id>",
        f"<@{str(ANN)[:-1]}>",  # one digit short
        f"<@{ANN}0>",  # one digit over
    ],
)
def test_anything_else_is_just_text(text: str | None) -> None:
    assert mentions(text) == set()


def test_a_mention_inside_other_text_counts() -> None:
    assert mentions(f"**<@{CAT}>**, `x` (cc:<@{ANN}>)") == {CAT, ANN}


def test_nobody_is_told_of_their_own_action() -> None:
    told = choose({ANN: {"assigned"}, BOB: {"assigned"}}, actor=ANN, allowed={ANN, BOB}, off=())
    assert told == {BOB: "assigned"}


def test_only_those_allowed_are_told() -> None:
    told = choose({ANN: {"mentioned"}, BOB: {"mentioned"}}, actor=None, allowed={BOB}, off=())
    assert told == {BOB: "mentioned"}


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ({"assigned", "mentioned"}, "assigned"),
        ({"mentioned", "commented"}, "mentioned"),
        ({"commented", "assigned", "mentioned"}, "assigned"),
        ({"commented"}, "commented"),
    ],
)
def test_several_reasons_in_one_change_tell_once_the_strongest(
    reasons: set[Kind], expected: Kind
) -> None:
    assert choose({ANN: reasons}, actor=None, allowed={ANN}, off=()) == {ANN: expected}


def test_a_kind_turned_off_is_not_told_and_the_next_strongest_is() -> None:
    reasons: dict[uuid.UUID, set[Kind]] = {
        ANN: {"assigned", "mentioned"},
        BOB: {"assigned"},
        CAT: {"assigned"},
    }
    off = {(ANN, "assigned"), (BOB, "assigned"), (CAT, "mentioned")}
    assert choose(reasons, actor=None, allowed={ANN, BOB, CAT}, off=off) == {
        ANN: "mentioned",
        CAT: "assigned",
    }


def test_the_schemas_name_every_kind() -> None:
    assert tuple(NotificationKinds.model_fields) == KINDS
    assert tuple(NotificationKindChoices.model_fields) == KINDS
