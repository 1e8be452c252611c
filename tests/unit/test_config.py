"""Configuration: database URLs get async drivers; the auth service needs exactly one key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.config import DatabaseSettings, normalize_database_url
from projectconnect.infra.tokens import ensure_private_key_file, generate_private_key_pem

KEY_VARIABLES = ("AUTH_PRIVATE_KEY", "AUTH_PRIVATE_KEY_FILE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings read the process environment; a developer's own exports must not leak in.
    for name in (*KEY_VARIABLES, "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("postgresql://pc@db:5432/auth", "postgresql+asyncpg://pc@db:5432/auth"),
        ("postgres://pc@db/auth", "postgresql+asyncpg://pc@db/auth"),
        ("postgresql+psycopg://pc@db/auth", "postgresql+asyncpg://pc@db/auth"),
        ("postgresql+psycopg2://pc@db/auth", "postgresql+asyncpg://pc@db/auth"),
        ("postgresql+asyncpg://pc@db/auth", "postgresql+asyncpg://pc@db/auth"),
        ("sqlite:///data/auth.db", "sqlite+aiosqlite:///data/auth.db"),
        ("sqlite:////var/lib/pc/auth.db", "sqlite+aiosqlite:////var/lib/pc/auth.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+aiosqlite:///auth.db", "sqlite+aiosqlite:///auth.db"),
    ],
)
def test_urls_get_the_async_driver(given: str, normalized: str) -> None:
    assert normalize_database_url(given) == normalized


def test_everything_after_the_scheme_is_kept_verbatim() -> None:
    url = "postgresql://pc:p%40ss%25word@db.internal:6432/auth?ssl=require&application_name=pc"
    assert normalize_database_url(url) == url.replace("postgresql://", "postgresql+asyncpg://")


@pytest.mark.parametrize(
    "url",
    ["mysql://pc@db/auth", "oracle://db", "sqlite+pysqlite:///auth.db", "mongodb://db/x"],
)
def test_an_unsupported_scheme_is_refused_by_name(url: str) -> None:
    scheme = url.partition("://")[0]
    with pytest.raises(ValueError, match="unsupported database scheme") as caught:
        normalize_database_url(url)
    assert scheme in str(caught.value)


@pytest.mark.parametrize("url", ["", "auth.db", "postgresql:/db"])
def test_a_value_without_a_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        normalize_database_url(url)


def test_database_settings_read_and_normalize_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://pc@db/projects")
    assert DatabaseSettings().database_url == "postgresql+asyncpg://pc@db/projects"


def test_an_empty_database_url_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        DatabaseSettings()


def test_a_bad_database_url_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(ValidationError, match="unsupported database scheme 'mysql'"):
        DatabaseSettings()


def test_auth_refuses_to_start_without_a_signing_key() -> None:
    with pytest.raises(ValidationError) as caught:
        AuthSettings(database_url="sqlite:///auth.db")
    assert "AUTH_PRIVATE_KEY_FILE" in str(caught.value)


def test_auth_refuses_two_signing_keys(tmp_path: Path) -> None:
    key_file = ensure_private_key_file(tmp_path / "signing-key.pem")
    with pytest.raises(ValidationError) as caught:
        AuthSettings(
            database_url="sqlite:///auth.db",
            private_key=generate_private_key_pem().decode(),
            private_key_file=key_file,
        )
    assert "AUTH_PRIVATE_KEY" in str(caught.value)
    assert "only one" in str(caught.value)


def test_auth_reads_its_key_file_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = ensure_private_key_file(tmp_path / "signing-key.pem")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///auth.db")
    monkeypatch.setenv("AUTH_PRIVATE_KEY_FILE", str(key_file))
    settings = AuthSettings()
    assert settings.database_url == "sqlite+aiosqlite:///auth.db"
    assert settings.private_key_pem() == key_file.read_bytes()


def test_auth_takes_an_inline_key_when_the_file_variable_is_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pem = generate_private_key_pem().decode()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///auth.db")
    monkeypatch.setenv("AUTH_PRIVATE_KEY", pem)
    monkeypatch.setenv("AUTH_PRIVATE_KEY_FILE", "")  # exported but blank: as if unset
    assert AuthSettings().private_key_pem() == pem.encode()
