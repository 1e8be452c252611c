"""The container images and docker-compose.yml, checked offline (no Docker engine needed).

`make compose-test` (tests/compose_stack/) builds them and runs the stack for real; what
is here fails fast, in `make test`, on what can be seen without an engine.

- hadolint on every Dockerfile (warnings fail; an inline ignore must say why);
- docker-compose.yml against the compose-spec schema (check-jsonschema);
- cross-checks that would otherwise fail only on a running stack: the commands the images
  and compose run are the ones `projectconnect.stack.Stack` runs in the integration tests;
  every setting a process reads (taken from the pydantic settings classes) is provided;
  build contexts and COPY sources exist and pass .dockerignore; health checks use commands
  their image has; ports agree with the gateway's rendering and Prometheus's targets;
  every `${VAR:?...}` is in .env.example;
- the front end's nginx configuration, served by a real nginx (Debian's, as for the gateway
  tests) on a fake build.

A missing tool (hadolint, check-jsonschema, nginx) skips its tests loudly, or fails them with
CI=true (tests/support/services.py).

Helpers here are shared with test_kubernetes.py; none of their names starts with `test`.
"""

from __future__ import annotations

import gzip
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from unittest import mock
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from pydantic_settings import BaseSettings

from projectconnect import stack as stack_module
from projectconnect.auth.settings import AuthSettings
from projectconnect.cli import MigrationTarget
from projectconnect.gateway import GatewayConfig
from projectconnect.infra.config import BrokerSettings, DatabaseSettings, HttpSettings
from projectconnect.infra.logs import LogSettings
from projectconnect.infra.mailer import MailSettings
from projectconnect.infra.tracing import TracingSettings
from projectconnect.launcher import Running
from projectconnect.projects.settings import ProjectsSettings
from projectconnect.stack import free_port
from tests.compose_stack.images import (
    STAND_IN_FOR,
    STAND_INS,
    split_reference,
    third_party_images,
)
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
DOCKER_DIR = ROOT / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER_DIR.glob("*.Dockerfile"))
FRONTEND_NGINX_CONF = DOCKER_DIR / "frontend.nginx.conf"
GATEWAY_RUNTIME_SCRIPT = DOCKER_DIR / "gateway-runtime-dir.sh"
POSTGRES_INIT = ROOT / "deploy" / "postgres" / "initdb" / "10-projectconnect.sh"
RABBITMQ_PLUGINS = ROOT / "deploy" / "rabbitmq" / "enabled_plugins"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA_DASHBOARD_PROVIDERS = (
    ROOT / "deploy" / "grafana" / "provisioning" / "dashboards" / "projectconnect.yml"
)
COLLECTOR_CONFIG = ROOT / "deploy" / "otel" / "collector.yaml"
FRONTEND_PACKAGE = ROOT / "frontend" / "package.json"

PROJECTCONNECT = "projectconnect"
# The images built from this repository, by their name without tag.
OUR_IMAGES = frozenset(
    f"projectconnect/{name}" for name in ("auth", "projects", "worker", "frontend", "gateway")
)


# ============================================================================ tools


def tool(name: str) -> str:
    """A command-line tool from the project's virtual environment, else from PATH."""
    local = ROOT / ".venv" / "bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        require(name, FileNotFoundError(f"{name} is not installed (make install)"))
        raise AssertionError("require() skips or fails")  # pragma: no cover
    return found


def run_tool(args: Sequence[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


# ============================================================================ YAML


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return cast(dict[str, Any], document)


def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


def compose_services() -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], compose()["services"])


def compose_environment(service: Mapping[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) for item in raw)
        return dict(pairs)
    return {str(k): str(v) for k, v in raw.items()}


def image_name(image: str) -> str:
    """An image reference without tag or digest (the tag may be a compose interpolation)."""
    without_digest = re.sub(r"\$\{[^}]*\}", "interpolated", image).split("@", 1)[0]
    last = without_digest.rsplit("/", 1)[-1]
    if ":" in last:
        without_digest = without_digest[: without_digest.rfind(":")]
    return without_digest


def volume_parts(volume: object) -> tuple[str, str]:
    """A compose volume's source and target (short syntax; the source may interpolate)."""
    match = re.fullmatch(r"((?:\$\{[^}]*\}|[^:$])+):([^:]+)(?::\w+)?", str(volume))
    assert match, f"unexpected volume {volume}"
    return match.group(1), match.group(2)


def image_tag(image: str) -> str:
    name = image_name(image)
    return image[len(name) + 1 :] if len(image) > len(name) else ""


def tmpfs_mounts(service: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """A service's tmpfs mounts (short syntax `PATH[:OPTION=VALUE,...]`) and their options."""
    mounts: dict[str, dict[str, str]] = {}
    for entry in service.get("tmpfs") or []:
        path, _, options = str(entry).partition(":")
        mounts[path] = dict(o.partition("=")[::2] for o in options.split(",") if o)
    return mounts


# ============================================================================ Dockerfiles


@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str] | None:
        text = self.args.strip()
        if text.startswith("["):
            value = json.loads(text)
            assert isinstance(value, list)
            return [str(v) for v in value]
        return None

    def flags(self) -> tuple[dict[str, str], str]:
        """`--name=value` options at the start, and the rest."""
        options: dict[str, str] = {}
        rest = self.args.strip()
        while rest.startswith("--"):
            token, _, rest = rest.partition(" ")
            name, _, value = token[2:].partition("=")
            options.setdefault(name, value)
            if name == "mount":
                options[f"mount:{value}"] = value
            rest = rest.strip()
        return options, rest


@dataclass
class Stage:
    name: str | None
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    path: Path
    stages: list[Stage]
    global_args: dict[str, str]
    raw_lines: list[str]

    def stage(self, name: str) -> Stage:
        for candidate in self.stages:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.path.name} has no stage {name!r}")

    def chain(self, target: str | None) -> list[Stage]:
        """The stages a target is built on, the external base's child first."""
        stage = self.stage(target) if target else self.stages[-1]
        chain = [stage]
        names = {s.name for s in self.stages if s.name}
        while chain[0].base in names:
            chain.insert(0, self.stage(chain[0].base))
        return chain

    def external_base(self, target: str | None) -> str:
        return self.chain(target)[0].base

    def last(self, target: str | None, keyword: str) -> Instruction | None:
        found: Instruction | None = None
        for stage in self.chain(target):
            for instruction in stage.all(keyword):
                found = instruction
        return found

    def command(self, target: str | None) -> tuple[list[str], list[str]]:
        """ENTRYPOINT and CMD in effect for a target (exec form only)."""
        entrypoint: list[str] = []
        cmd: list[str] = []
        for stage in self.chain(target):
            for instruction in stage.instructions:
                if instruction.keyword == "ENTRYPOINT":
                    entrypoint = instruction.exec_form() or []
                    cmd = []  # a new ENTRYPOINT resets an inherited CMD
                elif instruction.keyword == "CMD":
                    cmd = instruction.exec_form() or []
        return entrypoint, cmd

    def exposed(self, target: str | None) -> set[int]:
        ports: set[int] = set()
        for stage in self.chain(target):
            for instruction in stage.all("EXPOSE"):
                ports |= {int(p.split("/")[0]) for p in instruction.args.split()}
        return ports

    def healthcheck(self, target: str | None) -> list[str] | None:
        instruction = self.last(target, "HEALTHCHECK")
        if instruction is None:
            return None
        _, rest = instruction.flags()
        keyword, _, command = rest.partition(" ")
        if keyword.upper() == "NONE":
            return None
        assert keyword.upper() == "CMD", instruction.args
        return Instruction("CMD", command).exec_form() or ["/bin/sh", "-c", command]

    def user(self, target: str | None) -> str | None:
        instruction = self.last(target, "USER")
        return instruction.args.strip() if instruction else None

    def env(self, target: str | None) -> dict[str, str]:
        values: dict[str, str] = {}
        for stage in self.chain(target):
            for instruction in stage.all("ENV"):
                for token in shlex.split(instruction.args):
                    name, _, value = token.partition("=")
                    values[name] = value
        return values


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and current):
            continue  # comments (also inside a continuation) and blank continuation lines
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    return lines


