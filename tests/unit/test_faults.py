"""The one classification of failures: retry later, or give up."""

from __future__ import annotations

import asyncpg
import pytest
import redis.exceptions
import sqlalchemy.exc

from projectconnect.infra.faults import PermanentError, permanent, transient, unreachable


def _wrapped(orig: BaseException) -> sqlalchemy.exc.DBAPIError:
    """How SQLAlchemy hands a driver's error to the application."""
    return sqlalchemy.exc.DBAPIError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(),
        TimeoutError(),
        OSError(113, "No route to host"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432), ..."),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        redis.exceptions.ConnectionError("refused"),
        _wrapped(asyncpg.exceptions.CannotConnectNowError("starting up")),
        _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle")),
        _wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
    ],
)
def test_an_unreachable_dependency_is_unreachable_and_transient(error: Exception) -> None:
    assert unreachable(error)
    assert transient(error)
    assert not permanent(error)


def test_an_error_caused_by_a_refused_connection_is_unreachable() -> None:
    outer = RuntimeError("while handling the event")
    outer.__cause__ = ConnectionRefusedError(111, "refused")
    assert unreachable(outer)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(asyncpg.exceptions.SerializationError("could not serialize access")),
        _wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
    ],
)
def test_a_lost_race_is_transient_but_not_unreachable(error: Exception) -> None:
    assert transient(error)
    assert not unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        ValueError("badly formed hexadecimal UUID string"),
        FileNotFoundError(2, "No such file or directory"),
        _wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
    ],
)
def test_other_failures_are_neither(error: Exception) -> None:
    assert not transient(error)
    assert not unreachable(error)
    assert not permanent(error)


def test_a_permanent_error_is_permanent_even_when_wrapped() -> None:
    outer = RuntimeError("dispatch failed")
    outer.__cause__ = PermanentError("no user_id")
    assert permanent(outer)
    assert not transient(outer)
