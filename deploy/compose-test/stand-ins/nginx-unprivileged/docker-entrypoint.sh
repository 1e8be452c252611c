#!/bin/sh
# As the official image's entrypoint: when starting nginx, run /docker-entrypoint.d/*.sh.
set -eu
if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
    for script in /docker-entrypoint.d/*.sh; do
        [ -e "$script" ] || continue
        if [ -x "$script" ]; then
            echo "$0: running $script"
            "$script"
        else
            echo "$0: ignoring $script, not executable"
        fi
    done
fi
exec "$@"
