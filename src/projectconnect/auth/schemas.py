"""The auth service's request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Generous caps against abuse; the password policy itself (8-128) names its rules.
PasswordField = Annotated[str, Field(min_length=1, max_length=1024)]
# PostgreSQL cannot store or compare NUL in text, so no backend accepts it.
NO_NUL = r"^[^\x00]*$"
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_NUL)
]
# Checked by the service with the password policy, so one answer lists every field at fault.
Email = Annotated[
    str, Field(min_length=1, max_length=320, pattern=NO_NUL, json_schema_extra={"format": "email"})
]


class RequestModel(BaseModel):
    """Bodies refuse unknown fields: nothing can be smuggled in by mass assignment."""

    model_config = ConfigDict(extra="forbid")


class UserRegister(RequestModel):
    email: Email
    password: PasswordField
    display_name: DisplayName | None = None


class UserLogin(RequestModel):
    email: Annotated[str, Field(min_length=1, max_length=320, pattern=NO_NUL)]
    password: PasswordField


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class UserUpdate(RequestModel):
    display_name: DisplayName | None


class PasswordChange(RequestModel):
    current_password: PasswordField
    new_password: PasswordField


class AccountDeletion(RequestModel):
    password: PasswordField


# A mailed link's token: 43 URL-safe characters as issued; a little room, no more.
LinkToken = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class PasswordForgot(RequestModel):
    email: Email


class PasswordReset(RequestModel):
    token: LinkToken
    new_password: PasswordField


class EmailVerification(RequestModel):
    token: LinkToken


class EmailChange(RequestModel):
    email: Email
    password: PasswordField


class Accepted(BaseModel):
    """A request taken on: what follows (a mail) happens later, if at all."""

    detail: str


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    email_verified: bool = Field(description="Whether a link mailed to `email` was followed.")
    pending_email: str | None = Field(
        description="An address asked for, replacing `email` once its link is followed."
    )
    display_name: str | None
    created_at: dt.datetime


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str


class TokenSubject(BaseModel):
    """What /auth/validate answers for an active access token."""

    sub: uuid.UUID
    sid: uuid.UUID
    exp: int


class JsonWebKey(BaseModel):
    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    crv: str
    x: str
    y: str
    use: str
    alg: str


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]
