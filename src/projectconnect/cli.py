"""The `projectconnect` command."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from projectconnect.servers import Server

if TYPE_CHECKING:
    from projectconnect.infra.config import BrokerSettings
    from projectconnect.infra.migrations import MigrationTree

app = typer.Typer(
    help="Project Connect: run, migrate and operate the services.", no_args_is_help=True
)


class Service(enum.StrEnum):
    auth = "auth"
    projects = "projects"


Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(help="TCP port to listen on.")]


@app.command()
def dev(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    data_dir: Annotated[Path, typer.Option(help="SQLite files and the signing key.")] = Path(
        ".data"
    ),
    frontend_dir: Annotated[
        Path | None, typer.Option(help="A built front end to serve at /.")
    ] = None,
) -> None:
    """The embedded default: both services and the front end in one process, on SQLite."""
    import logging

    import uvicorn

    from projectconnect import servers
    from projectconnect.devserver import DEFAULT_FRONTEND_DIR, DataDir, create_embedded_app
    from projectconnect.infra.internal_routes import is_loopback
    from projectconnect.infra.logs import configure_logging
    from projectconnect.infra.tracing import configure_tracing

    configure_logging("embedded", default_format="text")
    configure_tracing("projectconnect")
    data = DataDir(data_dir.resolve())
    data.prepare()
    browsed = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a comparison
    browsed_url = f"http://{browsed}:{port}"
    application = create_embedded_app(
        data.auth_settings(public_url=browsed_url),
        data.projects_settings(public_url=browsed_url),
        frontend_dir=frontend_dir or DEFAULT_FRONTEND_DIR,
        http=servers.http_settings(),
        mail=data.mail_settings(),
    )
    typer.echo(f"Project Connect (embedded) on http://{host}:{port}  data: {data.root}")
    if not is_loopback(host):
        warning = (
            f"serving plain HTTP on {host}:{port}, beyond this machine: passwords and tokens "
            "cross the network unencrypted. Use a network you trust, or put TLS in front "
            "(X-Forwarded-Proto is trusted from FORWARDED_ALLOW_IPS)."
        )
        logging.getLogger("projectconnect.dev").warning(warning)
        typer.secho(f"WARNING: {warning}", fg=typer.colors.RED, bold=True, err=True)
    uvicorn.run(
        servers.behind_proxy(application), host=host, port=port, **servers.uvicorn_options()
    )


@app.command()
def serve(
    service: Annotated[Service, typer.Argument(help="Which service to run.")],
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    server: Annotated[
        Server, typer.Option(help="The HTTP server: uvicorn or granian.")
    ] = Server.uvicorn,
) -> None:
    """One service, configured from the environment (DATABASE_URL, JWKS_URL, AUTH_*)."""
    import os
    import tempfile

    from projectconnect import servers

    _check_config(service)
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Each worker writes its metrics here; /metrics in any worker adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pc-metrics-")
    # Behind the gateway: X-Forwarded-For is trusted from FORWARDED_ALLOW_IPS (127.0.0.1).
    servers.run(
        f"projectconnect.servers:{service.value}_app",
        server=server,
        host=host,
        port=port,
        workers=workers,
    )


class MigrationTarget(enum.StrEnum):
    auth = "auth"
    projects = "projects"
    broker = "broker"


@app.command()
def migrate(
    target: Annotated[MigrationTarget, typer.Argument(help="auth, projects or broker.")],
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply a service's migrations to its DATABASE_URL, or declare the broker's topology."""
    if target is MigrationTarget.broker:
        from projectconnect.infra.rabbitmq import Topology, declare_topology

        broker = _broker_settings()
        topology = Topology(namespace=broker.events_namespace)
        asyncio.run(declare_topology(broker.amqp_url.get_secret_value(), topology))
        typer.echo(f"broker: declared {topology.exchange} and its queues")
        return
    from alembic import command

    tree, url = _tree_and_url(Service(target.value))
    command.upgrade(tree.config(url), revision)
    typer.echo(f"{target.value}: migrated to {revision}")


MetricsPort = Annotated[
    int | None, typer.Option(help="Serve Prometheus /metrics on this port (0.0.0.0).")
]


