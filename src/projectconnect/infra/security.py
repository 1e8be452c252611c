"""The bearer token: the dependency both services' routes use, and its reading by the fast
paths (infra/frontdoor.py), which run before the framework.

Dependencies are coroutines: FastAPI runs plain functions in a thread pool, a thread hop
per request for what is a dictionary look-up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from projectconnect.infra.problems import Unauthorized

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from /auth/login.")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("A bearer access token is required.")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def bearer_of(scope: Scope) -> str | None:
    """A request's bearer token, read as `bearer_scheme` reads it; None when it has none."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme.lower() == "bearer" and token else None
    return None
