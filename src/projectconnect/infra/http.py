"""What every service's FastAPI application shares: operation ids, problem+json, OpenAPI,
the front door (request ids, access lines, metrics, security headers, fast paths), request
body limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Response
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.types import ASGIApp

from projectconnect import __version__
from projectconnect.infra import metrics, tracing
from projectconnect.infra.bodies import RequestBodyGuard
from projectconnect.infra.config import HttpSettings
from projectconnect.infra.frontdoor import FastPath, FrontDoor
from projectconnect.infra.health import Check, health_router
from projectconnect.infra.internal_routes import LoopbackOnlyInternals
from projectconnect.infra.problems import Problem, install_problem_handlers


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the endpoint function's name, which the front end's client uses."""
    return route.name


def _openapi_with_problem(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def metrics_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return router


class ServiceApp(FastAPI):
    """A service's FastAPI app, behind its front door: `fast_paths` are tried first."""

    def __init__(self, *, count_statements: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.count_statements = count_statements
        self.fast_paths: list[FastPath] = []

    def build_middleware_stack(self) -> ASGIApp:
        # Outside the framework's error handler too: its 500s get the id and the headers.
        return FrontDoor(
            super().build_middleware_stack(),
            fast_paths=self.fast_paths,
            count_statements=self.count_statements,
        )


def create_service_app(
    *,
    title: str,
    description: str,
    count_statements: bool = False,
    http: HttpSettings | None = None,
    loopback_internals: bool = False,
    **kwargs: Any,
) -> ServiceApp:
    """`loopback_internals`: /metrics and the API documents answer loopback clients only,
    unless HTTP_PUBLIC_INTERNALS (the embedded mode, which has no gateway to hide them)."""
    http = http or HttpSettings()
    app = ServiceApp(
        title=title,
        description=description,
        version=__version__,
        generate_unique_id_function=operation_id,
        count_statements=count_statements,
        **kwargs,
    )
    install_problem_handlers(app)
    # Innermost first.
    if loopback_internals and not http.public_internals:
        app.add_middleware(LoopbackOnlyInternals)
    app.add_middleware(
        RequestBodyGuard,
        max_bytes=http.max_body_bytes,
        receive_timeout=http.body_timeout_seconds,
    )
    metrics.BUILD_INFO.labels(version=__version__).set(1)
    tracing.instrument_app(app)
    app.openapi = _openapi_with_problem(app)  # type: ignore[method-assign]
    return app


class ServiceRuntime(Protocol):
    """What a service holds while it runs, as the app factory drives it."""

    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def install(self, app: ServiceApp) -> None: ...

    def readiness_checks(self) -> dict[str, Check]: ...


def compose_app(
    runtimes: Sequence[ServiceRuntime],
    routers: Sequence[APIRouter],
    *,
    title: str,
    description: str,
    count_statements: bool = False,
    http: HttpSettings | None = None,
    loopback_internals: bool = False,
) -> ServiceApp:
    """One app over one or more runtimes: started in order, closed in reverse."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for runtime in runtimes:
                stack.push_async_callback(runtime.close)
                await runtime.start()
            yield

    def checks() -> dict[str, Check]:
        if len(runtimes) == 1:
            return runtimes[0].readiness_checks()
        return {
            f"{runtime.name}_{name}": check
            for runtime in runtimes
            for name, check in runtime.readiness_checks().items()
        }

    app = create_service_app(
        title=title,
        description=description,
        lifespan=lifespan,
        count_statements=count_statements,
        http=http,
        loopback_internals=loopback_internals,
    )
    for runtime in runtimes:
        runtime.install(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(checks))
    app.include_router(metrics_router())
    return app