@app.command()
def relay(metrics_port: MetricsPort = None) -> None:
    """Run the auth outbox relays (events and mail) as their own process (DATABASE_URL of
    auth, AMQP_URL)."""
    from projectconnect.auth.models import MailOutboxMessage, OutboxEvent
    from projectconnect.infra.db import Database
    from projectconnect.infra.mail import mail_relay
    from projectconnect.infra.outbox import Outbox, OutboxRelay
    from projectconnect.infra.rabbitmq import RabbitPublisher, Topology

    _, url = _tree_and_url(Service.auth)
    broker = _broker_settings()

    async def run() -> None:
        db = Database(url, name="auth-relay", pool_size=2)
        topology = Topology(namespace=broker.events_namespace)
        events, mail = (
            RabbitPublisher(broker.amqp_url.get_secret_value(), topology) for _ in range(2)
        )
        try:
            await asyncio.gather(
                OutboxRelay(db, Outbox(OutboxEvent), events).run(),
                mail_relay(db, Outbox(MailOutboxMessage), mail, service="auth").run(),
            )
        finally:
            await events.close()
            await mail.close()
            await db.dispose()

    _run_until_signalled("auth-relay", run(), metrics_port)


@app.command()
def consume(
    service: Annotated[Service, typer.Argument(help="Whose queue to consume.")] = Service.projects,
    metrics_port: MetricsPort = None,
) -> None:
    """Run a service's event consumer as its own process (its DATABASE_URL, AMQP_URL),
    which also purges the trash and sends the due reminders periodically, and relays the
    service's mail outbox unless PROJECTS_RUN_MAIL_RELAY=false."""
    from pydantic import ValidationError

    from projectconnect.infra.cache import CacheBackend
    from projectconnect.infra.db import Database
    from projectconnect.infra.feed import make_feed
    from projectconnect.infra.mail import mail_relay
    from projectconnect.infra.rabbitmq import RabbitConsumer, RabbitPublisher, Topology
    from projectconnect.projects.app import ProjectsCore
    from projectconnect.projects.settings import ProjectsSettings

    if service is not Service.projects:
        raise typer.BadParameter("only the projects service consumes events")
    try:
        settings = ProjectsSettings()
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if settings.amqp_url is None:
        raise typer.BadParameter("AMQP_URL is not set")
    amqp_url = settings.amqp_url.get_secret_value()

    async def run() -> None:
        db = Database(settings.database_url, name="projects-consumer", pool_size=4)
        cache = CacheBackend(
            settings.redis_url_value,
            timeout=settings.redis_timeout_ms / 1000,
            prefix=settings.cache_prefix,
        )
        feed = make_feed(settings.redis_url_value, prefix=settings.cache_prefix)
        core = ProjectsCore(settings, db, cache, feed)
        topology = Topology(namespace=settings.events_namespace)
        consumer = RabbitConsumer(amqp_url, topology, service.value, core.events)
        mail = RabbitPublisher(amqp_url, topology)
        # The one process of a deployment that also runs the periodic jobs: the trash's
        # purge and the due reminders; and, unless the replicas do it, the mail relay.
        jobs = [asyncio.ensure_future(core.run_periodic_jobs())]
        if settings.run_mail_relay:
            relay = mail_relay(db, core.mail_outbox, mail, service="projects")
            jobs.append(asyncio.ensure_future(relay.run()))
        try:
            await consumer.start()
            await asyncio.Event().wait()
        finally:
            for job in jobs:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
            await mail.close()
            await consumer.close()
            await feed.close()
            await cache.close()
            await db.dispose()

    _run_until_signalled("projects-consumer", run(), metrics_port)


@app.command()
def mailer(metrics_port: MetricsPort = None) -> None:
    """Deliver the mail services ask for (`mail.requested` on AMQP_URL) over MAIL_SMTP_URL,
    or into MAIL_DIR as .eml files."""
    from pydantic import ValidationError

    from projectconnect.infra.mailer import MailSettings, mailer_from
    from projectconnect.infra.rabbitmq import RabbitConsumer, Topology

    broker = _broker_settings()
    try:
        delivery = mailer_from(MailSettings())
    except (ValidationError, ValueError) as exc:
        raise typer.BadParameter(f"MAIL_*: {exc}") from exc
    if delivery is None:
        raise typer.BadParameter("set MAIL_SMTP_URL (an SMTP server) or MAIL_DIR (a directory)")

    async def run() -> None:
        consumer = RabbitConsumer(
            broker.amqp_url.get_secret_value(),
            Topology(namespace=broker.events_namespace),
            "mailer",
            delivery.dispatcher(),
        )
        try:
            await consumer.start()
            await asyncio.Event().wait()
        finally:
            await consumer.close()

    _run_until_signalled("mailer", run(), metrics_port)


