# The front end, built from the repository root:
#
#   docker build -f deploy/docker/frontend.Dockerfile -t projectconnect/frontend .
#
# `npm ci && npm run build` in frontend/ (Vite writes frontend/dist, hashed names under
# dist/assets/), then unprivileged nginx serves dist on 8080 (deploy/docker/frontend.nginx.conf):
# /assets/ cached for a year, index.html never without revalidation, client-side routes fall
# back to index.html, gzip (precompressed here for gzip_static). The gateway proxies / here.

ARG NODE_IMAGE=node:20.19.5-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27.5-alpine

# --------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
WORKDIR /frontend
ENV CI=true \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
# Dependencies from the lockfile only: cached until package.json or package-lock.json change.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci
COPY frontend/ ./
RUN npm run build \
    && find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.json' \
       -o -name '*.html' -o -name '*.txt' -o -name '*.map' \) -size +512c -exec gzip -9 -k -n {} +

# --------------------------------------------------------------------------- frontend
FROM ${NGINX_IMAGE} AS frontend
# The image's own server is replaced by frontend.nginx.conf.
USER 0
RUN rm -f /etc/nginx/conf.d/default.conf
COPY --chmod=0644 deploy/docker/frontend.nginx.conf /etc/nginx/nginx.conf
COPY --from=build /frontend/dist /usr/share/projectconnect/www
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
USER 101
CMD ["nginx", "-g", "daemon off;"]
