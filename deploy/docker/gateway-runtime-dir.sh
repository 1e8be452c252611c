#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (/docker-entrypoint.d/).
# The compose rendering keeps its validate cache and the unix socket of the per-user write
# limit under /var/cache/nginx/projectconnect (GatewayConfig.for_compose). With a read-only
# root file system /var/cache/nginx is a fresh tmpfs (compose) or emptyDir (Kubernetes):
# make the directories again, and drop a socket a killed nginx may have left behind.
set -eu
runtime=/var/cache/nginx/projectconnect
mkdir -p "$runtime/cache"
rm -f "$runtime/writes.sock"
