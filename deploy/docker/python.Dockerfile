# The Python images: the auth and projects services and the worker (outbox relay, event
# consumer, migrations), built from the repository root:
#
#   docker build -f deploy/docker/python.Dockerfile --target auth     -t projectconnect/auth .
#   docker build -f deploy/docker/python.Dockerfile --target projects -t projectconnect/projects .
#   docker build -f deploy/docker/python.Dockerfile --target worker   -t projectconnect/worker .
#
# Dependencies come from uv.lock only (`uv sync --frozen`), in a layer of their own that is
# rebuilt only when the lockfile changes. The final images hold the virtual environment and
# nothing else of the build: no uv, no compiler, no sources, no secrets. They run as an
# unprivileged user (10001) and start exactly what `projectconnect stack` starts in the
# integration tests (tests/deploy/test_containers.py compares them).

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
# uv, pinned to the version the Makefile installs (UV_VERSION); the tests keep them equal.
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

# --------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# 1. The locked third-party dependencies only: cached until uv.lock or pyproject.toml change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# 2. The project itself, as a regular (non-editable) install into the same environment.
COPY README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Project Connect" \
      org.opencontainers.image.description="Project Connect services and workers"
RUN groupadd --system --gid 10001 projectconnect \
    && useradd --system --uid 10001 --gid projectconnect --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin projectconnect
COPY --from=build --chown=root:root /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["projectconnect"]
CMD ["--help"]

# --------------------------------------------------------------------------- auth
FROM runtime AS auth
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)"]
CMD ["serve", "auth", "--host", "0.0.0.0", "--port", "8000"]

# --------------------------------------------------------------------------- projects
FROM runtime AS projects
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)"]
CMD ["serve", "projects", "--host", "0.0.0.0", "--port", "8000"]

# --------------------------------------------------------------------------- worker
# `projectconnect relay --metrics-port 9464`, `projectconnect consume projects --metrics-port
# 9464` and the one-shot `projectconnect migrate auth|projects|broker`: the command is given
# by compose or Kubernetes. The long-running workers serve /metrics on 9464, which is what
# the health check asks (the one-shot jobs switch it off).
FROM runtime AS worker
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/metrics', timeout=2)"]