events_app = typer.Typer(
    help="The event pipeline: inspect and replay dead letters (AMQP_URL, EVENTS_NAMESPACE).",
    no_args_is_help=True,
)
app.add_typer(events_app, name="events")


class Consumer(enum.StrEnum):
    projects = "projects"
    mailer = "mailer"


ConsumingService = Annotated[
    Consumer, typer.Option("--service", help="Whose dead-letter queue: projects or mailer.")
]


@events_app.command("list-dead")
def list_dead(
    service: ConsumingService = Consumer.projects,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 100,
    body: Annotated[bool, typer.Option(help="Print each message's body too.")] = False,
) -> None:
    """Show what a service's dead-letter queue holds, oldest first, leaving it there."""
    from projectconnect.infra.rabbitmq import Topology, list_dead_letters

    broker = _broker_settings()
    topology = Topology(namespace=broker.events_namespace)
    letters = asyncio.run(
        list_dead_letters(broker.amqp_url.get_secret_value(), topology, service.value, limit=limit)
    )
    for letter in letters:
        typer.echo(
            f"{letter.message_id}  {letter.type}  retries={letter.retries}  error={letter.error}"
        )
        if body:
            typer.echo(f"  {letter.body.decode(errors='replace')}")
    typer.echo(f"{len(letters)} dead-lettered in {topology.dead_letter_queue(service.value)}")


