#!/bin/sh
# The official rabbitmq image's contract for RABBITMQ_DEFAULT_USER/PASS, for Debian's server.
set -eu
if [ "${1:-}" = rabbitmq-server ]; then
    defaults=/etc/rabbitmq/conf.d/11-default-user.conf
    : > "$defaults"
    if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then
        echo "default_user = $RABBITMQ_DEFAULT_USER" >> "$defaults"
    fi
    if [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then
        echo "default_pass = $RABBITMQ_DEFAULT_PASS" >> "$defaults"
    fi
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
    chmod 0640 "$defaults"
    chgrp rabbitmq "$defaults"
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$@"
fi
exec "$@"
