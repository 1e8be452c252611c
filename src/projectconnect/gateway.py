"""The nginx gateway's configuration: one template, rendered for compose or for one host."""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from projectconnect.infra.config import DEFAULT_MAX_BODY_BYTES
from projectconnect.infra.headers import SECURITY_HEADERS


@dataclass(frozen=True, slots=True)
class GatewayProblem:
    """A problem document nginx answers itself, for the statuses in `catches` (its own
    codes 494 and 497 included: headers too large, plain HTTP on the HTTPS port)."""

    status: int
    name: str
    title: str
    detail: str
    catches: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.catches:
            object.__setattr__(self, "catches", (self.status,))


PROBLEMS = (
    GatewayProblem(400, "bad_request", "Bad Request", "The request is malformed."),
    GatewayProblem(
        400, "header_too_large", "Bad Request", "The request headers are too large.", (494,)
    ),
    GatewayProblem(
        400, "plain_http", "Bad Request", "Plain HTTP was sent to the HTTPS port.", (497,)
    ),
    GatewayProblem(401, "unauthorized", "Unauthorized", "A valid bearer access token is required."),
    GatewayProblem(403, "forbidden", "Forbidden", "Access to this path is forbidden."),
    GatewayProblem(404, "not_found", "Not Found", "No resource at this path."),
    GatewayProblem(
        405, "method_not_allowed", "Method Not Allowed", "This method is not allowed here."
    ),
    GatewayProblem(408, "request_timeout", "Request Timeout", "The request came too slowly."),
    GatewayProblem(411, "length_required", "Length Required", "A Content-Length is required."),
    GatewayProblem(413, "too_large", "Payload Too Large", "The request body is too large."),
    GatewayProblem(414, "uri_too_long", "URI Too Long", "The request URI is too long."),
    GatewayProblem(
        416, "range", "Range Not Satisfiable", "The requested range cannot be satisfied."
    ),
    GatewayProblem(429, "too_many", "Too Many Requests", "Too many requests; slow down."),
    GatewayProblem(501, "not_implemented", "Not Implemented", "This request is not supported."),
    GatewayProblem(502, "bad_gateway", "Bad Gateway", "The service could not be reached."),
    GatewayProblem(
        503, "unavailable", "Service Unavailable", "The service is unavailable.", (500, 503)
    ),
    GatewayProblem(504, "timeout", "Gateway Timeout", "The service did not answer in time."),
    GatewayProblem(
        505, "http_version", "HTTP Version Not Supported", "This HTTP version is not supported."
    ),
)


@dataclass(frozen=True, slots=True)
class ProjectsRoute:
    """A first path segment the projects service answers: `/{prefix}` and `/{prefix}/...`
    go to its replicas (never `/{prefix}-anything`, which is the front end's)."""

    prefix: str
    # The gateway checks the bearer token before the request reaches the service.
    token_checked: bool = True
    # Long-lived server-sent events: passed on unbuffered, held open, counted per address.
    stream: bool = False


