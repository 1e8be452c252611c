"""The bearer-token dependency both services' routes use.

Dependencies are coroutines: FastAPI runs plain functions in a thread pool, a thread hop
per request for what is a dictionary look-up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from projectconnect.infra.problems import Unauthorized

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from /auth/login.")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("A bearer access token is required.")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]
