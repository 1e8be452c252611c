"""Which failures mean "a dependency is away for now" and which will never go away.

One classification for everything that decides between retrying and giving up: the 503
mapping of the HTTP services, the event consumer's retries and the in-process bus.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import redis.exceptions
import sqlalchemy.exc

_NETWORK_ERRORS = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
_NETWORK_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.ETIMEDOUT}
)
# SQLSTATEs of a server that cannot be reached or will not take connections right now.
_UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "53400"})
# SQLSTATEs of a transaction that lost a race and would succeed if run again.
_RETRYABLE_STATES = frozenset({"40001", "40P01", "55P03"})


class PermanentError(Exception):
    """An event that can never be handled as it is (invalid data): retrying cannot help."""


class TransientError(Exception):
    """A failure that a later attempt may not meet (a peer said "try again later")."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (DB-API `orig`) and its causes, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [
            orig if isinstance(orig, BaseException) else None,
            current.__cause__,
            current.__context__,
        ]


def _sqlstate(exc: BaseException) -> str | None:
    # asyncpg names it `sqlstate`; SQLAlchemy's asyncpg adapter copies it to `pgcode`.
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return state if isinstance(state, str) else None


def _unreachable_one(exc: BaseException) -> bool:
    if isinstance(exc, _NETWORK_ERRORS) or (
        isinstance(exc, OSError)
        and (exc.errno in _NETWORK_ERRNOS or str(exc).startswith("Multiple exceptions"))
    ):
        return True  # refused, reset, timed out, no route, name lookup; not a missing file
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return True  # the pool had no connection to give within its timeout
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy saw the connection drop
    state = _sqlstate(exc)
    if state is not None and (state.startswith("08") or state in _UNREACHABLE_STATES):
        return True
    # asyncpg's own words for a connection that is gone.
    return type(exc).__name__ == "ConnectionDoesNotExistError" or "connection is closed" in str(exc)


def unreachable(exc: BaseException) -> bool:
    """A dependency (database, Redis, a peer) could not be reached or did not answer."""
    return any(_unreachable_one(e) for e in _chain(exc))


def transient(exc: BaseException) -> bool:
    """Worth retrying later: a dependency is away, or the transaction lost a race."""
    for e in _chain(exc):
        if isinstance(e, TransientError) or _unreachable_one(e):
            return True
        if _sqlstate(e) in _RETRYABLE_STATES:
            return True
    return busy(exc)


def busy(exc: BaseException) -> bool:
    """SQLite's writer lock stayed taken past the busy timeout: try again in a moment."""
    return any(
        type(e).__name__ == "OperationalError" and "database is locked" in str(e)
        for e in _chain(exc)
    )


def permanent(exc: BaseException) -> bool:
    """Can never succeed: raised as PermanentError by a handler."""
    return any(isinstance(e, PermanentError) for e in _chain(exc))
