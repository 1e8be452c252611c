#!/bin/sh
# One database and one role per service, plus a monitoring role for postgres_exporter.
# Run once by the postgres image's entrypoint, when the data volume is empty
# (docker-compose.yml mounts this directory at /docker-entrypoint-initdb.d). The passwords
# come from the container's environment (.env); psql quotes them (:'name'), so no value can
# change the SQL.
#
# Each service's role owns its database: its migrations (`projectconnect migrate auth`,
# `migrate projects`) create the tables as that role, and neither role can connect to the
# other's database.
set -eu

: "${AUTH_DB_PASSWORD:?AUTH_DB_PASSWORD is required}"
: "${PROJECTS_DB_PASSWORD:?PROJECTS_DB_PASSWORD is required}"
: "${POSTGRES_EXPORTER_PASSWORD:?POSTGRES_EXPORTER_PASSWORD is required}"

psql --no-psqlrc -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v auth_password="$AUTH_DB_PASSWORD" \
    -v projects_password="$PROJECTS_DB_PASSWORD" \
    -v exporter_password="$POSTGRES_EXPORTER_PASSWORD" <<'SQL'
SET password_encryption = 'scram-sha-256';

CREATE ROLE auth LOGIN PASSWORD :'auth_password';
CREATE ROLE projects LOGIN PASSWORD :'projects_password';
CREATE ROLE postgres_exporter LOGIN PASSWORD :'exporter_password' IN ROLE pg_monitor;

CREATE DATABASE auth OWNER auth;
CREATE DATABASE projects OWNER projects;

-- Only the owner (and the superuser) may connect; the exporter reads the cluster-wide
-- statistics from the postgres database.
REVOKE ALL ON DATABASE auth FROM PUBLIC;
REVOKE ALL ON DATABASE projects FROM PUBLIC;
SQL