@events_app.command("replay-dead")
def replay_dead(
    service: ConsumingService = Consumer.projects,
    event_id: Annotated[
        list[str] | None, typer.Option("--id", help="Only this event id (repeatable).")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Move at most this many.")] = None,
) -> None:
    """Move dead-lettered events back to the service's work queue, to be handled again."""
    from projectconnect.infra.rabbitmq import Topology, replay_dead_letters

    broker = _broker_settings()
    topology = Topology(namespace=broker.events_namespace)
    try:
        moved = asyncio.run(
            replay_dead_letters(
                broker.amqp_url.get_secret_value(),
                topology,
                service.value,
                ids=event_id,
                limit=limit,
            )
        )
    except ValueError as exc:
        raise typer.BadParameter(f"--id: {exc}") from exc
    for letter in moved:
        typer.echo(f"replayed {letter.message_id}  {letter.type}")
    typer.echo(f"{len(moved)} moved back to {topology.queue(service.value)}")


@app.command()
def stack(
    http_port: Annotated[int, typer.Option(help="Gateway HTTP port (redirects).")] = 8080,
    https_port: Annotated[int, typer.Option(help="Gateway HTTPS port.")] = 8443,
    auth_replicas: Annotated[int, typer.Option(min=1, help="auth processes.")] = 2,
    projects_replicas: Annotated[int, typer.Option(min=1, help="projects processes.")] = 2,
    server: Annotated[Server, typer.Option(help="Each replica's HTTP server.")] = Server.uvicorn,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes per replica.")] = 1,
    runtime_dir: Annotated[Path, typer.Option(help="Logs, keys, certificate, nginx.")] = Path(
        ".stack"
    ),
    postgres_url: Annotated[
        str, typer.Option(help="A PostgreSQL database to create the service databases from.")
    ] = "postgresql://postgres@127.0.0.1:5432/postgres",
    database_prefix: Annotated[str, typer.Option(help="Databases PREFIX_auth and _projects.")] = (
        "projectconnect"
    ),
    redis_url: Annotated[str, typer.Option()] = "redis://127.0.0.1:6379/0",
    amqp_url: Annotated[str, typer.Option()] = "amqp://guest:guest@127.0.0.1:5672/",
    frontend_dir: Annotated[
        Path | None, typer.Option(help="A built front end to serve at /.")
    ] = None,
    login_rate: Annotated[str, typer.Option(help="Gateway limit on logins per address.")] = (
        "10r/m"
    ),
    login_burst: Annotated[int, typer.Option()] = 10,
    nginx: Annotated[str, typer.Option(help="The nginx executable.")] = "nginx",
    max_restarts: Annotated[
        int,
        typer.Option(
            min=0, help="Restarts of one process within --restart-window before giving up."
        ),
    ] = 5,
    restart_window: Annotated[
        float, typer.Option(min=1, help="Seconds over which a process's exits are counted.")
    ] = 60.0,
) -> None:
    """The distributed topology on this host: nginx, service replicas and workers.

    A process that exits is restarted alone, with backoff, while the others keep serving;
    one that keeps exiting makes the stack stop everything and exit with status 1.
    """
    import dataclasses

    from projectconnect.devserver import DEFAULT_FRONTEND_DIR
    from projectconnect.gateway import RateLimits
    from projectconnect.infra.config import StackEnvironment
    from projectconnect.infra.logs import configure_logging
    from projectconnect.stack import GaveUp, RestartPolicy, Stack, StackOptions

    configure_logging("stack", default_format="text")
    shared = StackEnvironment()
    static_root = frontend_dir or (DEFAULT_FRONTEND_DIR if DEFAULT_FRONTEND_DIR.is_dir() else None)
    options = StackOptions(
        runtime_dir=runtime_dir,
        http_port=http_port,
        https_port=https_port,
        auth_replicas=auth_replicas,
        projects_replicas=projects_replicas,
        server=server,
        workers=workers,
        postgres_url=postgres_url,
        database_prefix=database_prefix,
        redis_url=redis_url,
        amqp_url=amqp_url,
        events_namespace=shared.events_namespace,
        cache_prefix=shared.cache_prefix,
        static_root=static_root.resolve() if static_root else None,
        nginx=nginx,
        limits=dataclasses.replace(RateLimits(), login_rate=login_rate, login_burst=login_burst),
        restart=RestartPolicy(max_restarts=max_restarts, window=restart_window),
    )
    topology = Stack(options)
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        topology.start()
        typer.echo(topology.describe())
        typer.echo("Ctrl-C stops everything.", err=True)
        topology.supervise(lambda: stopping, lambda line: typer.echo(line, err=True))
    except GaveUp as exc:
        typer.echo(f"giving up: {exc}; stopping everything", err=True)
        raise typer.Exit(1) from exc
    finally:
        topology.stop()


@app.command("gateway")
def gateway_render(
    target: Annotated[str, typer.Argument(help="compose, or host for processes on one host.")],
    out: Annotated[Path, typer.Option(help="Where to write nginx.conf.")] = Path("nginx.conf"),
    auth_port: Annotated[list[int] | None, typer.Option(help="host: an auth port.")] = None,
    projects_port: Annotated[list[int] | None, typer.Option(help="host: a projects port.")] = None,
    runtime_dir: Annotated[Path, typer.Option(help="host: nginx's working files.")] = Path(
        ".stack/gateway"
    ),
    public_host: Annotated[
        list[str] | None, typer.Option(help="compose: a name clients use (redirects).")
    ] = None,
    public_https_port: Annotated[
        int, typer.Option(help="compose: the published HTTPS port (PC_HTTPS_PORT).")
    ] = 8443,
) -> None:
    """Render the gateway's nginx configuration from the package's nginx/nginx.conf.j2."""
    from projectconnect.gateway import GatewayConfig, Tls
    from projectconnect.gateway import write as write_gateway

    if target == "compose":
        config = GatewayConfig.for_compose(
            public_hosts=tuple(public_host or ["localhost"]), public_https_port=public_https_port
        )
    elif target == "host":
        config = GatewayConfig.for_host(
            auth_ports=auth_port or [8001],
            projects_ports=projects_port or [8002],
            runtime_dir=runtime_dir.resolve(),
            static_root=None,
            tls=Tls(str(runtime_dir / "tls.crt"), str(runtime_dir / "tls.key")),
        )
    else:
        raise typer.BadParameter("target is compose or host")
    typer.echo(f"wrote {write_gateway(config, out)}")


@app.command()
def openapi(
    service: Annotated[Service, typer.Argument(help="Whose document to print.")],
) -> None:
    """Print a service's OpenAPI document (the front end's API types come from it)."""
    import json
    import tempfile

    from projectconnect.infra.tokens import ensure_private_key_file

    # The document depends on the code only; a throwaway configuration builds the app.
    with tempfile.TemporaryDirectory() as scratch:
        database = f"sqlite:///{scratch}/unused.db"
        if service is Service.auth:
            from projectconnect.auth.app import AuthRuntime, create_app
            from projectconnect.auth.settings import AuthSettings

            key = ensure_private_key_file(Path(scratch) / "key.pem")
            document = create_app(
                AuthRuntime(AuthSettings(database_url=database, private_key_file=key))
            ).openapi()
        else:
            from projectconnect.infra.tokens import StaticKeySource
            from projectconnect.projects.app import ProjectsRuntime
            from projectconnect.projects.app import create_app as create_projects
            from projectconnect.projects.settings import ProjectsSettings

            runtime = ProjectsRuntime(
                ProjectsSettings(database_url=database), keys=StaticKeySource({"keys": []})
            )
            document = create_projects(runtime).openapi()
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


@app.command()
def devcert(
    directory: Annotated[Path, typer.Argument(help="Where tls.crt and tls.key go.")],
) -> None:
    """A self-signed certificate for localhost, for the gateway in local use only."""
    from projectconnect.gateway import make_self_signed_certificate

    tls = make_self_signed_certificate(directory)
    typer.echo(f"certificate {tls.certificate}\nkey         {tls.key}")


def _run_until_signalled(
    name: str, main: Coroutine[Any, Any, None], metrics_port: int | None = None
) -> None:
    """Run a worker until Ctrl-C or SIGTERM, letting its cleanup run either way."""
    from projectconnect.infra.logs import configure_logging
    from projectconnect.infra.tracing import configure_tracing

    configure_logging(name)
    configure_tracing(name)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="0.0.0.0")  # noqa: S104 - scraped from outside

    async def supervised() -> None:
        task = asyncio.ensure_future(main)
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(supervised())


