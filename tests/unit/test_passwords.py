"""The password policy names every rule a password breaks; the hasher verifies what it hashed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading

import pytest

from projectconnect.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    HashingBusy,
    PasswordHasher,
    password_policy_errors,
)

EMAIL = "Ada.Lovelace@example.com"
STRONG = "violet-kettle-orbit-42"


def codes(password: str, email: str = EMAIL, **kw: str) -> list[str]:
    return [error.code for error in password_policy_errors(password, email, **kw)]


def test_a_strong_password_breaks_no_rule() -> None:
    assert password_policy_errors(STRONG, EMAIL) == []


def uncommon(length: int) -> str:
    """Characters with no pattern in them, as many as asked."""
    noise = base64.b64encode(hashlib.sha512(b"uncommon").digest() * 2).decode()
    return noise[:length]


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


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("aaaaaaaa", "password_repetitive"),
        (" " * 8, "password_repetitive"),
        ("abcabcabcabc", "password_repetitive"),
        ("abcdefghij", "password_sequential"),
        ("98765432", "password_sequential"),
        ("asdfghjkl;", "password_keyboard_pattern"),
        ("12345678!", "password_weak"),
    ],
)
def test_repetitive_sequential_and_guessable_passwords_are_refused(
    password: str, code: str
) -> None:
    assert codes(password) == [code]


@pytest.mark.parametrize(
    ("password", "display_name"),
    [
        ("Lovelace1815", None),
        ("Ada.Lovelace!", None),
        ("lovelace-ada-1", None),
        ("Byron Augusta!", "Augusta Byron"),
    ],
)
def test_a_password_built_from_the_email_or_the_name_is_refused(
    password: str, display_name: str | None
) -> None:
    assert codes(password, display_name=display_name) == ["password_personal"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "password",
    [
        "violet kettle orbit",
        "violet kettle orbit 7",
        "amber lantern meadow 42",
        "violet-kettle-orbit-42",
        "amber-lantern-meadow-77",
        "kettle7!",
        "Ada's violet kettle",
    ],
)
def test_passphrases_are_accepted(password: str) -> None:
    assert codes(password, display_name="Ada Lovelace") == []


def test_the_current_password_is_not_a_new_one() -> None:
    errors = password_policy_errors(STRONG, EMAIL, field="new_password", current=STRONG)
    assert [(e.field, e.code) for e in errors] == [("new_password", "password_unchanged")]
    assert password_policy_errors(STRONG, EMAIL, current=STRONG + "!") == []


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


async def test_hashes_past_the_queue_limit_are_refused_at_once() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=1024, queue_limit=2)
    stored = await hasher.hash(STRONG)
    gate = threading.Event()

    def held() -> bool:
        gate.wait(60)
        return True

    running = [asyncio.ensure_future(hasher._run(held)) for _ in range(2)]
    try:
        await asyncio.sleep(0)
        assert hasher.queued == 2
        with pytest.raises(HashingBusy) as refused:
            await hasher.verify(STRONG, stored)
        assert refused.value.status == 503
        assert refused.value.headers == {"Retry-After": "1"}
        with pytest.raises(HashingBusy):
            await hasher.hash(STRONG)
    finally:
        gate.set()
    assert await asyncio.gather(*running) == [True, True]
    assert hasher.queued == 0
    assert await hasher.verify(STRONG, stored)
