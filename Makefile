# The two commands of the README: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= .data
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: run test compose-test bench chaos install system-deps frontend-build frontend-test stack lint typecheck format clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The environment follows the lockfile exactly; re-synced whenever the lock changes.
# Bytecode is compiled at install (and the project's own on every make), so processes
# start from .pyc files even where PYTHONDONTWRITEBYTECODE keeps Python from writing them:
# a restarted replica imports the application in less than half the time.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

install: $(VENV)/.synced
	@$(BIN)/python -m compileall -q src

# Debian packages the tests drive: nginx for the gateway, prometheus for promtool,
# chromium for the browser tests, wrk for the benchmarks (and their harness's test).
DEBIAN_PACKAGES := nginx-light prometheus chromium wrk
system-deps:
	@if ! PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1 \
	    || ! test -x /usr/bin/chromium || ! command -v wrk >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

# The front end: npm packages from its lockfile, a build whenever a source changes.
FRONTEND := frontend
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig.json
$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $@

$(FRONTEND)/dist/index.html: $(FRONTEND)/node_modules/.installed $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build

frontend-build: $(FRONTEND)/dist/index.html

# Types generated from the services' OpenAPI documents must match the code, then unit
# tests, a fresh build, and the browser tests against `projectconnect dev`.
frontend-test: install system-deps $(FRONTEND)/node_modules/.installed
	cd $(FRONTEND) && PROJECTCONNECT=$(CURDIR)/$(BIN)/projectconnect npm run check:api
	cd $(FRONTEND) && npm run lint
	cd $(FRONTEND) && npm test
	cd $(FRONTEND) && npm run build
	cd $(FRONTEND) && PROJECTCONNECT=$(CURDIR)/$(BIN)/projectconnect npm run test:e2e

run: install frontend-build
	$(BIN)/projectconnect dev --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# The distributed topology on this host (nginx, replicas, workers); see README.
stack: install system-deps
	$(BIN)/projectconnect stack

# Every benchmark of docs/benchmarks.md (about 20 minutes; BENCH_ARGS="--size quick" for
# a smaller database). Results in bench/results/.
BENCH_ARGS ?=
bench: install system-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The stack under faults (docs/reliability.md): 30 users writing through the gateway for
# 10 minutes while processes are killed and frozen and PostgreSQL, Redis and RabbitMQ drop
# out (behind proxies: the shared servers are never touched); every acknowledged write is
# verified. CHAOS_ARGS="--users 8 --seconds 150" for a shorter run; --help for the rest.
CHAOS_ARGS ?= --users 30 --seconds 600
chaos: install system-deps
	$(BIN)/python -m chaos $(CHAOS_ARGS)

lint: install
	$(BIN)/ruff check src tests bench chaos
	$(BIN)/ruff format --check src tests bench chaos

typecheck: install
	$(BIN)/mypy

test: install system-deps lint typecheck frontend-test
	$(BIN)/pytest

# The five images built and docker-compose.yml run for real on a private Docker engine, checked
# end to end through the gateway, then torn down (root; about 10 minutes on a bare machine,
# less with the cache in /var/cache/projectconnect-compose-test). docs/deployment.md.
compose-test: install
	$(BIN)/python -m tests.compose_stack

format: install
	$(BIN)/ruff check --fix src tests bench chaos
	$(BIN)/ruff format src tests bench chaos

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache \
	  $(FRONTEND)/node_modules $(FRONTEND)/dist $(FRONTEND)/test-results
