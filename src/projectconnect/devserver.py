"""The embedded mode: both services and the front end in one process, on SQLite files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from alembic import command

from projectconnect.auth import api as auth_api
from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.app import AuthRuntime
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.bus import InProcessBus
from projectconnect.infra.cache import MemoryCache
from projectconnect.infra.config import HttpSettings, ServiceSettings
from projectconnect.infra.http import ServiceApp, compose_app
from projectconnect.infra.mailer import MailSettings
from projectconnect.infra.static import FrontendMount
from projectconnect.infra.tokens import StaticKeySource, ensure_private_key_file
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.app import PUBLIC_PREFIXES as PROJECTS_PREFIXES
from projectconnect.projects.app import ROUTERS as PROJECTS_ROUTERS
from projectconnect.projects.app import ProjectsRuntime
from projectconnect.projects.settings import ProjectsSettings

S = TypeVar("S", bound=ServiceSettings)

DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend" / "dist"


@dataclass(frozen=True, slots=True)
class DataDir:
    """Where the embedded mode keeps its state: two SQLite files, the signing key, mail."""

    root: Path

    @property
    def auth_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.root / 'auth.db'}"

    @property
    def projects_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.root / 'projects.db'}"

    @property
    def signing_key(self) -> Path:
        return self.root / "signing-key.pem"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail"

    def auth_settings(self, public_url: str | None = None) -> AuthSettings:
        """Auth's settings; mailed links lead to PUBLIC_URL, else to `public_url`."""
        settings = AuthSettings(database_url=self.auth_url, private_key_file=self.signing_key)
        return _leading_to(settings, public_url)

    def mail_settings(self) -> MailSettings:
        """MAIL_*; without an SMTP server, mail is written to `mail/` as .eml files."""
        settings = MailSettings()
        if not settings.configured:
            settings = settings.model_copy(update={"dir": self.mail_dir})
        return settings

    def projects_settings(self, public_url: str | None = None) -> ProjectsSettings:
        """The projects service's settings; mailed links lead as auth's do."""
        return _leading_to(ProjectsSettings(database_url=self.projects_url), public_url)

    def prepare(self) -> None:
        """Create the directory and key if needed and bring both databases to head."""
        self.root.mkdir(parents=True, exist_ok=True)
        ensure_private_key_file(self.signing_key)
        command.upgrade(AUTH_MIGRATIONS.config(self.auth_url), "head")
        command.upgrade(PROJECTS_MIGRATIONS.config(self.projects_url), "head")


def _leading_to(settings: S, public_url: str | None) -> S:
    """`settings` whose mailed links lead to PUBLIC_URL, else to `public_url` (the browsed one)."""
    if settings.public_url is None and public_url is not None:
        return settings.model_copy(update={"public_url": public_url})
    return settings


def create_embedded_app(
    auth_settings: AuthSettings,
    projects_settings: ProjectsSettings,
    *,
    frontend_dir: Path | None = DEFAULT_FRONTEND_DIR,
    http: HttpSettings | None = None,
    mail: MailSettings | None = None,
) -> ServiceApp:
    """Both services composed in one app; the projects side asks auth in-process.

    Mail is delivered in the process as MAIL_* (or `mail`) say; with neither an SMTP
    server nor a directory it waits in the mail outbox.

    With no gateway in front, metrics and API documents answer this machine only, unless
    HTTP_PUBLIC_INTERNALS says otherwise.
    """
    # Without Redis both services share one in-process cache.
    memory = MemoryCache(max_bytes=projects_settings.cache_memory_max_bytes)
    auth = AuthRuntime(auth_settings, memory=memory, mail=mail)
    projects = ProjectsRuntime(
        projects_settings,
        keys=StaticKeySource(auth.signer.jwks()),
        sessions=auth.service.sessions,
        memory=memory,
    )
    # The same outbox and handler as in production, joined by an in-process bus.
    mailer = auth.mailer()
    to_mailer = InProcessBus(mailer.dispatcher()) if mailer is not None else None
    auth.publish_to(InProcessBus(projects.events), mail=to_mailer)
    if to_mailer is not None:
        projects.publish_mail_to(to_mailer)
    app = compose_app(
        # Auth last: it closes first, stopping the relay before the handler's database goes.
        [projects, auth],
        [auth_api.router, *PROJECTS_ROUTERS],
        title="Project Connect",
        description="The auth and projects services in one process (embedded mode).",
        count_statements=auth_settings.expose_sql_count or projects_settings.expose_sql_count,
        http=http,
        loopback_internals=True,
    )
    if frontend_dir is not None and (frontend_dir / "index.html").is_file():
        app.router.routes.append(
            FrontendMount(
                frontend_dir,
                api_prefixes=("auth", *PROJECTS_PREFIXES, "health", "metrics"),
            )
        )
    return app