def parse_dockerfile(path: Path) -> Dockerfile:
    text = path.read_text(encoding="utf-8")
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    for line in _logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            base = re.sub(
                r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), words[0]
            )
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(name, base))
        elif not stages:
            if keyword == "ARG":
                name, _, default = args.partition("=")
                global_args[name.strip()] = default.strip()
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return Dockerfile(path, stages, global_args, text.splitlines())


def dockerfile_for(build: Mapping[str, Any]) -> tuple[Path, Dockerfile]:
    context = (ROOT / str(build.get("context", "."))).resolve()
    path = context / str(build.get("dockerfile", "Dockerfile"))
    return context, parse_dockerfile(path)


def copy_sources(instruction: Instruction) -> list[str]:
    options, rest = instruction.flags()
    if "from" in options:
        return []
    parts = Instruction(instruction.keyword, rest).exec_form() or rest.split()
    return parts[:-1]


# ============================================================================ .dockerignore


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """moby/patternmatcher semantics: `*` and `?` stay within a path segment, `**` spans."""
    out = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                    out += "(.*/)?"
                else:
                    out += ".*"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(f"^{out}$")


@dataclass(frozen=True)
class DockerIgnore:
    rules: tuple[tuple[bool, re.Pattern[str], str], ...]  # (negated, regex, cleaned pattern)

    @classmethod
    def load(cls, path: Path = DOCKERIGNORE) -> DockerIgnore:
        rules: list[tuple[bool, re.Pattern[str], str]] = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
            rules.append((negated, _pattern_regex(pattern), pattern))
        return cls(tuple(rules))

    def excluded(self, relative: str) -> bool:
        parts = relative.strip("/").split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = False
        for negated, regex, _ in self.rules:
            if any(regex.match(c) for c in candidates):
                excluded = not negated
        return excluded

    def may_reinclude(self, directory: str) -> bool:
        prefix = directory.strip("/") + "/"
        return any(negated and pattern.startswith(prefix) for negated, _, pattern in self.rules)

    def context_files(self, root: Path = ROOT) -> Iterator[str]:
        """The files `docker build` would send from `root`."""
        for current, dirs, files in os.walk(root):
            base = Path(current).relative_to(root).as_posix()
            base = "" if base == "." else f"{base}/"
            dirs[:] = [
                d for d in dirs if not self.excluded(base + d) or self.may_reinclude(base + d)
            ]
            for name in files:
                if not self.excluded(base + name):
                    yield base + name


# ============================================================================ settings


def settings_env(cls: type[BaseSettings]) -> dict[str, bool]:
    """Environment variable -> required (no default), for one pydantic settings class."""
    prefix = str(cls.model_config.get("env_prefix") or "")
    names: dict[str, bool] = {}
    for name, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            env = alias
        elif alias is None:
            env = f"{prefix}{name}"
        else:  # AliasChoices / AliasPath: not used by the project's settings
            raise AssertionError(f"{cls.__name__}.{name}: unsupported alias {alias!r}")
        names[env.upper()] = info.is_required()
    return names


@dataclass(frozen=True)
class Role:
    """What one kind of process reads, by the command it runs."""

    settings: tuple[type[BaseSettings], ...]
    # Required though the settings class has a default: the command refuses to start
    # without it, or the distributed deployment is wrong without it.
    also_required: frozenset[str] = frozenset()
    # Read outside the settings classes: uvicorn, the OpenTelemetry SDK.
    extra: frozenset[str] = frozenset()
    # Values every deployment of this role must have.
    fixed: Mapping[str, str] = field(default_factory=dict)
    # Read by its settings class, but unused by the command (the stack sets them anyway).
    unused: frozenset[str] = frozenset()

    def reads(self) -> set[str]:
        names: set[str] = set(self.extra)
        for cls in self.settings:
            names |= set(settings_env(cls))
        return names

    def required(self) -> set[str]:
        names: set[str] = set(self.also_required)
        for cls in self.settings:
            names |= {env for env, required in settings_env(cls).items() if required}
        return names


