#!/bin/sh
# The official redis image's entrypoint contract.
set -eu
case "${1:-}" in
    -*) set -- redis-server "$@" ;;
    *) ;;
esac
if [ "${1:-}" = redis-server ]; then
    case " $* " in
        *" --protected-mode "*|*".conf "*) ;;
        *) set -- "$@" --protected-mode no ;;
    esac
    if [ "$(id -u)" = 0 ]; then
        exec setpriv --reuid=redis --regid=redis --init-groups "$@"
    fi
fi
exec "$@"
