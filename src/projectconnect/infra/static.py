"""The built front end: hashed assets cached for ever, index.html always revalidated."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"


class SinglePageApp(StaticFiles):
    """Serves files from a Vite build.

    A path without a file extension is a client-side route and gets index.html; a missing
    file (a stale asset name, say) is a 404.
    """

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in Path(path).name:
                raise
            response = await super().get_response("index.html", scope)
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response


class FrontendMount(Mount):
    """The front end at `/`, stepping aside for the API prefixes.

    A path under an API prefix never matches here, so the router answers it as the API
    would: 404 for an unknown path, 405 for a known path with the wrong method.
    """

    def __init__(self, directory: Path, *, api_prefixes: tuple[str, ...]) -> None:
        super().__init__("/", app=SinglePageApp(directory), name="frontend")
        self._prefixes = tuple("/" + p.strip("/") for p in api_prefixes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if any(path == p or path.startswith(p + "/") for p in self._prefixes):
            return Match.NONE, {}
        return super().matches(scope)