OBSERVABILITY = (LogSettings, TracingSettings)
OTEL_EXTRA = frozenset({"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"})
# Tracing and logs are off or plain unless these are set: every deployed process sets them.
OBSERVED = frozenset({"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "LOG_FORMAT"})
SHARED_EVENTS = frozenset({"AMQP_URL", "EVENTS_NAMESPACE"})
SHARED_CACHE = frozenset({"REDIS_URL", "CACHE_PREFIX"})
OTEL_NAMES = {
    ("serve", "auth"): "auth",
    ("serve", "projects"): "projects",
    ("relay",): "auth-relay",
    ("consume", "projects"): "projects-consumer",
    ("mailer",): "mailer",
}

ROLES: dict[tuple[str, ...], Role] = {
    ("serve", "auth"): Role(
        (AuthSettings, HttpSettings, *OBSERVABILITY),
        # AuthSettings needs one of AUTH_PRIVATE_KEY(_FILE); deployments mount a file.
        also_required=frozenset(
            {"AUTH_PRIVATE_KEY_FILE", "FORWARDED_ALLOW_IPS", "AUTH_RUN_RELAY"}
            | SHARED_EVENTS
            | SHARED_CACHE
            | OBSERVED
        ),
        extra=OTEL_EXTRA | {"FORWARDED_ALLOW_IPS", "PROMETHEUS_MULTIPROC_DIR"},
        fixed={"AUTH_RUN_RELAY": "false"},
    ),
    ("serve", "projects"): Role(
        (ProjectsSettings, HttpSettings, *OBSERVABILITY),
        # `serve projects` refuses to start without JWKS_URL.
        also_required=frozenset(
            {"JWKS_URL", "FORWARDED_ALLOW_IPS", "PROJECTS_RUN_CONSUMER"}
            | SHARED_EVENTS
            | SHARED_CACHE
            | OBSERVED
        ),
        extra=OTEL_EXTRA | {"FORWARDED_ALLOW_IPS", "PROMETHEUS_MULTIPROC_DIR"},
        fixed={"PROJECTS_RUN_CONSUMER": "false"},
    ),
    ("relay",): Role(
        (DatabaseSettings, BrokerSettings, *OBSERVABILITY),
        also_required=SHARED_EVENTS | OBSERVED,
        extra=OTEL_EXTRA,
    ),
    ("consume", "projects"): Role(
        (ProjectsSettings, BrokerSettings, *OBSERVABILITY),
        # The handler invalidates the projects read cache: it needs the services' Redis.
        also_required=SHARED_EVENTS | SHARED_CACHE | OBSERVED,
        extra=OTEL_EXTRA,
        # cli.consume builds ProjectsSettings but verifies no token and is the consumer.
        unused=frozenset({"JWKS_URL", "PROJECTS_RUN_CONSUMER"}),
    ),
    ("mailer",): Role(
        (MailSettings, BrokerSettings, *OBSERVABILITY),
        # Without an SMTP server or a directory the command refuses to start.
        also_required=SHARED_EVENTS | OBSERVED | {"MAIL_DIR"},
        extra=OTEL_EXTRA,
    ),
    ("migrate", "auth"): Role((DatabaseSettings,)),
    ("migrate", "projects"): Role((DatabaseSettings,)),
    ("migrate", "broker"): Role((BrokerSettings,), also_required=frozenset({"EVENTS_NAMESPACE"})),
}
# Settings classes no container reads, and why.
NOT_IN_CONTAINERS = {
    "StackEnvironment": "read by `projectconnect stack` only, which passes it on",
}
SETTINGS_MODULES = (
    *(
        f"projectconnect.{path.parent.name}.settings"
        for path in sorted((ROOT / "src" / "projectconnect").glob("*/settings.py"))
    ),
    "projectconnect.infra.config",
    "projectconnect.infra.logs",
    "projectconnect.infra.tracing",
)


def settings_classes() -> dict[str, type[BaseSettings]]:
    """Every pydantic settings class the project defines in its settings modules."""
    found: dict[str, type[BaseSettings]] = {}
    for module_name in SETTINGS_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value.__module__ == module_name
            ):
                found[name] = value
    return found


def normalise(args: Sequence[str]) -> tuple[str, ...]:
    """A projectconnect command without where it listens (ports differ by design)."""
    out: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--host":
            next(items, None)
        elif arg in ("--port", "--metrics-port"):
            next(items, None)
            out.append(f"{arg}=<port>")
        else:
            out.append(arg)
    return tuple(out)


def role_key(args: Sequence[str]) -> tuple[str, ...]:
    positional = [a for a in normalise(args) if not a.startswith("--")]
    for length in (2, 1):
        if tuple(positional[:length]) in ROLES:
            return tuple(positional[:length])
    raise AssertionError(f"no role for `projectconnect {' '.join(args)}`")


def option(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


# ============================================================================ the one-host stack


@dataclass(frozen=True)
class StackRecord:
    """What `projectconnect stack` runs: process commands and environments, migrations."""

    processes: dict[str, tuple[list[str], dict[str, str]]]
    migrations: frozenset[str]


def record_stack(runtime_dir: Path) -> StackRecord:
    """Drive Stack.prepare and Stack.start with the side effects recorded, not performed."""
    processes: dict[str, tuple[list[str], dict[str, str]]] = {}
    migrations: set[str] = set()

    class RecordingStack(stack_module.Stack):
        def _projectconnect(
            self, name: str, args: list[str], env: Mapping[str, str], port: int | None = None
        ) -> stack_module.Child:
            processes[name] = (list(args), dict(env))
            process = cast("Running", SimpleNamespace(pid=0))
            log = self.runtime / f"{name}.log"
            return stack_module.Child(name, lambda: process, process, log, port)

        def _wait_ready(self, children: list[stack_module.Child], timeout: float = 60) -> None:
            return None

        def start_gateway(
            self, auth_ports: list[int], projects_ports: list[int]
        ) -> stack_module.Child:
            process = cast("Running", SimpleNamespace(pid=0))
            log = self.runtime / "gateway.log"
            return stack_module.Child("gateway", lambda: process, process, log)

    def upgrade(config: Any, revision: str) -> None:
        migrations.add(str(config.attributes["tree"].name))

    async def declare_topology(url: str, topology: Any) -> None:
        migrations.add("broker")

    async def ensure_database(admin_url: str, name: str) -> None:
        return None

    options = stack_module.StackOptions(runtime_dir=runtime_dir)
    with (
        mock.patch.dict(os.environ, {}, clear=True),
        mock.patch.object(stack_module, "command", SimpleNamespace(upgrade=upgrade)),
        mock.patch.object(stack_module, "declare_topology", declare_topology),
        mock.patch.object(stack_module, "_ensure_database", ensure_database),
        mock.patch.object(stack_module, "ensure_private_key_file", lambda path: path),
    ):
        RecordingStack(options).start()
    return StackRecord(processes, frozenset(migrations))


def stack_commands(record: StackRecord) -> set[tuple[str, ...]]:
    return {normalise(args) for args, _ in record.processes.values()}


def stack_environment(record: StackRecord, role: tuple[str, ...]) -> dict[str, str]:
    for args, env in record.processes.values():
        if role_key(args) == role:
            return env
    raise AssertionError(f"the stack runs no {' '.join(role)}")


# ============================================================================ compose processes


@dataclass(frozen=True)
class Process:
    """A container that runs `projectconnect ...`, wherever it is declared."""

    name: str
    args: list[str]  # after `projectconnect`
    env: dict[str, str]

    @property
    def role(self) -> tuple[str, ...]:
        return role_key(self.args)


def compose_builds() -> dict[str, Mapping[str, Any]]:
    """Image name -> its build section, from the services that build our images."""
    builds: dict[str, Mapping[str, Any]] = {}
    for service in compose_services().values():
        if "build" in service:
            builds[image_name(str(service["image"]))] = service["build"]
    return builds


def image_command(image: str) -> tuple[list[str], list[str]]:
    build = compose_builds()[image_name(image)]
    _, dockerfile = dockerfile_for(build)
    return dockerfile.command(build.get("target"))


def compose_argv(service: Mapping[str, Any]) -> list[str]:
    entrypoint, cmd = image_command(str(service["image"]))
    if "entrypoint" in service:
        entrypoint, cmd = list(service["entrypoint"]), []
    if "command" in service:
        cmd = list(service["command"])
    return [*entrypoint, *cmd]


def compose_processes() -> list[Process]:
    processes = []
    for name, service in compose_services().items():
        if image_name(str(service.get("image", ""))) not in OUR_IMAGES:
            continue
        argv = compose_argv(service)
        if argv[:1] == [PROJECTCONNECT]:
            processes.append(Process(name, argv[1:], compose_environment(service)))
    return processes


# ============================================================================ tests: settings


def test_every_settings_class_belongs_to_a_process() -> None:
    classes = settings_classes()
    assert {"AuthSettings", "ProjectsSettings", "DatabaseSettings"} <= set(classes)
    used = {cls for role in ROLES.values() for cls in role.settings}
    for name, cls in classes.items():
        if name in NOT_IN_CONTAINERS:
            continue
        assert any(issubclass(u, cls) for u in used), (
            f"{name} is read by some command: add it to ROLES in {Path(__file__).name}"
        )
    # Each variable name is derived from the class, and no two fields of one role collide.
    for key, role in ROLES.items():
        names = [n for cls in role.settings for n in settings_env(cls)]
        shared = {"DATABASE_URL", "AMQP_URL", "EVENTS_NAMESPACE"}
        duplicates = {n for n in names if names.count(n) > 1} - shared
        assert not duplicates, (key, duplicates)


# ============================================================================ tests: hadolint


def test_there_is_a_dockerfile_per_image() -> None:
    assert {p.name for p in DOCKERFILES} == {
        "python.Dockerfile",
        "frontend.Dockerfile",
        "gateway.Dockerfile",
    }


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint(path: Path) -> None:
    hadolint = tool("hadolint")
    result = run_tool([hadolint, "--failure-threshold", "warning", "--no-color", str(path)])
    assert result.returncode == 0, f"hadolint {path.name}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_ignores_are_explained(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            previous = lines[number - 1].strip() if number else ""
            why = f"{path.name}:{number + 1}: say why on the comment line above the ignore"
            assert previous.startswith("#"), why
            assert "hadolint" not in previous, why


# ============================================================================ tests: images


PINNED = re.compile(r"^[\w./-]+:v?\d+\.\d+\.\d+(-[\w.-]+)?$")
EXPECTED_BASES = {
    "python": re.compile(r"^python:3\.11\.\d+-slim-bookworm$"),
    "node": re.compile(r"^node:20\.\d+\.\d+-bookworm-slim$"),
    "nginxinc/nginx-unprivileged": re.compile(r"^nginxinc/nginx-unprivileged:1\.27\.\d+-alpine$"),
}


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned_slim_versions(path: Path) -> None:
    dockerfile = parse_dockerfile(path)
    stage_names = {s.name for s in dockerfile.stages}
    for stage in dockerfile.stages:
        if stage.base in stage_names:
            continue
        assert PINNED.match(stage.base), f"{path.name}: {stage.base} is not pinned to a version"
        expected = EXPECTED_BASES.get(image_name(stage.base))
        if expected is not None:
            assert expected.match(stage.base), f"{path.name}: unexpected base {stage.base}"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_no_dockerfile_pulls_a_frontend_image(path: Path) -> None:
    """A `# syntax=` directive makes every build pull its frontend from a registry."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert not re.match(r"#\s*syntax\s*=", first, re.IGNORECASE), f"{path.name}: {first}"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_every_external_base_image_is_a_build_argument(path: Path) -> None:
    """So a build can be pointed at a mirror or a local copy without editing the file."""
    stage_names = {s.name for s in parse_dockerfile(path).stages}
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        words = [w for w in line.split() if not w.startswith("--")]
        if words[0].upper() == "FROM" and words[1] not in stage_names:
            assert re.fullmatch(r"\$\{\w+\}", words[1]), f"{path.name}: {line}"


def test_uv_is_the_version_the_makefile_installs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", makefile, re.MULTILINE)
    assert match, "Makefile: UV_VERSION"
    for path in DOCKERFILES:
        for stage in parse_dockerfile(path).stages:
            if image_name(stage.base) == "ghcr.io/astral-sh/uv":
                assert image_tag(stage.base) == match.group(1), f"{path.name}: {stage.base}"


def test_python_dependencies_come_from_the_lockfile_in_their_own_layer() -> None:
    dockerfile = parse_dockerfile(DOCKER_DIR / "python.Dockerfile")
    build = dockerfile.stage("build")
    steps = [(i.keyword, i.args) for i in build.instructions if i.keyword in ("COPY", "RUN")]
    deps = next(n for n, (k, a) in enumerate(steps) if "--no-install-project" in a)
    project = next(n for n, (k, a) in enumerate(steps) if k == "COPY" and "src" in a.split())
    install = next(
        n
        for n, (k, a) in enumerate(steps)
        if k == "RUN" and "uv sync" in a and "--no-install-project" not in a
    )
    assert deps < project < install, steps
    # Only the lockfile and the metadata are copied before the dependency layer.
    copied_before = [a for k, a in steps[:deps] if k == "COPY" and not a.startswith("--from")]
    assert copied_before == ["pyproject.toml uv.lock ./"], copied_before
    for _keyword, args in (steps[deps], steps[install]):
        assert "--frozen" in args, args
        assert "--no-dev" in args, args
        assert "--mount=type=cache" in args, f"no uv cache mount: {args}"
    # The final stage carries the environment, not uv or the sources.
    runtime = dockerfile.stage("runtime")
    copies = [i.args for i in runtime.all("COPY")]
    assert copies == ["--from=build --chown=root:root /app/.venv /app/.venv"], copies


def test_frontend_is_built_from_its_lockfile() -> None:
    dockerfile = parse_dockerfile(DOCKER_DIR / "frontend.Dockerfile")
    build = dockerfile.stage("build")
    steps = [(i.keyword, i.args) for i in build.instructions if i.keyword in ("COPY", "RUN")]
    assert steps[0] == ("COPY", "frontend/package.json frontend/package-lock.json ./")
    assert steps[1][0] == "RUN", steps[1]
    assert steps[1][1].split()[-2:] == ["npm", "ci"], steps[1]
    assert steps[2] == ("COPY", "frontend/ ./")
    assert "npm run build" in steps[3][1]
    final = dockerfile.stage("frontend")
    assert [i.args for i in final.all("COPY") if "--from=build" in i.args] == [
        "--from=build /frontend/dist /usr/share/projectconnect/www"
    ]
    assert "root /usr/share/projectconnect/www;" in FRONTEND_NGINX_CONF.read_text()


def image_targets() -> list[tuple[str, Mapping[str, Any]]]:
    return sorted(compose_builds().items())


@pytest.mark.parametrize(("image", "build"), image_targets(), ids=lambda v: str(v))
def test_images_run_as_an_unprivileged_user(image: str, build: Mapping[str, Any]) -> None:
    _, dockerfile = dockerfile_for(build)
    user = dockerfile.user(build.get("target"))
    assert user is not None, f"{image}: no USER"
    assert user.split(":")[0] not in {"root", "0"}, f"{image}: runs as {user}"
    assert user.split(":")[0].isdigit(), f"{image}: a numeric USER lets runAsNonRoot check it"


def test_no_secrets_in_images() -> None:
    for path in DOCKERFILES:
        dockerfile = parse_dockerfile(path)
        for stage in dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword in ("ENV", "ARG", "LABEL"):
                    assert not re.search(
                        r"(PASSWORD|SECRET|TOKEN|PRIVATE_KEY)\b", instruction.args, re.I
                    ), f"{path.name}: {instruction.keyword} {instruction.args}"
                if instruction.keyword in ("COPY", "ADD"):
                    for source in copy_sources(instruction):
                        assert not re.search(r"\.(pem|key|crt)$|\.env$|tls|secret", source), (
                            f"{path.name}: copies {source}"
                        )


# Commands each base image family has, for health checks and preStop hooks. The Python
# images run the virtual environment's python (first on PATH); busybox gives the alpine
# images wget and sleep.
IMAGE_COMMANDS: dict[str, set[str]] = {
    "python": {"python", "sleep", "sh"},
    "nginxinc/nginx-unprivileged": {"wget", "sleep", "sh", "nginx"},
    "postgres": {"pg_isready", "psql", "sh"},
    "redis": {"redis-cli", "sh", "grep"},
    "rabbitmq": {"rabbitmq-diagnostics", "sh"},
    "prom/prometheus": {"wget", "sh"},
    "grafana/grafana": {"wget", "curl", "sh"},
}


def healthcheck_commands(test: Sequence[str]) -> set[str]:
    kind, *rest = test
    if kind == "CMD":
        return {rest[0]}
    if kind == "CMD-SHELL":
        return {segment.split()[0] for segment in re.split(r"\|\||&&|\||;", rest[0])}
    raise AssertionError(f"unexpected health check {test}")


@pytest.mark.parametrize(("image", "build"), image_targets(), ids=lambda v: str(v))
def test_image_healthcheck_uses_a_command_the_image_has(
    image: str, build: Mapping[str, Any]
) -> None:
    _, dockerfile = dockerfile_for(build)
    target = build.get("target")
    check = dockerfile.healthcheck(target)
    assert check is not None, f"{image}: no HEALTHCHECK"
    family = image_name(dockerfile.external_base(target))
    assert check[0] in IMAGE_COMMANDS[family], f"{image}: {check[0]} is not in {family}"
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/.-]*)", " ".join(check))
    assert url, f"{image}: the health check asks no local URL: {check}"
    assert int(url.group(1)) in dockerfile.exposed(target), f"{image}: {check}"
    if family == "python":
        assert dockerfile.env(target)["PATH"].startswith("/app/.venv/bin:"), image
        argv = [*dockerfile.command(target)[0], *dockerfile.command(target)[1]]
        if argv[1:2] == ["serve"]:
            assert url.group(2) == "/health/live", check
            assert option(argv, "--port") == url.group(1), (argv, check)


def test_compose_healthchecks_use_commands_their_images_have() -> None:
    for name, service in compose_services().items():
        check = service.get("healthcheck")
        if not check or check.get("disable"):
            continue
        family = image_name(str(service["image"]))
        assert family in IMAGE_COMMANDS, f"{name}: no known commands for {family}"
        missing = healthcheck_commands(check["test"]) - IMAGE_COMMANDS[family]
        assert not missing, f"{name}: {missing} not in {family}"


def test_gateway_runtime_dir_script_matches_the_compose_rendering() -> None:
    config = GatewayConfig.for_compose()
    script = GATEWAY_RUNTIME_SCRIPT.read_text(encoding="utf-8")
    assert f"runtime={config.runtime_dir}\n" in script
    assert config.cache_dir == f"{config.runtime_dir}/cache"
    assert 'mkdir -p "$runtime/cache"' in script
    assert config.writes_socket == f"{config.runtime_dir}/writes.sock"
    assert 'rm -f "$runtime/writes.sock"' in script
    result = run_tool(["sh", "-n", str(GATEWAY_RUNTIME_SCRIPT)])
    assert result.returncode == 0, result.stderr
    gateway = parse_dockerfile(DOCKER_DIR / "gateway.Dockerfile")
    final = gateway.stage("gateway")
    runs = " ".join(i.args for i in final.all("RUN"))
    made = re.search(r"install -d -o (\d+) [^&]*?((?:\s+/var/cache/nginx/\S+)+)", runs)
    assert made, runs
    assert made.group(1) == gateway.user("gateway"), "the runtime dir is nginx's user's"
    assert {config.runtime_dir, config.cache_dir} <= set(made.group(2).split()), runs
    copies = " ".join(i.args for i in final.all("COPY"))
    assert "/docker-entrypoint.d/" in copies
    assert "--chmod=0755" in copies
    # /var/run is root's: the rendering puts the pid file where the image's user can write.
    assert config.pid_file is not None
    assert config.pid_file.startswith(config.runtime_dir)
    _, cmd = gateway.command("gateway")
    assert cmd == ["nginx", "-g", "daemon off;"], cmd
    assert {config.http_port, config.https_port, config.status_port} <= gateway.exposed("gateway")


def test_the_gateway_cache_tmpfs_belongs_to_nginx() -> None:
    """nginx (the image's user) makes its cache and temporary directories in the tmpfs."""
    gateway = parse_dockerfile(DOCKER_DIR / "gateway.Dockerfile")
    user = gateway.user("gateway")
    options = tmpfs_mounts(compose_services()["gateway"])["/var/cache/nginx"]
    assert options.get("uid") == user, f"tmpfs /var/cache/nginx is not owned by {user}: {options}"
    assert options.get("gid") == user, options
    assert int(options.get("mode", "1777"), 8) & 0o700 == 0o700, options


def test_the_gateway_templates_ship_in_the_wheel(tmp_path: Path) -> None:
    """The gateway image renders from an installed wheel, which has no deploy/ beside it."""
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        require("uv", FileNotFoundError("uv is not installed (make install)"))
    built = run_tool([str(uv), "build", "--wheel", "--out-dir", str(tmp_path)], timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("projectconnect-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    rendering = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-c",
            "import projectconnect.gateway as g; print(g.__file__);"
            "print(g.render(g.GatewayConfig.for_compose()))",
        ],
        # The wheel's copy first; a checkout's deploy/ is out of its reach there.
        env={**os.environ, "PYTHONPATH": str(installed)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rendering.returncode == 0, rendering.stderr
    module, _, config = rendering.stdout.partition("\n")
    assert Path(module).is_relative_to(installed), module
    assert "upstream pc_auth" in config, config[:500]
    assert "server auth:8000" in config, config[:500]


def test_every_third_party_image_has_a_stand_in() -> None:
    """`make compose-test` runs without a registry: each image not built here is stood in for."""
    references = third_party_images()
    assert "postgres:17.6-bookworm" in references, references
    for reference in references:
        name, _ = split_reference(reference)
        assert name in STAND_IN_FOR, f"{reference}: no stand-in in {STAND_INS}"
        assert (STAND_INS / STAND_IN_FOR[name].directory / "Dockerfile").is_file(), reference


# ============================================================================ tests: build inputs


@pytest.mark.parametrize(("image", "build"), image_targets(), ids=lambda v: str(v))
def test_build_context_and_copied_paths_exist(image: str, build: Mapping[str, Any]) -> None:
    context, dockerfile = dockerfile_for(build)
    assert context.is_dir(), f"{image}: no context {context}"
    assert dockerfile.path.is_file(), f"{image}: no {dockerfile.path}"
    if build.get("target"):
        dockerfile.stage(str(build["target"]))
    ignore = DockerIgnore.load(context / ".dockerignore")
    missing_frontend: list[str] = []
    for stage in dockerfile.chain(build.get("target")):
        for instruction in stage.all("COPY") + stage.all("ADD"):
            for source in copy_sources(instruction):
                relative = source.rstrip("/") or "."
                path = context / relative
                if relative.startswith("frontend/") and not FRONTEND_PACKAGE.exists():
                    missing_frontend.append(relative)
                    continue
                assert path.exists(), f"{image}: COPY {source}: no such path"
                assert not ignore.excluded(relative), f"{image}: .dockerignore drops {source}"
                if path.is_dir():
                    inside = [
                        f for f in ignore.context_files(context) if f.startswith(f"{relative}/")
                    ]
                    assert inside, f"{image}: .dockerignore drops everything in {source}"
    if missing_frontend:
        pytest.skip(f"frontend/package.json does not exist yet: {missing_frontend} unchecked")


def test_frontend_sources_are_all_under_frontend() -> None:
    dockerfile = parse_dockerfile(DOCKER_DIR / "frontend.Dockerfile")
    for stage in dockerfile.stages:
        for instruction in stage.all("COPY"):
            for source in copy_sources(instruction):
                assert source.startswith(("frontend/", "deploy/docker/")), source


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignore = DockerIgnore.load()
    for path in (
        ".env",
        ".env.production",
        "secrets/auth-signing-key.pem",
        "secrets/tls/tls.key",
        "src/projectconnect/key.pem",
        ".venv/bin/python",
        ".tools/bin/uv",
        ".git/config",
        ".stack/signing-key.pem",
        ".data/auth.db",
        "frontend/node_modules/react/index.js",
        "frontend/dist/index.html",
        "src/projectconnect/__pycache__/cli.cpython-311.pyc",
        "tests/conftest.py",
    ):
        assert ignore.excluded(path), f".dockerignore lets {path} into the build context"
    for path in ("pyproject.toml", "uv.lock", "README.md", "src/projectconnect/cli.py"):
        assert not ignore.excluded(path), path
    files = list(ignore.context_files())
    leaked = [f for f in files if re.search(r"(^|/)\.env$|\.(pem|key)$", f)]
    assert not leaked, leaked
    size = sum((ROOT / f).stat().st_size for f in files)
    assert size < 50 * 2**20, f"the build context is {size / 2**20:.1f} MiB"


# ============================================================================ tests: compose


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    checker = tool("check-jsonschema")
    result = run_tool([checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)])
    assert result.returncode == 0, f"{result.stdout}{result.stderr}"


def test_every_required_variable_is_in_env_example() -> None:
    text = "\n".join(
        line
        for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    referenced = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            example[name.strip()] = value.strip()
    assert required, "the compose file requires no secret at all?"
    assert required <= set(example), f"not in .env.example: {sorted(required - set(example))}"
    assert referenced <= set(example), f"undocumented: {sorted(referenced - set(example))}"
    # The example holds no secret: every password is left for the operator to fill in.
    for name in required:
        if re.search(r"PASSWORD|SECRET", name):
            assert example[name] == "", f".env.example sets {name}"


def test_compose_holds_no_literal_secrets() -> None:
    for name, service in compose_services().items():
        for key, value in compose_environment(service).items():
            if re.search(r"PASS|SECRET|TOKEN", key) and not key.endswith("_FILE"):
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value), f"{name}: {key}={value}"
            credentials = re.match(r"^\w+://[^:/@]+:([^@]*)@", value)
            if credentials:
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", credentials.group(1)), (
                    f"{name}: {key} has a literal password"
                )


def test_compose_runs_what_the_stack_runs(tmp_path: Path) -> None:
    record = record_stack(tmp_path)
    long_running = {normalise(p.args) for p in compose_processes() if p.args[0] != "migrate"}
    assert long_running == stack_commands(record)
    # Workers and services listen where compose and the gateway expect them.
    for process in compose_processes():
        if process.args[0] == "serve":
            assert option(process.args, "--host") == "0.0.0.0", process  # noqa: S104
            assert option(process.args, "--port") == "8000", process
        if process.args[0] in ("relay", "consume"):
            assert option(process.args, "--metrics-port") == "9464", process


def test_compose_migrates_what_the_stack_migrates(tmp_path: Path) -> None:
    record = record_stack(tmp_path)
    compose_migrations = {p.args[1] for p in compose_processes() if p.args[0] == "migrate"}
    assert compose_migrations == set(record.migrations) == {t.value for t in MigrationTarget}


def test_compose_gives_each_process_the_settings_it_reads(tmp_path: Path) -> None:
    record = record_stack(tmp_path)
    for process in compose_processes():
        role = ROLES[process.role]
        provided = set(process.env) | set(
            parse_dockerfile_env_for(compose_services()[process.name])
        )
        missing = role.required() - provided
        assert not missing, f"{process.name}: missing {sorted(missing)}"
        unknown = set(process.env) - role.reads()
        assert not unknown, f"{process.name}: sets {sorted(unknown)}, which it never reads"
        for key, value in role.fixed.items():
            assert process.env[key] == value, f"{process.name}: {key}={process.env[key]}"
        # What the stack gives the same process, compose gives it too (values differ by
        # place: addresses and credentials).
        if process.args[0] != "migrate":
            from_stack = (set(stack_environment(record, process.role)) & role.reads()) - role.unused
            assert from_stack <= provided, f"{process.name}: {sorted(from_stack - provided)}"


def parse_dockerfile_env_for(service: Mapping[str, Any]) -> dict[str, str]:
    build = compose_builds()[image_name(str(service["image"]))]
    _, dockerfile = dockerfile_for(build)
    return dockerfile.env(build.get("target"))


def by_role(processes: Sequence[Process]) -> dict[tuple[str, ...], Process]:
    return {p.role: p for p in processes}


def test_compose_settings_agree_between_processes() -> None:
    services = compose_services()
    processes = by_role(compose_processes())
    auth, projects = processes[("serve", "auth")], processes[("serve", "projects")]
    relay, consumer = processes[("relay",)], processes[("consume", "projects")]
    migrate_auth, migrate_projects = (
        processes[("migrate", "auth")],
        processes[("migrate", "projects")],
    )
    assert relay.env["DATABASE_URL"] == auth.env["DATABASE_URL"] == migrate_auth.env["DATABASE_URL"]
    assert (
        consumer.env["DATABASE_URL"]
        == projects.env["DATABASE_URL"]
        == migrate_projects.env["DATABASE_URL"]
    )
    assert auth.env["DATABASE_URL"] != projects.env["DATABASE_URL"]
    for key in ("AMQP_URL", "EVENTS_NAMESPACE"):
        values = {p.env[key] for p in processes.values() if key in p.env}
        assert len(values) == 1, f"{key}: {values}"
    for key in ("REDIS_URL", "CACHE_PREFIX"):
        assert auth.env[key] == projects.env[key] == consumer.env[key], key
    # The projects service fetches the keys from the auth service's own port.
    jwks = urlsplit(projects.env["JWKS_URL"])
    assert jwks.hostname == auth.name
    assert str(jwks.port) == option(compose_argv(services[auth.name])[1:], "--port")
    assert jwks.path == "/auth/.well-known/jwks.json"
    # The signing key is the compose secret mounted into auth.
    secret = Path(auth.env["AUTH_PRIVATE_KEY_FILE"])
    assert secret.parent == Path("/run/secrets")
    assert secret.name in services[auth.name]["secrets"]
    assert secret.name in compose()["secrets"]
    # The names the URLs use are services of the compose file.
    for process in processes.values():
        for key in ("DATABASE_URL", "AMQP_URL", "REDIS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            if key in process.env:
                host = urlsplit(re.sub(r"\$\{[^}]*\}", "x", process.env[key])).hostname
                assert host in services, f"{process.name}: {key} names {host}"
    # Traces are named as the processes name themselves (cli.py, docs/observability.md).
    for role, service_name in OTEL_NAMES.items():
        assert processes[role].env["OTEL_SERVICE_NAME"] == service_name, role


def test_services_trust_forwarded_headers_from_the_gateway_network_only() -> None:
    services = compose_services()
    networks = compose()["networks"]
    gateway_networks = set(services["gateway"]["networks"])
    for name in ("auth", "projects"):
        service = services[name]
        shared = gateway_networks & set(service["networks"])
        assert len(shared) == 1, f"{name} and the gateway share {shared}: one network only"
        (network,) = shared
        subnets = [c["subnet"] for c in networks[network]["ipam"]["config"]]
        assert compose_environment(service)["FORWARDED_ALLOW_IPS"] in subnets, name
    # Only the gateway and the services it proxies to are on that network.
    (edge,) = gateway_networks & set(services["auth"]["networks"])
    on_edge = {n for n, s in services.items() if edge in s.get("networks", [])}
    assert on_edge == {"gateway", "frontend", "auth", "projects"}, on_edge


def test_migrations_finish_before_what_needs_them() -> None:
    services = compose_services()
    processes = compose_processes()
    jobs = [p for p in processes if p.args[0] == "migrate"]
    for process in processes:
        if process.args[0] == "migrate":
            assert services[process.name].get("restart") == "no", process.name
            continue
        depends = services[process.name].get("depends_on", {})
        for job in jobs:
            needed = (job.args[1] == "broker" and "AMQP_URL" in process.env) or job.env.get(
                "DATABASE_URL"
            ) == process.env.get("DATABASE_URL", "-")
            if needed:
                condition = depends.get(job.name, {}).get("condition")
                assert condition == "service_completed_successfully", (
                    f"{process.name} must wait for {job.name}"
                )


def service_has_healthcheck(service: Mapping[str, Any]) -> bool:
    check = service.get("healthcheck")
    if check is not None:
        return not check.get("disable", False)
    name = image_name(str(service.get("image", "")))
    if name in compose_builds():
        build = compose_builds()[name]
        _, dockerfile = dockerfile_for(build)
        return dockerfile.healthcheck(build.get("target")) is not None
    return False


def test_depends_on_conditions_can_be_met() -> None:
    services = compose_services()
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert service_has_healthcheck(services[dependency]), (
                    f"{name} waits for {dependency} to be healthy; it has no health check"
                )
            if condition == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency


def test_the_services_scale_behind_the_gateway() -> None:
    services = compose_services()
    for name, service in services.items():
        assert "container_name" not in service, f"{name}: container_name stops --scale"
    for name in ("auth", "projects", "relay", "consumer", "frontend"):
        assert "ports" not in services[name], f"{name}: a host port stops --scale"
    published = {str(p).rsplit(":", 1)[-1] for s in services.values() for p in s.get("ports", [])}
    assert "8081" not in published, "stub_status is never published"


def service_ports(service: Mapping[str, Any]) -> set[int]:
    ports = {int(p) for p in service.get("expose", [])}
    name = image_name(str(service.get("image", "")))
    if name in compose_builds():
        build = compose_builds()[name]
        _, dockerfile = dockerfile_for(build)
        ports |= dockerfile.exposed(build.get("target"))
    return ports


def test_ports_agree_with_the_gateway_rendering() -> None:
    config = GatewayConfig.for_compose()
    services = compose_services()
    for upstream, servers in config.upstreams.items():
        assert servers, upstream
        for server in servers:
            host, _, port = server.rpartition(":")
            assert host in services, f"{upstream}: {host} is not a compose service"
            assert int(port) in service_ports(services[host]), f"{server} is not exposed"
            argv = compose_argv(services[host])
            if argv[:1] == [PROJECTCONNECT]:
                assert option(argv, "--port") == port, (server, argv)
    assert "listen 8080;" in FRONTEND_NGINX_CONF.read_text(encoding="utf-8")
    gateway = services["gateway"]
    published = {str(p).rsplit(":", 1)[-1] for p in gateway["ports"]}
    assert published == {str(config.http_port), str(config.https_port)}
    assert config.tls is not None
    tls_dir = str(Path(config.tls.certificate).parent)
    assert Path(config.tls.key).parent == Path(tls_dir)
    mounts = [volume_parts(v)[1] for v in gateway["volumes"]]
    assert tls_dir in mounts, f"the gateway reads TLS from {tls_dir}: {mounts}"
    assert config.runtime_dir.startswith("/var/cache/nginx/")
    assert "/var/cache/nginx" in tmpfs_mounts(gateway)
    scrape = next(a for a in services["nginx-exporter"]["command"] if "scrape-uri" in a)
    assert scrape.endswith(f"=http://gateway:{config.status_port}/stub_status"), scrape
    assert set(services["nginx-exporter"]["networks"]) & set(gateway["networks"])


def test_prometheus_targets_are_compose_services() -> None:
    services = compose_services()
    config = load_yaml(PROMETHEUS_CONFIG)
    targets = [
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    ]
    targets += [
        target
        for manager in config["alerting"]["alertmanagers"]
        for static in manager["static_configs"]
        for target in static["targets"]
    ]
    for target in targets:
        host, _, port = target.rpartition(":")
        assert host in services, f"Prometheus scrapes {target}: no such service"
        assert int(port) in service_ports(services[host]), f"{target} is not exposed"
        assert set(services[host]["networks"]) & set(services["prometheus"]["networks"]), target


def test_bind_mounts_exist_and_state_lives_in_named_volumes() -> None:
    document = compose()
    declared = set(document["volumes"])
    used: set[str] = set()
    for name, service in document["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume_parts(volume)
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            elif not source.startswith("${"):
                assert source in declared, f"{name}: {source} is not a named volume"
                used.add(source)
    assert used == declared
    for service, target in (
        ("postgres", "/var/lib/postgresql/data"),
        ("rabbitmq", "/var/lib/rabbitmq"),
        ("prometheus", "/prometheus"),
        ("grafana", "/var/lib/grafana"),
    ):
        targets = {volume_parts(v)[1] for v in document["services"][service]["volumes"]}
        assert target in targets, f"{service} keeps its state outside a volume"


def test_observability_mounts_match_their_configs() -> None:
    services = compose_services()
    prometheus = {volume_parts(v)[1] for v in services["prometheus"]["volumes"]}
    assert {"/etc/prometheus/prometheus.yml", "/etc/prometheus/rules"} <= prometheus
    assert load_yaml(PROMETHEUS_CONFIG)["rule_files"] == ["rules/*.yml"]
    providers = load_yaml(GRAFANA_DASHBOARD_PROVIDERS)["providers"]
    grafana = {volume_parts(v)[1]: volume_parts(v)[0] for v in services["grafana"]["volumes"]}
    for provider in providers:
        assert grafana[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    collector = load_yaml(COLLECTOR_CONFIG)
    jaeger = urlsplit(f"//{collector['exporters']['otlp/jaeger']['endpoint']}")
    assert jaeger.hostname in services
    assert jaeger.port in service_ports(services[str(jaeger.hostname)])
    mounted = {volume_parts(v)[1] for v in services["otel-collector"]["volumes"]}
    config_arg = next(a for a in services["otel-collector"]["command"] if "--config" in a)
    assert config_arg.split("=", 1)[1] in mounted
    http = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert int(http.rsplit(":", 1)[1]) in service_ports(services["otel-collector"])


def test_postgres_init_creates_what_the_services_connect_to() -> None:
    script = POSTGRES_INIT.read_text(encoding="utf-8")
    assert os.access(POSTGRES_INIT, os.X_OK), "the init script must be executable"
    assert run_tool(["sh", "-n", str(POSTGRES_INIT)]).returncode == 0
    roles = set(re.findall(r"CREATE ROLE (\w+) LOGIN", script))
    databases = dict(re.findall(r"CREATE DATABASE (\w+) OWNER (\w+);", script))
    for process in compose_processes():
        if "DATABASE_URL" in process.env:
            url = re.fullmatch(
                r"postgresql://(\w+):\$\{\w+:\?[^}]*\}@postgres:5432/(\w+)",
                process.env["DATABASE_URL"],
            )
            assert url, f"{process.name}: {process.env['DATABASE_URL']}"
            user, database = url.groups()
            assert user in roles, (process.name, user)
            assert databases.get(database) == user, (process.name, database)
    exporter = compose_environment(compose_services()["postgres-exporter"])
    assert exporter["DATA_SOURCE_USER"] in roles
    postgres = compose_environment(compose_services()["postgres"])
    for variable in re.findall(r'"\$(\w+_PASSWORD)"', script):
        assert variable in postgres, f"the init script reads {variable}; postgres lacks it"
    mounts = {volume_parts(v)[1] for v in compose_services()["postgres"]["volumes"]}
    assert "/docker-entrypoint-initdb.d" in mounts


def test_rabbitmq_has_the_management_and_prometheus_plugins() -> None:
    plugins = RABBITMQ_PLUGINS.read_text(encoding="utf-8")
    assert re.fullmatch(r"\[[\w,\s]+\]\.\s*", plugins), "enabled_plugins is an Erlang list"
    assert {"rabbitmq_management", "rabbitmq_prometheus"} <= set(re.findall(r"\w+", plugins))
    rabbitmq = compose_services()["rabbitmq"]
    mounts = {volume_parts(v)[1] for v in rabbitmq["volumes"]}
    assert "/etc/rabbitmq/enabled_plugins" in mounts
    assert 15692 in service_ports(rabbitmq)
    user = compose_environment(rabbitmq)["RABBITMQ_DEFAULT_USER"]
    for process in compose_processes():
        if "AMQP_URL" in process.env:
            assert process.env["AMQP_URL"].startswith(f"amqp://{user}:"), process.name


# ============================================================================ tests: front end


@pytest.fixture
def frontend_server(tmp_path: Path) -> Iterator[str]:
    """deploy/docker/frontend.nginx.conf on a fake build, served by this host's nginx."""
    nginx = tool("nginx")
    www = tmp_path / "www"
    (www / "assets").mkdir(parents=True)
    (www / "index.html").write_text('<!doctype html><script src="/assets/app-1a2b.js"></script>')
    script = "console.log('project connect');\n" * 200
    (www / "assets" / "app-1a2b.js").write_text(script)
    (www / "assets" / "app-1a2b.js.gz").write_bytes(gzip.compress(script.encode()))
    (www / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    port = free_port()
    text = FRONTEND_NGINX_CONF.read_text(encoding="utf-8")
    text = text.replace("/tmp/", f"{tmp_path}/")  # noqa: S108 - rewriting the config's paths
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("root /usr/share/projectconnect/www;", f"root {www};")
    if os.geteuid() == 0:  # workers would run as nobody and could not read tmp_path
        text = "user root;\n" + text
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    error_log = tmp_path / "error.log"
    checked = run_tool([nginx, "-t", "-q", "-c", str(config), "-e", str(error_log)])
    assert checked.returncode == 0, f"nginx -t: {checked.stderr}"
    process = subprocess.Popen(
        [nginx, "-c", str(config), "-e", str(error_log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            stack_module.wait_until_ok(f"{base}/healthz", process, time.monotonic() + 10, "nginx")
        except RuntimeError as exc:
            pytest.fail(f"{exc}: {error_log.read_text()}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_frontend_nginx_caches_assets_forever_and_the_shell_never(frontend_server: str) -> None:
    with httpx.Client(base_url=frontend_server, timeout=5) as client:
        asset = client.get("/assets/app-1a2b.js", headers={"accept-encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-encoding"] == "gzip"
        assert asset.text.startswith("console.log")  # httpx decodes it
        assert "javascript" in asset.headers["content-type"]

        shell = client.get("/index.html")
        assert shell.status_code == 200
        assert shell.headers["cache-control"] == "no-cache"
        root = client.get("/")
        assert root.status_code == 200
        assert root.text == shell.text
        assert root.headers["cache-control"] == "no-cache"

        # Client-side routes get the app; paths that look like files do not.
        route = client.get("/projects-board/42")
        assert route.status_code == 200
        assert route.text == shell.text
        assert route.headers["cache-control"] == "no-cache"
        assert client.get("/assets/missing-0000.js").status_code == 404
        assert client.get("/missing.js").status_code == 404

        favicon = client.get("/favicon.svg")
        assert favicon.status_code == 200
        assert favicon.headers["cache-control"] == "no-cache"
        assert client.get("/healthz").text == "ok\n"