def _broker_settings() -> BrokerSettings:
    from pydantic import ValidationError

    from projectconnect.infra.config import BrokerSettings

    try:
        return BrokerSettings()
    except ValidationError as exc:
        raise typer.BadParameter(f"AMQP_URL: {exc.errors()[0]['msg']}") from exc


@app.command()
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the EC P-256 private key (PEM).")],
) -> None:
    """Make a signing key for the auth service (AUTH_PRIVATE_KEY_FILE)."""
    from projectconnect.infra.tokens import ensure_private_key_file

    if path.exists():
        raise typer.BadParameter(f"{path} exists; refusing to overwrite a key")
    ensure_private_key_file(path)
    typer.echo(f"wrote {path}")


def _check_config(service: Service) -> None:
    """Refuse to start on a bad configuration with a readable message, not a traceback."""
    from pydantic import ValidationError

    from projectconnect.auth.settings import AuthSettings
    from projectconnect.projects.settings import ProjectsSettings

    try:
        if service is Service.auth:
            AuthSettings().private_key_pem()
        elif ProjectsSettings().jwks_url is None:
            raise typer.BadParameter("JWKS_URL must point at the auth service's JWKS endpoint")
    except ValidationError as exc:
        messages = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise typer.BadParameter(messages) from exc
    except OSError as exc:
        raise typer.BadParameter(f"AUTH_PRIVATE_KEY_FILE: {exc}") from exc


def _tree_and_url(service: Service) -> tuple[MigrationTree, str]:
    from pydantic import ValidationError

    from projectconnect.infra.config import DatabaseSettings

    tree: MigrationTree
    if service is Service.auth:
        from projectconnect.auth.app import MIGRATIONS as tree
    else:
        from projectconnect.projects.app import MIGRATIONS as tree
    try:
        settings = DatabaseSettings()
    except ValidationError as exc:
        raise typer.BadParameter(f"DATABASE_URL: {exc.errors()[0]['msg']}") from exc
    return tree, settings.database_url


def main() -> None:
    app()
