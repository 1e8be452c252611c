"""RFC 9457 problem details: the typed errors of the service layer and their one mapping to HTTP."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from projectconnect.infra import faults

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One invalid input: where it is, which rule it broke, and a sentence for people."""

    field: str = Field(description="Dotted path of the field at fault, e.g. 'password'.")
    code: str = Field(description="Machine-readable rule, e.g. 'password_common'.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ServiceError(Exception):
    """Base of the errors a use case raises; each maps to one HTTP status."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        # RFC 9457 extension members: more for a client to act on (the role a 403 needs).
        self.extensions = extensions or {}


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Gone(ServiceError):
    status = 410
    code = "gone"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"

    def __init__(self, detail: str = "Authentication is required.", **kw: Any) -> None:
        headers = {"WWW-Authenticate": 'Bearer realm="projectconnect"'}
        super().__init__(detail, headers=headers, **kw)


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class PreconditionFailed(ServiceError):
    status = 412
    code = "precondition_failed"


class InvalidInput(ServiceError):
    status = 422
    code = "invalid_input"


def field_error(field: str, code: str, message: str, *, conflict: bool = False) -> ServiceError:
    """A refusal of one field's value: 422, or 409 when it clashes with what exists."""
    errors = [FieldError(field=field, code=code, message=message)]
    if conflict:
        return Conflict(message, errors=errors)
    return InvalidInput(message, errors=errors)


# How long a client should wait before trying again when a dependency is away: long
# enough not to hammer it, short enough that a blip costs the user little.
RETRY_AFTER_SECONDS = 2


class ServiceUnavailable(ServiceError):
    status = 503
    code = "unavailable"

    def __init__(
        self,
        detail: str = "A service this request needs is unreachable; try again shortly.",
        *,
        retry_after: int = RETRY_AFTER_SECONDS,
        **kw: Any,
    ) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **kw)


class HttpProblem(StarletteHTTPException):
    """A request refused at the HTTP level, before any route: the connection is closed after
    the answer, so the rest of what the client sends is never read."""

    code: str = "bad_request"

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(status_code, detail, headers={"Connection": "close"})


class ContentTooLarge(HttpProblem):
    code = "content_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class RequestTimeout(HttpProblem):
    code = "request_timeout"

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"The request body stalled for more than {seconds:g} s.")


def problem_response(
    status: int,
    detail: str | None,
    *,
    code: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://projectconnect.dev/problems/{code}" if code else "about:blank",
        "title": phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_path(loc: Sequence[int | str]) -> str:
    # Drop the leading "body"/"query"/"path" so clients see the field name they sent.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    return [
        FieldError(
            # A JSON syntax error's location is a byte offset, not a field.
            field="body" if err["type"] == "json_invalid" else _field_path(err.get("loc", ())),
            code=err["type"],
            message=err["msg"],
        )
        for err in exc.errors()
    ]


# FastAPI's answer to a body it cannot decode at all (not UTF-8, say).
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem_response(
        exc.status,
        exc.detail,
        code=exc.code,
        errors=exc.errors,
        headers=exc.headers,
        instance=request.url.path,
        extensions=exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    fields = ", ".join(sorted({e.field for e in errors}))
    return problem_response(
        422,
        f"The request is invalid: {fields}.",
        code="invalid_input",
        errors=errors,
        instance=request.url.path,
    )


def http_problem(exc: HttpProblem, path: str) -> JSONResponse:
    return problem_response(
        exc.status_code, exc.detail, code=exc.code, headers=dict(exc.headers or {}), instance=path
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, HttpProblem):
        return http_problem(exc, request.url.path)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 400 and detail == _UNPARSABLE_BODY:
        # The same answer as for any other body that is not valid JSON.
        return problem_response(
            422,
            "The request body is not valid JSON.",
            code="invalid_input",
            errors=[FieldError(field="body", code="json_invalid", message="Invalid JSON.")],
            instance=request.url.path,
        )
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(
        exc.status_code, detail, headers=dict(exc.headers or {}), instance=request.url.path
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500, "An unexpected error occurred.", code="internal", instance=request.url.path
    )


async def _dependency_error(request: Request, exc: Exception) -> JSONResponse:
    """A database or network failure: 503 when the dependency is unreachable or SQLite's
    writer stayed busy, else a 500.

    Handled here rather than by the catch-all, which re-raises into the server and makes it
    drop the client's keep-alive connection.
    """
    if faults.busy(exc):
        logger.warning("database busy on %s %s", request.method, request.url.path)
        return await _service_error(
            request, ServiceUnavailable("The database is busy; try again in a moment.")
        )
    if not faults.unreachable(exc):
        return await _unexpected_error(request, exc)
    logger.warning(
        "dependency unreachable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return await _service_error(request, ServiceUnavailable())


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _dependency_error)
    app.add_exception_handler(OSError, _dependency_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting problem+json bodies for the given statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
