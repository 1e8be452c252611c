"""The bearer-token dependency both services' routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from projectconnect.infra.problems import Unauthorized

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from /auth/login.")


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("A bearer access token is required.")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]
