"""Password hashing (argon2id, off the event loop) and the password policy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn import zxcvbn

from projectconnect.infra import metrics
from projectconnect.infra.problems import FieldError, ServiceUnavailable

_T = TypeVar("_T")

MIN_LENGTH = 8
MAX_LENGTH = 128


def _yield_to_requests() -> None:
    """Lower this thread's scheduling priority (Linux: nice is per thread)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


# A login burst must not starve the requests around it: hashing runs on its own threads,
# at most HASHING_THREADS at once (each hash holds 64 MiB), at a lower CPU priority, so
# the event loop's work comes first and logins take the CPU that is left.
HASHING_THREADS = 2
HASHING_NICENESS = 10
# One pool per process, whatever the number of hashers (threads start on first use).
_hashing = ThreadPoolExecutor(
    HASHING_THREADS, thread_name_prefix="argon2", initializer=_yield_to_requests
)


# What a shed request is told to wait: the queue drains in a few hash times.
BUSY_RETRY_AFTER_SECONDS = 1


class HashingBusy(ServiceUnavailable):
    """The hashing queue is full: refused at once rather than queued behind a burst."""

    code = "hashing_busy"

    def __init__(self) -> None:
        super().__init__(
            "Too many password checks are under way; try again in a moment.",
            retry_after=BUSY_RETRY_AFTER_SECONDS,
        )


class PasswordHasher:
    def __init__(
        self, *, time_cost: int = 3, memory_kib: int = 65536, queue_limit: int = 1024
    ) -> None:
        hasher = Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._hash = PasswordHash((hasher,))
        # Hashes waiting for or running on the hashing threads, bounded by queue_limit.
        self.queue_limit = queue_limit
        self._queued = 0
        # Verified against when the email is unknown, so both failures cost the same time.
        self._dummy = self._hash.hash("projectconnect-timing-equaliser")

    @property
    def queued(self) -> int:
        """Hashes waiting for or running on the hashing threads now."""
        return self._queued

    async def _run(self, call: Callable[[], _T]) -> _T:
        # Counted on the event loop's thread, so the check and the increment are one step.
        if self._queued >= self.queue_limit:
            metrics.HASHES_SHED.inc()
            raise HashingBusy
        self._queued += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(_hashing, call)
        finally:
            self._queued -= 1

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hash.hash(password))

    async def verify(self, password: str, password_hash: str | None) -> bool:
        target = password_hash if password_hash is not None else self._dummy
        ok = await self._run(lambda: self._hash.verify(password, target))
        return ok and password_hash is not None


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30 000 most common leaked passwords; no network needed.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


# zxcvbn's score runs 0-4; 2 means a million guesses or more, which the login throttles make
# years of online guessing. Passphrases of three uncommon words score 4.
MIN_STRENGTH = 2
# zxcvbn's cost grows fast with length (a random 128-character string takes seconds); a
# password whose first 48 characters are strong is strong.
STRENGTH_PREFIX = 48
# Words shorter than this, in an email or a name, match too much to tell anything.
MIN_PERSONAL_WORD = 3

# What zxcvbn found in a weak password (a match's pattern, or the user's own words), as the
# rule each one breaks; a weak password with none of them breaks "password_weak".
_WEAKNESSES = {
    "user_inputs": (
        "password_personal",
        "Do not build the password from your email or name.",
    ),
    "repeat": (
        "password_repetitive",
        'Avoid repeated characters or words, like "aaaa" or "abcabc".',
    ),
    "sequence": ("password_sequential", 'Avoid sequences, like "abcd" or "9876".'),
    "spatial": ("password_keyboard_pattern", 'Avoid keyboard patterns, like "qwerty".'),
    "weak": ("password_weak", "This password is easy to guess: add a word or two."),
}


def _personal_words(email: str, display_name: str | None) -> list[str]:
    """The email, its local part and domain, the name, and each word in them."""
    local, _, domain = email.lower().partition("@")
    whole = [email.lower(), local, domain, *([display_name.lower()] if display_name else [])]
    words = re.split(r"[^\w]+|_", " ".join([local, domain.split(".")[0], display_name or ""]))
    found = [w for w in (*whole, *(w.lower() for w in words)) if len(w) >= MIN_PERSONAL_WORD]
    return list(dict.fromkeys(found))


def _matches(password: str, personal: list[str]) -> list[str]:
    """What zxcvbn found in each part of the password, or "" when it would take many guesses.

    zxcvbn keeps the user's words in a module-level dictionary: call it from one thread only
    (the event loop's), never from a pool.
    """
    result = zxcvbn(password[:STRENGTH_PREFIX], user_inputs=personal, max_length=STRENGTH_PREFIX)
    if result["score"] >= MIN_STRENGTH:
        return []
    return [
        "user_inputs" if match.get("dictionary_name") == "user_inputs" else match["pattern"]
        for match in result["sequence"]
    ]


def _built_from(password: str, personal: list[str]) -> bool:
    """Whether its letters are only the user's own words ("Grace.Hopper!", "hopper-1906")."""
    letters = re.sub(r"[\W\d_]+", "", password[:STRENGTH_PREFIX])
    if not letters:
        return False
    # zxcvbn charges a lot for separators, so it scores "grace.hopper!" as strong.
    result = zxcvbn(letters, user_inputs=personal, max_length=STRENGTH_PREFIX)
    return all(match.get("dictionary_name") == "user_inputs" for match in result["sequence"])


def _strength_errors(
    password: str, email: str, display_name: str | None, field: str, explained: bool
) -> list[FieldError]:
    """What makes a password easy to guess; `explained` when another rule already said why."""
    personal = _personal_words(email, display_name)
    found = _matches(password, personal)
    if _built_from(password, personal):
        found.append("user_inputs")
    weaknesses = [w for w in dict.fromkeys(found) if w in _WEAKNESSES and w != "weak"]
    if found and not weaknesses and not explained:
        weaknesses = ["weak"]
    return [
        FieldError(field=field, code=_WEAKNESSES[w][0], message=_WEAKNESSES[w][1])
        for w in weaknesses
    ]


def password_policy_errors(
    password: str,
    email: str,
    display_name: str | None = None,
    *,
    field: str = "password",
    current: str | None = None,
) -> list[FieldError]:
    """Every rule the password breaks, each named, for a 422 that tells the user why.

    `current` is the password it would replace, when the user is changing theirs.
    """
    errors: list[FieldError] = []

    def broken(code: str, message: str) -> None:
        errors.append(FieldError(field=field, code=code, message=message))

    if len(password) < MIN_LENGTH:
        broken("password_too_short", f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        broken("password_too_long", f"Use at most {MAX_LENGTH} characters.")
    if password.lower() in _common_passwords():
        broken("password_common", "This password is among the most commonly used; choose another.")
    lowered = password.strip().lower()
    is_email = lowered in {email.lower(), email.split("@", 1)[0].lower()}
    if is_email:
        broken("password_is_email", "The password must not be your email address.")
    if current is not None and password == current:
        broken("password_unchanged", "Choose a password different from the current one.")
    strength = _strength_errors(password, email, display_name, field, explained=bool(errors))
    errors.extend(e for e in strength if not (is_email and e.code == "password_personal"))
    return errors
