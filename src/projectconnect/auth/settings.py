"""The auth service's configuration, from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from projectconnect.infra.config import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")

    # The ES256 signing key: a PEM in the environment or a path to a PEM file.
    private_key: SecretStr | None = None
    private_key_file: Path | None = None
    access_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    session_ttl_days: int = Field(default=30, ge=1, le=365)
    # The refresh cookie's Secure flag. Unset: Secure when the request came over HTTPS (as
    # the gateway's X-Forwarded-Proto says, from FORWARDED_ALLOW_IPS), so plain HTTP on a
    # LAN keeps its session; browsers drop a Secure cookie over http except to localhost.
    cookie_secure: bool | None = None
    # argon2id cost: t=3 and 64 MiB as RFC 9106 recommends; one lane, as requests run in parallel.
    argon2_time_cost: int = Field(default=3, ge=1, le=10)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=1048576)
    # Password hashes waiting or running per process; past it, requests are refused with 503
    # at once rather than queued behind a burst (each waits about limit / 2 hash times).
    hashing_queue_limit: int = Field(default=8, ge=1, le=1024)
    # Whether this process also relays the outbox to AMQP_URL.
    run_relay: bool = True
    session_cache_ttl_seconds: int = Field(default=60, ge=1, le=3600)
    # Throttles, in the notation of the `limits` library. Failed password checks (logins and
    # re-checks) per account from one address, so a stranger cannot lock the owner out; per
    # account from everywhere, a much higher ceiling against a guess spread over addresses;
    # and per address, against one address trying many accounts.
    login_failures_per_account_and_ip: str = "10 per 15 minutes"
    login_failures_per_account: str = "100 per 15 minutes"
    login_failures_per_ip: str = "100 per 15 minutes"
    registrations_per_ip: str = "20 per hour"
    # Mailed links (password reset, verification again, email change) per address they go
    # to and per client address.
    mail_links_per_email: str = "5 per hour"
    mail_links_per_ip: str = "50 per hour"
    password_reset_ttl_minutes: int = Field(default=60, ge=5, le=24 * 60)
    email_verification_ttl_hours: int = Field(default=48, ge=1, le=30 * 24)
    # The least time POST /auth/password/forgot takes, account or not: its timing tells nothing.
    password_forgot_seconds: float = Field(default=0.25, ge=0, le=5)
    # Whether this process also delivers mail from the broker (with AMQP_URL and MAIL_*).
    run_mailer: bool = True

    @model_validator(mode="after")
    def _one_key_source(self) -> AuthSettings:
        if self.private_key is None and self.private_key_file is None:
            raise ValueError(
                "no signing key: set AUTH_PRIVATE_KEY_FILE (path to an EC P-256 PEM) "
                "or AUTH_PRIVATE_KEY; `projectconnect keygen` makes one"
            )
        if self.private_key is not None and self.private_key_file is not None:
            raise ValueError("set only one of AUTH_PRIVATE_KEY and AUTH_PRIVATE_KEY_FILE")
        return self

    def private_key_pem(self) -> bytes:
        if self.private_key is not None:
            return self.private_key.get_secret_value().encode()
        assert self.private_key_file is not None
        return self.private_key_file.read_bytes()