PROJECTS_ROUTES = (
    ProjectsRoute("projects"),
    ProjectsRoute("workspaces"),
    # An invitation's preview is for people not logged in yet; accepting one needs a
    # token, which the service checks itself.
    ProjectsRoute("invitations", token_checked=False),
    ProjectsRoute("search"),
    # The caller's own things across workspaces (`/me/tasks`); `/auth/me` is the account.
    ProjectsRoute("me"),
    # Live change notices (`/events/stream`), one long-lived stream per open browser tab.
    ProjectsRoute("events", stream=True),
    # The caller's notifications, their unread count and preferences.
    ProjectsRoute("notifications"),
)


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_ip_rate: str = "50r/s"
    per_ip_burst: int = 100
    login_rate: str = "10r/m"
    login_burst: int = 10
    writes_per_user_rate: str = "20r/s"
    writes_per_user_burst: int = 40
    connections_per_ip: int = 100
    # Open live streams from one address (an office behind one address has a few per person).
    streams_per_ip: int = 50
    retry_after_seconds: int = 10


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long the gateway waits on a replica, in milliseconds."""

    connect_ms: int = 1000
    # Requests answer in well under a second (p99 about 0.1 s under load): a replica that
    # has not answered a read by then is stuck, and the read goes to the next one.
    read_ms: int = 1500
    # A write is never sent to a second replica once it may have reached one, so it is
    # given time to finish instead of ending as a 504 whose outcome the client cannot know.
    write_ms: int = 10_000
    # Password hashing waits in a bounded queue that answers 503 at once when full.
    hashing_ms: int = 10_000
    # A live stream sends at least a heartbeat every 15 s: four missed is a stuck replica.
    stream_read_ms: int = 60_000

    @property
    def write_backstop_ms(self) -> int:
        """The writes hop's own limit: later than the write's, so the outer one answers
        first and a write slow in the database never counts against a healthy replica."""
        return self.write_ms + 1000


@dataclass(frozen=True, slots=True)
class Tls:
    certificate: str
    key: str


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything the template needs; `for_compose` and `for_host` fill it for each place."""

    upstreams: dict[str, list[str]]
    http_port: int
    https_port: int
    tls: Tls | None
    runtime_dir: str
    static_root: str | None = None
    listen_host: str = "0.0.0.0"  # noqa: S104 - a gateway listens for the world
    server_name: str = "_"
    worker_processes: str = "auto"
    validate_cache_seconds: int = 5
    # stub_status for nginx-prometheus-exporter; never published outside.
    status_port: int = 8081
    status_listen: str = "0.0.0.0"  # noqa: S104 - the exporter is another container
    max_body_size: str = f"{DEFAULT_MAX_BODY_BYTES // 1024}k"
    limits: RateLimits = field(default_factory=RateLimits)
    timeouts: Timeouts = field(default_factory=Timeouts)
    # The names clients use for the gateway; the HTTP redirect keeps a request's Host only
    # when it is one of them, else names the first.
    public_hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
    # The HTTPS port clients reach, when it is not https_port (a published container port).
    public_https_port: int | None = None
    mime_types: str = "/etc/nginx/mime.types"
    pid_file: str | None = None
    # Worker processes' user, when the master starts as root.
    user: str | None = None
    temp_dir: str | None = None
    access_log: str = "/dev/stdout"
    error_log: str = "/dev/stderr"

    @property
    def cache_dir(self) -> str:
        return f"{self.runtime_dir}/cache"

    @property
    def writes_socket(self) -> str:
        return f"{self.runtime_dir}/writes.sock"

    @property
    def redirect_port_suffix(self) -> str:
        port = self.public_https_port or self.https_port
        return "" if port == 443 else f":{port}"

    @classmethod
    def for_compose(
        cls, *, public_hosts: tuple[str, ...] = ("localhost",), public_https_port: int = 8443
    ) -> GatewayConfig:
        """Upstreams by service name; the front end is its own container.

        `public_https_port` is the host's port published for the container's 8443
        (PC_HTTPS_PORT), which the HTTP redirect names.
        """
        return cls(
            upstreams={
                "auth": ["auth:8000"],
                "projects": ["projects:8000"],
                "frontend": ["frontend:8080"],
            },
            http_port=8080,
            https_port=8443,
            tls=Tls("/etc/nginx/tls/tls.crt", "/etc/nginx/tls/tls.key"),
            runtime_dir="/var/cache/nginx/projectconnect",
            public_hosts=public_hosts,
            public_https_port=public_https_port,
            # The image runs nginx unprivileged: the compiled-in /var/run is root's.
            pid_file="/var/cache/nginx/projectconnect/nginx.pid",
        )

    @classmethod
    def for_host(
        cls,
        *,
        auth_ports: list[int],
        projects_ports: list[int],
        runtime_dir: Path,
        static_root: Path | None,
        http_port: int = 8080,
        https_port: int = 8443,
        tls: Tls | None = None,
        limits: RateLimits | None = None,
        validate_cache_seconds: int = 5,
        status_port: int = 8081,
    ) -> GatewayConfig:
        """Processes on one host: upstreams on 127.0.0.1 ports, files in `runtime_dir`."""
        return cls(
            upstreams={
                "auth": [f"127.0.0.1:{p}" for p in auth_ports],
                "projects": [f"127.0.0.1:{p}" for p in projects_ports],
                "frontend": [],
            },
            http_port=http_port,
            https_port=https_port,
            tls=tls,
            runtime_dir=str(runtime_dir),
            static_root=str(static_root) if static_root else None,
            listen_host="127.0.0.1",
            status_listen="127.0.0.1",
            status_port=status_port,
            worker_processes="2",
            limits=limits or RateLimits(),
            validate_cache_seconds=validate_cache_seconds,
            pid_file=str(runtime_dir / "nginx.pid"),
            # On one host the workers run as whoever started the stack, to read its files.
            user=pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None,
            temp_dir=str(runtime_dir / "tmp"),
            access_log=str(runtime_dir / "access.log"),
            error_log=str(runtime_dir / "error.log"),
        )


def render(config: GatewayConfig) -> str:
    if not 0 < config.validate_cache_seconds <= 5:
        raise ValueError("validate_cache_seconds must be between 1 and 5")
    environment = Environment(
        # The templates are package data (projectconnect/nginx/), in a wheel as in a checkout.
        loader=PackageLoader("projectconnect", "nginx"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - nginx configuration, not HTML
    )
    context = asdict(config)
    if not config.public_hosts:
        raise ValueError("public_hosts names at least one host")
    context.update(
        cache_dir=config.cache_dir,
        writes_socket=config.writes_socket,
        redirect_port_suffix=config.redirect_port_suffix,
        public_hosts=[h.lower() for h in config.public_hosts],
        timeouts=config.timeouts,
        problems=[asdict(p) for p in PROBLEMS],
        projects_routes=[asdict(r) for r in PROJECTS_ROUTES],
        security_headers=SECURITY_HEADERS,
    )
    return environment.get_template("nginx.conf.j2").render(**context)


def write(config: GatewayConfig, path: Path) -> Path:
    """Render into `path` and create the directories the configuration names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(config))
    runtime = Path(config.runtime_dir)
    for directory in (runtime, runtime / "cache", Path(config.temp_dir or runtime / "tmp")):
        directory.mkdir(parents=True, exist_ok=True)
    return path


def check(path: Path, *, nginx: str = "nginx", error_log: Path | None = None) -> None:
    """`nginx -t` on a rendering; raises with nginx's own words when it is refused."""
    command = [nginx, "-t", "-q", "-c", str(path)]
    if error_log is not None:
        command += ["-e", str(error_log)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ValueError(result.stderr.strip())


def make_self_signed_certificate(directory: Path, *, days: int = 30) -> Tls:
    """A certificate for localhost and 127.0.0.1, for local use only; kept if present."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    certificate, key_file = directory / "tls.crt", directory / "tls.key"
    if certificate.exists() and key_file.exists():
        return Tls(str(certificate), str(key_file))
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Tls(str(certificate), str(key_file))
