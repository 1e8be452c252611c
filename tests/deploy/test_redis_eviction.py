"""The compose Redis has a memory limit and evicts least recently used keys at it.

noeviction would make writes fail when full, the revocation writes among them, and no
limit lets Redis grow until the host runs out (docs/deployment.md, "Redis memory and
eviction")."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def redis_options() -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    args = command[1:]
    return {args[i].removeprefix("--"): str(args[i + 1]) for i in range(0, len(args), 2)}


def test_the_compose_redis_is_bounded_and_evicts_lru() -> None:
    options = redis_options()
    assert options["maxmemory"].endswith(("mb", "gb"))
    assert int(options["maxmemory"][:-2]) > 0
    assert options["maxmemory-policy"] == "allkeys-lru"
