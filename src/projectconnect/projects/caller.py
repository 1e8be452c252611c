"""The verified caller of a projects route: every route but an invitation's preview has one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from projectconnect.infra.problems import Unauthorized
from projectconnect.infra.security import BearerToken
from projectconnect.infra.sessions import SessionCheckUnavailable, TokenSessions
from projectconnect.infra.tokens import AccessClaims, InvalidToken, TokenVerifier


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: uuid.UUID
    email: str | None
    # Whether a link mailed to `email` was followed; a token without the claim says no.
    email_verified: bool = False

    @classmethod
    def of(cls, claims: AccessClaims) -> Caller:
        return cls(claims.subject, claims.email, claims.email_verified is True)


@dataclass(frozen=True, slots=True)
class CallerSession:
    """The caller with the token they came with: what a long-lived answer checks again."""

    caller: Caller
    token: str
    claims: AccessClaims
    sessions: TokenSessions

    async def is_active(self) -> bool | None:
        """Whether the session still is; None when no one can tell right now."""
        try:
            return await self.sessions.is_active(self.token, self.claims)
        except SessionCheckUnavailable:
            return None


async def _verified(token: str, request: Request) -> tuple[AccessClaims, TokenSessions]:
    """The claims of a valid access token whose session is still active."""
    verifier: TokenVerifier = request.app.state.projects_verifier
    sessions: TokenSessions = request.app.state.projects_sessions
    try:
        claims = await verifier.verify(token)
    except InvalidToken as exc:
        raise Unauthorized("The access token is not valid.") from exc
    if not await sessions.is_active(token, claims):
        raise Unauthorized("The session has ended; log in again.")
    return claims, sessions


async def current_caller(token: BearerToken, request: Request) -> Caller:
    """The subject of a valid access token whose session is still active."""
    claims, _ = await _verified(token, request)
    return Caller.of(claims)


async def current_session(token: BearerToken, request: Request) -> CallerSession:
    """The caller with their token and session, for an answer that outlives the request."""
    claims, sessions = await _verified(token, request)
    return CallerSession(Caller.of(claims), token, claims, sessions)


CallerDep = Annotated[Caller, Depends(current_caller)]
CallerSessionDep = Annotated[CallerSession, Depends(current_session)]
