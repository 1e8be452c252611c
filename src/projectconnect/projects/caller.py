"""The verified caller of a projects route: every route but an invitation's preview has one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from projectconnect.infra.problems import Unauthorized
from projectconnect.infra.security import BearerToken
from projectconnect.infra.sessions import TokenSessions
from projectconnect.infra.tokens import InvalidToken, TokenVerifier


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: uuid.UUID
    email: str | None


async def current_caller(token: BearerToken, request: Request) -> Caller:
    """The subject of a valid access token whose session is still active."""
    verifier: TokenVerifier = request.app.state.projects_verifier
    sessions: TokenSessions = request.app.state.projects_sessions
    try:
        claims = await verifier.verify(token)
    except InvalidToken as exc:
        raise Unauthorized("The access token is not valid.") from exc
    if not await sessions.is_active(token, claims):
        raise Unauthorized("The session has ended; log in again.")
    return Caller(claims.subject, claims.email)


CallerDep = Annotated[Caller, Depends(current_caller)]
