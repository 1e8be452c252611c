"""The password policy names every rule a password breaks; the hasher verifies what it hashed."""

from __future__ import annotations

import pytest

from projectconnect.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordHasher,
    password_policy_errors,
)

EMAIL = "Ada.Lovelace@example.com"
STRONG = "violet-kettle-orbit-42"


def codes(password: str, email: str = EMAIL) -> list[str]:
    return [error.code for error in password_policy_errors(password, email)]


def test_a_strong_password_breaks_no_rule() -> None:
    assert password_policy_errors(STRONG, EMAIL) == []


def uncommon(length: int) -> str:
    return ("k7#Qw2!x" * (length // 8 + 1))[:length]


def test_too_short_below_the_minimum_and_not_at_it() -> None:
    assert codes(uncommon(MIN_LENGTH - 1)) == ["password_too_short"]
    assert codes(uncommon(MIN_LENGTH)) == []


def test_too_long_above_the_maximum_and_not_at_it() -> None:
    assert codes(uncommon(MAX_LENGTH)) == []
    assert codes(uncommon(MAX_LENGTH + 1)) == ["password_too_long"]


@pytest.mark.parametrize("password", ["password", "PassWord", "sunshine", "12345678"])
def test_a_commonly_used_password_is_refused_whatever_its_case(password: str) -> None:
    assert codes(password) == ["password_common"]


@pytest.mark.parametrize(
    "password",
    [
        pytest.param(EMAIL, id="the-email"),
        pytest.param(EMAIL.upper(), id="the-email-in-capitals"),
        pytest.param(f"  {EMAIL} ", id="the-email-padded"),
        pytest.param("ada.lovelace", id="the-local-part"),
    ],
)
def test_the_email_or_its_local_part_is_refused(password: str) -> None:
    assert codes(password) == ["password_is_email"]


def test_every_broken_rule_is_reported_at_once() -> None:
    # "123456" is both short and among the most common passwords.
    assert codes("123456") == ["password_too_short", "password_common"]


def test_errors_name_the_field_they_are_for() -> None:
    errors = password_policy_errors("short", EMAIL, field="new_password")
    assert errors
    assert {error.field for error in errors} == {"new_password"}
    assert all(error.message for error in errors)


async def test_the_hasher_verifies_only_the_password_it_hashed() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=1024)
    stored = await hasher.hash(STRONG)
    assert stored.startswith("$argon2id$")
    assert STRONG not in stored
    assert await hasher.verify(STRONG, stored)
    assert not await hasher.verify(STRONG + "!", stored)


async def test_an_unknown_account_never_verifies() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=1024)
    # Even the password behind the timing-equaliser hash must not pass for a missing account.
    assert not await hasher.verify("projectconnect-timing-equaliser", None)
    assert not await hasher.verify(STRONG, None)


async def test_hashing_runs_at_a_lower_cpu_priority_than_requests() -> None:
    import os
    import threading

    from projectconnect.auth.passwords import HASHING_NICENESS, PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_kib=1024)
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    theirs = await hasher._run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    assert theirs == min(19, ours + HASHING_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == ours
    assert await hasher.verify("a long password", await hasher.hash("a long password"))
