"""The built front end: hashed assets cached for ever, index.html always revalidated."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"


class SinglePageApp(StaticFiles):
    """Serves files from a Vite build; unknown paths fall back to index.html."""

    def __init__(self, directory: Path, *, api_prefixes: tuple[str, ...] = ()) -> None:
        super().__init__(directory=directory, html=True)
        # Under an API prefix an unknown path is an API 404, never the app's index page.
        self._api_prefixes = tuple(p.strip("/") for p in api_prefixes)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.split("/", 1)[0] in self._api_prefixes:
            raise HTTPException(status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            response = await super().get_response("index.html", scope)
        if response.status_code == 404 and "." not in Path(path).name:
            response = await super().get_response("index.html", scope)
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
