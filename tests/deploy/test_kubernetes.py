"""deploy/k8s: the Kustomize base and the production overlay, checked offline.

`kubectl kustomize` renders both (no cluster needed); kubernetes-validate checks every
object against the Kubernetes OpenAPI schemas it bundles; then the same cross-checks as for
compose (test_containers.py): the containers run the commands `projectconnect stack` runs,
each gets every setting it reads, the Services' ports are the gateway's upstreams, the
images are the ones compose builds; and the hardening: probes, resources, non-root,
read-only root file systems, autoscalers, disruption budgets, network policies, and no
Secret in the repository.

Without kubectl or kubernetes-validate the tests skip loudly; with CI=true they fail.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml

from projectconnect.cli import MigrationTarget
from projectconnect.gateway import GatewayConfig
from tests.deploy.test_containers import (
    IMAGE_COMMANDS,
    OTEL_NAMES,
    OUR_IMAGES,
    PROJECTCONNECT,
    ROLES,
    ROOT,
    compose_builds,
    compose_services,
    dockerfile_for,
    image_name,
    image_tag,
    normalise,
    option,
    record_stack,
    role_key,
    run_tool,
    stack_commands,
    stack_environment,
    tool,
)
from tests.support.services import require

K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"

DEPLOYMENTS = {"gateway", "frontend", "auth", "projects", "relay", "consumer", "mailer"}
AUTOSCALED = {"auth", "projects"}
# The Secrets the manifests reference and the operator creates (docs/deployment.md).
SECRETS = {
    "projectconnect-auth-database",
    "projectconnect-projects-database",
    "projectconnect-broker",
    "projectconnect-redis",
    "projectconnect-signing-key",
    "projectconnect-tls",
    # Optional: without it the mailer writes .eml files (mailer.yaml).
    "projectconnect-mail",
}
MONITORING_NAMESPACE = "monitoring"
# Kubernetes versions whose schemas the manifests must meet: an old supported one and the
# newest kubernetes-validate knows.
SCHEMA_VERSIONS = ("1.30.0", "latest")

Object = dict[str, Any]


# ============================================================================ rendering


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        require("kubectl", FileNotFoundError("kubectl (with kustomize) is not on PATH"))
        raise AssertionError("require() skips or fails")  # pragma: no cover
    return found


def render(directory: Path) -> list[Object]:
    result = run_tool([kubectl(), "kustomize", str(directory)])
    assert result.returncode == 0, f"kubectl kustomize {directory}:\n{result.stderr}"
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert documents, f"{directory} renders nothing"
    return [cast(Object, d) for d in documents]


@pytest.fixture(scope="module")
def production() -> list[Object]:
    return render(PRODUCTION)


@pytest.fixture(scope="module")
def base() -> list[Object]:
    return render(BASE)


def of_kind(objects: list[Object], kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_templates(objects: list[Object]) -> Iterator[tuple[str, Object]]:
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]


def our_image(image: str) -> str | None:
    """projectconnect/NAME for an image built here, whatever registry the overlay names."""
    name = "/".join(image_name(image).split("/")[-2:])
    return name if name in OUR_IMAGES else None


def image_user_and_family(image: str) -> tuple[str | None, str]:
    name = our_image(image)
    assert name is not None, image
    build = compose_builds()[name]
    _, dockerfile = dockerfile_for(build)
    target = build.get("target")
    return dockerfile.user(target), image_name(dockerfile.external_base(target))


def labels_match(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# ============================================================================ processes


@dataclass(frozen=True)
class Container:
    workload: str  # Deployment/auth, Job/migrate-auth
    spec: Object
    pod: Object
    configmaps: dict[str, Object]

    @property
    def image(self) -> str:
        return str(self.spec["image"])

    def argv(self) -> list[str]:
        name = our_image(self.image)
        assert name is not None
        build = compose_builds()[name]
        _, dockerfile = dockerfile_for(build)
        entrypoint, cmd = dockerfile.command(build.get("target"))
        if "command" in self.spec:
            entrypoint, cmd = list(self.spec["command"]), []
        if "args" in self.spec:
            cmd = list(self.spec["args"])
        return [*entrypoint, *cmd]

    def env(self) -> dict[str, str]:
        """Every variable the container gets: explicit, from ConfigMaps, from its image."""
        values: dict[str, str] = {}
        name = our_image(self.image)
        if name is not None:
            build = compose_builds()[name]
            _, dockerfile = dockerfile_for(build)
            values.update(dockerfile.env(build.get("target")))
        for source in self.spec.get("envFrom", []):
            reference = source["configMapRef"]["name"]
            values.update(self.configmaps[reference].get("data", {}))
        values.update(self.explicit_env())
        return values

    def explicit_env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for entry in self.spec.get("env", []):
            if "value" in entry:
                values[entry["name"]] = str(entry["value"])
            else:
                ref = entry["valueFrom"]["secretKeyRef"]
                values[entry["name"]] = f"secret:{ref['name']}/{ref['key']}"
        return values

    def port(self, reference: int | str) -> int:
        for port in self.spec.get("ports", []):
            if reference in (port.get("name"), port["containerPort"]):
                return int(port["containerPort"])
        raise AssertionError(f"{self.workload}: no container port {reference!r}")


def containers(objects: list[Object]) -> list[Container]:
    configmaps = of_kind(objects, "ConfigMap")
    found = []
    for workload, template in pod_templates(objects):
        for spec in template["spec"]["containers"]:
            found.append(Container(workload, spec, template, configmaps))
    return found


def processes(objects: list[Object]) -> list[Container]:
    """The containers that run `projectconnect ...`."""
    return [
        c for c in containers(objects) if our_image(c.image) and c.argv()[:1] == [PROJECTCONNECT]
    ]


def by_role(objects: list[Object]) -> dict[tuple[str, ...], Container]:
    found: dict[tuple[str, ...], Container] = {}
    for container in processes(objects):
        role = role_key(container.argv()[1:])
        assert role not in found, f"two workloads run {role}"
        found[role] = container
    return found


# ============================================================================ tests: rendering


@pytest.mark.parametrize("directory", [BASE, PRODUCTION], ids=["base", "production"])
def test_kustomize_renders(directory: Path) -> None:
    kinds = {o["kind"] for o in render(directory)}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "Job",
        "ConfigMap",
        "NetworkPolicy",
    } <= kinds


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_manifests_validate_against_the_kubernetes_schemas(
    production: list[Object], tmp_path: Path, version: str
) -> None:
    validator = tool("kubernetes-validate")
    rendered = tmp_path / "production.yaml"
    rendered.write_text(yaml.safe_dump_all(production, sort_keys=False))
    args = [validator, "--strict", "--quiet", str(rendered)]
    if version != "latest":
        args[1:1] = ["--kubernetes-version", version]
    result = run_tool(args)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # An object without a schema is only a warning there; here it is a failure.
    assert "WARN" not in output, output
    assert "ERROR" not in output, output


def test_the_namespace_enforces_the_restricted_pod_security_standard(
    production: list[Object],
) -> None:
    namespaces = of_kind(production, "Namespace")
    assert set(namespaces) == {"projectconnect"}
    labels = namespaces["projectconnect"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in production:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "projectconnect", obj["metadata"]["name"]


# ============================================================================ tests: secrets


def test_no_secret_is_in_the_repository(production: list[Object], base: list[Object]) -> None:
    for objects in (production, base):
        assert not of_kind(objects, "Secret"), "Secrets are created in the cluster, not here"
    for kustomization in K8S.rglob("kustomization.yaml"):
        assert "secretGenerator" not in kustomization.read_text(encoding="utf-8"), kustomization
    for path in K8S.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "BEGIN" not in text, f"{path}: a PEM block"
            assert not re.search(r"://[^:/@\s]+:[^@\s]+@", text.replace("...", "")), path


def referenced_secrets(objects: list[Object]) -> set[str]:
    names: set[str] = set()
    for _, template in pod_templates(objects):
        for volume in template["spec"].get("volumes", []):
            if "secret" in volume:
                names.add(volume["secret"]["secretName"])
        for container in template["spec"]["containers"]:
            for entry in container.get("env", []):
                if "valueFrom" in entry:
                    names.add(entry["valueFrom"]["secretKeyRef"]["name"])
    for ingress in of_kind(objects, "Ingress").values():
        names |= {tls["secretName"] for tls in ingress["spec"].get("tls", [])}
    return names


def test_referenced_secrets_are_documented(production: list[Object]) -> None:
    assert referenced_secrets(production) == SECRETS
    docs = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    base_notes = (BASE / "kustomization.yaml").read_text(encoding="utf-8")
    for name in SECRETS:
        assert name in docs, f"docs/deployment.md does not say how to create {name}"
        assert name in base_notes, name


# ============================================================================ tests: workloads


def test_the_deployments(production: list[Object]) -> None:
    assert set(of_kind(production, "Deployment")) == DEPLOYMENTS


def test_every_pod_is_hardened(production: list[Object]) -> None:
    for workload, template in pod_templates(production):
        pod = template["spec"]
        assert pod.get("automountServiceAccountToken") is False, workload
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, workload
        assert context["seccompProfile"]["type"] == "RuntimeDefault", workload
        for container in pod["containers"]:
            where = f"{workload}/{container['name']}"
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            user = security.get("runAsUser", context.get("runAsUser"))
            assert isinstance(user, int), f"{where}: runAsUser"
            assert user != 0, where
            if our_image(container["image"]):
                image_user, _ = image_user_and_family(container["image"])
                assert image_user is not None, where
                assert str(user) == image_user.split(":")[0], f"{where}: image runs as {image_user}"
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), f"{where}: {kind}"


def test_every_deployment_is_probed(production: list[Object]) -> None:
    for container in containers(production):
        if not container.workload.startswith("Deployment/"):
            continue
        spec = container.spec
        if not our_image(container.image):
            continue  # the exporter sidecar
        for probe in ("livenessProbe", "readinessProbe"):
            assert probe in spec, f"{container.workload}: no {probe}"
            container.port(spec[probe]["httpGet"]["port"])
        argv = container.argv()
        if argv[1:2] == ["serve"]:
            port = container.port(spec["livenessProbe"]["httpGet"]["port"])
            assert str(port) == option(argv, "--port"), container.workload
            assert spec["livenessProbe"]["httpGet"]["path"] == "/health/live"
            assert spec["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            assert spec["startupProbe"]["httpGet"]["path"] == "/health/live"


def test_commands_in_hooks_exist_in_their_image(production: list[Object]) -> None:
    for container in containers(production):
        hook = container.spec.get("lifecycle", {}).get("preStop", {}).get("exec")
        if hook:
            _, family = image_user_and_family(container.image)
            assert hook["command"][0] in IMAGE_COMMANDS[family], container.workload


def test_prometheus_annotations_name_a_container_port(production: list[Object]) -> None:
    for container in containers(production):
        annotations = container.pod.get("metadata", {}).get("annotations", {})
        if annotations.get("prometheus.io/scrape") == "true":
            port = int(annotations["prometheus.io/port"])
            ports = [
                int(p["containerPort"])
                for c in container.pod["spec"]["containers"]
                for p in c.get("ports", [])
            ]
            assert port in ports, container.workload


def test_autoscalers(production: list[Object]) -> None:
    autoscalers = of_kind(production, "HorizontalPodAutoscaler")
    deployments = of_kind(production, "Deployment")
    budgets = of_kind(production, "PodDisruptionBudget")
    assert set(autoscalers) == AUTOSCALED
    for name, hpa in autoscalers.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        deployment = deployments[name]
        assert "replicas" not in deployment["spec"], f"{name}: the autoscaler owns replicas"
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "cpu" in container["resources"]["requests"], name
        assert hpa["spec"]["minReplicas"] >= 2, name
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"], name
        assert budgets[name]["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], name


def test_every_deployment_has_a_disruption_budget(production: list[Object]) -> None:
    budgets = of_kind(production, "PodDisruptionBudget").values()
    for name, deployment in of_kind(production, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [
            b for b in budgets if labels_match(b["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(matching) == 1, f"{name}: {len(matching)} budgets"
        replicas = deployment["spec"].get("replicas", 2)
        if "minAvailable" in matching[0]["spec"]:
            assert matching[0]["spec"]["minAvailable"] < replicas, f"{name}: drains would block"


def test_services_select_pods_and_their_ports(production: list[Object]) -> None:
    deployments = of_kind(production, "Deployment")
    by_workload = {c.workload: c for c in containers(production) if our_image(c.image)}
    for name, service in of_kind(production, "Service").items():
        selector = service["spec"]["selector"]
        selected = [
            d
            for d in deployments.values()
            if labels_match(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(selected) == 1, f"Service {name} selects {len(selected)} Deployments"
        container = by_workload[f"Deployment/{selected[0]['metadata']['name']}"]
        for port in service["spec"]["ports"]:
            assert container.port(port["targetPort"]) == port["port"], (name, port)


# ============================================================================ tests: agreement


def test_services_ports_agree_with_the_gateway_rendering(production: list[Object]) -> None:
    config = GatewayConfig.for_compose()
    services = of_kind(production, "Service")
    roles = {c.workload: c for c in processes(production)}
    for upstream, servers in config.upstreams.items():
        for server in servers:
            host, _, port = server.rpartition(":")
            assert host in services, f"{upstream}: no Service {host}"
            ports = {p["port"] for p in services[host]["spec"]["ports"]}
            assert int(port) in ports, f"Service {host} has no port {port}"
            process = roles.get(f"Deployment/{host}")
            if process is not None:
                assert option(process.argv(), "--port") == port, server
    gateway = services["gateway"]["spec"]["ports"]
    assert {p["port"] for p in gateway} == {config.http_port, config.https_port}
    # The TLS Secret is mounted where the rendering reads it.
    assert config.tls is not None
    gateway_pod = of_kind(production, "Deployment")["gateway"]["spec"]["template"]["spec"]
    (nginx,) = [c for c in gateway_pod["containers"] if c["name"] == "gateway"]
    mounts = {m["name"]: m["mountPath"] for m in nginx["volumeMounts"]}
    volumes = {v["name"]: v for v in gateway_pod["volumes"]}
    tls = next(n for n, v in volumes.items() if "secret" in v)
    assert mounts[tls] == str(Path(config.tls.certificate).parent)
    assert Path(config.tls.key).parent == Path(mounts[tls])
    # Everything the rendering writes is on an emptyDir, the root file system being read-only.
    writable = {mounts[n] for n, v in volumes.items() if "emptyDir" in v}
    assert any(config.runtime_dir.startswith(f"{path}/") for path in writable), writable
    exporter = next(c for c in gateway_pod["containers"] if c["name"] == "nginx-exporter")
    assert f"http://127.0.0.1:{config.status_port}/stub_status" in exporter["args"][0]


def test_the_ingress_sends_everything_to_the_gateway_over_tls(production: list[Object]) -> None:
    config = GatewayConfig.for_compose()
    (ingress,) = of_kind(production, "Ingress").values()
    services = of_kind(production, "Service")
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
        for path in rule["http"]["paths"]:
            assert (path["path"], path["pathType"]) == ("/", "Prefix")
            backend = path["backend"]["service"]
            port = next(
                p
                for p in services[backend["name"]]["spec"]["ports"]
                if p["name"] == backend["port"]["name"]
            )
            assert backend["name"] == "gateway"
            assert port["port"] == config.https_port, "the gateway's HTTP port only redirects"
    annotations = ingress["metadata"].get("annotations", {})
    assert annotations.get("nginx.ingress.kubernetes.io/backend-protocol") == "HTTPS"


def test_kubernetes_runs_what_the_stack_runs(production: list[Object], tmp_path: Path) -> None:
    record = record_stack(tmp_path)
    found = {
        normalise(c.argv()[1:])
        for c in processes(production)
        if c.workload.startswith("Deployment/")
    }
    assert found == stack_commands(record)
    for container in processes(production):
        argv = container.argv()
        if argv[1] == "serve":
            assert option(argv, "--host") == "0.0.0.0", container.workload  # noqa: S104
            assert container.port("http") == int(option(argv, "--port") or 0)
        if argv[1] in ("relay", "consume"):
            assert container.port("metrics") == int(option(argv, "--metrics-port") or 0)


def test_kubernetes_migrates_what_the_stack_migrates(
    production: list[Object], tmp_path: Path
) -> None:
    record = record_stack(tmp_path)
    jobs = [c for c in processes(production) if c.workload.startswith("Job/")]
    assert {c.argv()[2] for c in jobs if c.argv()[1] == "migrate"} == set(record.migrations)
    assert set(record.migrations) == {t.value for t in MigrationTarget}
    for job in of_kind(production, "Job").values():
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
    # `kubectl apply -l app.kubernetes.io/component in (config,migration)` brings what the
    # Jobs need (docs/deployment.md).
    for configmap in of_kind(production, "ConfigMap").values():
        assert configmap["metadata"]["labels"]["app.kubernetes.io/component"] == "config"


def test_kubernetes_gives_each_process_the_settings_it_reads(
    production: list[Object], tmp_path: Path
) -> None:
    record = record_stack(tmp_path)
    every_read: set[str] = set()
    for container in processes(production):
        role_name = role_key(container.argv()[1:])
        role = ROLES[role_name]
        every_read |= role.reads()
        provided = container.env()
        missing = role.required() - set(provided)
        assert not missing, f"{container.workload}: missing {sorted(missing)}"
        unknown = set(container.explicit_env()) - role.reads()
        assert not unknown, f"{container.workload}: sets {sorted(unknown)}, never read"
        for key, value in role.fixed.items():
            assert provided[key] == value, f"{container.workload}: {key}={provided[key]}"
        if container.argv()[1] != "migrate":
            from_stack = (set(stack_environment(record, role_name)) & role.reads()) - role.unused
            assert from_stack <= set(provided), (container.workload, from_stack - set(provided))
    for configmap in of_kind(production, "ConfigMap").values():
        unread = set(configmap.get("data", {})) - every_read
        assert not unread, f"ConfigMap {configmap['metadata']['name']}: nobody reads {unread}"


def test_kubernetes_settings_agree_between_processes(production: list[Object]) -> None:
    roles = by_role(production)
    env = {role: c.env() for role, c in roles.items()}
    auth, projects = env[("serve", "auth")], env[("serve", "projects")]
    assert (
        auth["DATABASE_URL"]
        == env[("relay",)]["DATABASE_URL"]
        == env[("migrate", "auth")]["DATABASE_URL"]
    )
    assert (
        projects["DATABASE_URL"]
        == env[("consume", "projects")]["DATABASE_URL"]
        == env[("migrate", "projects")]["DATABASE_URL"]
    )
    assert auth["DATABASE_URL"] != projects["DATABASE_URL"]
    for key in ("AMQP_URL", "EVENTS_NAMESPACE"):
        assert len({e[key] for e in env.values() if key in e}) == 1, key
    for key in ("REDIS_URL", "CACHE_PREFIX"):
        assert auth[key] == projects[key] == env[("consume", "projects")][key], key
    for role, name in OTEL_NAMES.items():
        assert env[role]["OTEL_SERVICE_NAME"] == name, role
    # JWKS from the auth Service's port.
    jwks = urlsplit(projects["JWKS_URL"])
    auth_service = of_kind(production, "Service")["auth"]
    assert jwks.hostname == "auth"
    assert jwks.port in {p["port"] for p in auth_service["spec"]["ports"]}
    assert jwks.path == "/auth/.well-known/jwks.json"
    # The signing key file is a mounted Secret item.
    container = roles[("serve", "auth")]
    key_file = Path(auth["AUTH_PRIVATE_KEY_FILE"])
    mounts = {m["name"]: m["mountPath"] for m in container.spec["volumeMounts"]}
    volumes = {v["name"]: v for v in container.pod["spec"]["volumes"]}
    (secret_volume,) = [n for n in mounts if "secret" in volumes[n]]
    assert key_file.parent == Path(mounts[secret_volume])
    items = volumes[secret_volume]["secret"]["items"]
    assert key_file.name in {i["path"] for i in items}
    assert volumes[secret_volume]["secret"]["secretName"] == "projectconnect-signing-key"
    for role, values in env.items():
        for key, value in values.items():
            # Addresses without credentials: the JWKS, the collector, where people open the app.
            public = ("JWKS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", "PUBLIC_URL")
            if key.endswith("_URL") and key not in public:
                assert value.startswith("secret:"), f"{role}: {key} holds credentials"


def test_images_agree_with_compose(base: list[Object], production: list[Object]) -> None:
    compose = compose_services()
    compose_images = {
        image_name(str(s["image"])): str(s["image"]) for s in compose.values() if "image" in s
    }
    used: set[str] = set()
    for container in containers(base):
        name = image_name(container.image)
        assert name in compose_images, f"{container.workload}: {name} is not in compose"
        if name in OUR_IMAGES:
            used.add(name)
            default_tag = re.search(r":-([\w.-]+)\}$", compose_images[name])
            assert default_tag, compose_images[name]
            assert image_tag(container.image) == default_tag.group(1), container.workload
        else:
            assert container.image == compose_images[name], container.workload
    assert used == set(OUR_IMAGES)
    overlay = yaml.safe_load((PRODUCTION / "kustomization.yaml").read_text(encoding="utf-8"))
    overridden = {i["name"]: i for i in overlay["images"]}
    assert set(overridden) == set(OUR_IMAGES)
    for name, entry in overridden.items():
        assert entry["newName"].endswith(f"/{name}"), entry
    for container in containers(production):
        if our_image(container.image):
            assert not container.image.endswith(":dev"), container.workload


# ============================================================================ tests: network


def policies_for(objects: list[Object], labels: Mapping[str, str]) -> list[Object]:
    return [
        p
        for p in of_kind(objects, "NetworkPolicy").values()
        if labels_match(p["spec"]["podSelector"].get("matchLabels", {}), labels)
    ]


def test_only_the_gateway_reaches_the_services(production: list[Object]) -> None:
    policies = of_kind(production, "NetworkPolicy")
    deny = [
        p
        for p in policies.values()
        if p["spec"]["podSelector"] == {}
        and p["spec"]["policyTypes"] == ["Ingress"]
        and not p["spec"].get("ingress")
    ]
    assert deny, "no default-deny ingress policy"
    deployments = of_kind(production, "Deployment")
    by_workload = {c.workload: c for c in containers(production)}
    gateway_labels = deployments["gateway"]["spec"]["template"]["metadata"]["labels"]
    projects_labels = deployments["projects"]["spec"]["template"]["metadata"]["labels"]
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        pod_ports = {
            int(p["containerPort"])
            for c in deployment["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        rules = [r for p in policies_for(production, labels) for r in p["spec"].get("ingress", [])]
        assert rules, f"{name}: nothing may reach it"
        for rule in rules:
            ports = {int(p["port"]) for p in rule["ports"]}
            assert ports <= pod_ports, f"{name}: {ports} are not its ports"
            for peer in rule["from"]:
                if "namespaceSelector" in peer:
                    namespace = peer["namespaceSelector"]["matchLabels"][
                        "kubernetes.io/metadata.name"
                    ]
                    if namespace == MONITORING_NAMESPACE:
                        continue  # Prometheus, checked below
                    assert name == "gateway", f"{name} is reachable from {namespace}"
                    continue
                selector = peer["podSelector"]["matchLabels"]
                if labels_match(selector, gateway_labels):
                    continue
                # The projects service fetches the auth service's public keys.
                assert name == "auth", f"{name} is reachable from {selector}"
                assert labels_match(selector, projects_labels), selector
        container = by_workload.get(f"Deployment/{name}")
        assert container is not None
    # Prometheus may scrape exactly the ports the pods announce for it.
    for name, deployment in deployments.items():
        template = deployment["spec"]["template"]
        labels = template["metadata"]["labels"]
        monitored = {
            int(p["port"])
            for policy in policies_for(production, labels)
            for rule in policy["spec"].get("ingress", [])
            for peer in rule["from"]
            if peer.get("namespaceSelector", {})
            .get("matchLabels", {})
            .get("kubernetes.io/metadata.name")
            == MONITORING_NAMESPACE
            for p in rule["ports"]
        }
        announced = template["metadata"].get("annotations", {}).get("prometheus.io/port")
        assert monitored == ({int(announced)} if announced else set()), name
