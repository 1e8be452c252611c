# The nginx gateway, built from the repository root:
#
#   docker build -f deploy/docker/gateway.Dockerfile -t projectconnect/gateway .
#
# A build stage with the Python package renders the compose configuration
# (`projectconnect gateway compose`, from the package's nginx/nginx.conf.j2); the final image is
# nginx (unprivileged, uid 101), which has every module the rendering uses (ssl, http2,
# auth_request, realip, gzip_static, stub_status). Upstreams are named auth:8000,
# projects:8000 and frontend:8080: compose service names, and the Kubernetes Service names.
#
# TLS is never baked in: mount tls.crt and tls.key at /etc/nginx/tls (compose: PC_TLS_DIR;
# Kubernetes: the projectconnect-tls Secret).

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27.5-alpine
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

# --------------------------------------------------------------------------- render
FROM ${PYTHON_IMAGE} AS render
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY README.md ./
COPY src ./src
# What the HTTP redirect names: a host clients use and the HTTPS port published for them
# (compose passes PC_PUBLIC_HOST and PC_HTTPS_PORT; a change rebuilds this stage).
ARG PC_PUBLIC_HOST=localhost
ARG PC_HTTPS_PORT=8443
# Installed as the wheel is (not editable): the templates are the package's own data.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable \
    && /app/.venv/bin/projectconnect gateway compose --out /nginx.conf \
       --public-host "$PC_PUBLIC_HOST" --public-https-port "$PC_HTTPS_PORT"

# --------------------------------------------------------------------------- gateway
FROM ${NGINX_IMAGE} AS gateway
# The image's own server on port 8080 is not used: the rendering is the whole configuration.
# The runtime dir (validate cache, unix socket) belongs to nginx's user, 101.
USER 0
RUN rm -f /etc/nginx/conf.d/default.conf \
    && install -d -o 101 -g 0 -m 0770 /var/cache/nginx/projectconnect \
       /var/cache/nginx/projectconnect/cache
COPY --from=render --chmod=0644 /nginx.conf /etc/nginx/nginx.conf
# Recreates the runtime dir (cache, unix socket) when /var/cache/nginx is a fresh tmpfs or
# emptyDir, as it is with a read-only root file system.
COPY --chmod=0755 deploy/docker/gateway-runtime-dir.sh /docker-entrypoint.d/05-projectconnect-runtime-dir.sh
# 8080 redirects to 8443 (TLS); 8081 is stub_status for nginx-prometheus-exporter, never
# published.
EXPOSE 8080 8443 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8081/stub_status"]
USER 101
# The rendering puts the pid file in its runtime dir: nginx's compiled-in /var/run is root's.
CMD ["nginx", "-g", "daemon off;"]
