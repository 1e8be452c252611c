"""Password hashing (argon2id, off the event loop) and the password policy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from projectconnect.infra.problems import FieldError

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


class PasswordHasher:
    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        hasher = Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._hash = PasswordHash((hasher,))
        # Verified against when the email is unknown, so both failures cost the same time.
        self._dummy = self._hash.hash("projectconnect-timing-equaliser")

    async def _run(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(_hashing, call)

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


def password_policy_errors(password: str, email: str, field: str = "password") -> list[FieldError]:
    """Every rule the password breaks, each named, for a 422 that tells the user why."""
    errors: list[FieldError] = []
    if len(password) < MIN_LENGTH:
        errors.append(
            FieldError(
                field=field,
                code="password_too_short",
                message=f"Use at least {MIN_LENGTH} characters.",
            )
        )
    if len(password) > MAX_LENGTH:
        errors.append(
            FieldError(
                field=field,
                code="password_too_long",
                message=f"Use at most {MAX_LENGTH} characters.",
            )
        )
    if password.lower() in _common_passwords():
        errors.append(
            FieldError(
                field=field,
                code="password_common",
                message="This password is among the most commonly used; choose another.",
            )
        )
    lowered = password.strip().lower()
    if lowered in {email.lower(), email.split("@", 1)[0].lower()}:
        errors.append(
            FieldError(
                field=field,
                code="password_is_email",
                message="The password must not be your email address.",
            )
        )
    return errors
