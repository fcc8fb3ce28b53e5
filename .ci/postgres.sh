#!/usr/bin/env bash
# A local PostgreSQL for the store tests, on Debian/Ubuntu. Idempotent: run it as often as you like.
#
#   eval "$(.ci/postgres.sh)"          # sets APPRENTICE_TEST_PG_URL in this shell
#   .ci/postgres.sh --env-file FILE    # also appends APPRENTICE_TEST_PG_URL=... to FILE (e.g. $GITHUB_ENV)
#
# What it does: installs the `postgresql` server package with apt-get if the server tools are
# missing (a fresh machine often has only the client), creates a cluster if there is none, makes it
# listen on 127.0.0.1 only, starts it, and creates the role `apprentice` (password `apprentice`) and
# the database `apprentice_test` owned by it. The only thing written to stdout is the `export` line;
# progress goes to stderr. Needs root or sudo. The credentials are for a throwaway test database
# reachable from this machine only; do not reuse them anywhere else.
set -euo pipefail

ROLE=apprentice
PASSWORD=apprentice
DATABASE=apprentice_test
ENV_FILE=""

while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) ENV_FILE="${2:?--env-file needs a path}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" >&2; exit 0 ;;
    *) echo "postgres.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
  as_postgres() { runuser -u postgres -- "$@"; }
else
  command -v sudo >/dev/null || { log "needs root or sudo"; exit 1; }
  SUDO=(sudo)
  as_postgres() { sudo -u postgres -- "$@"; }
fi

# 1. The server. postgresql-common provides pg_ctlcluster/pg_lsclusters; the client alone has psql.
if ! command -v pg_ctlcluster >/dev/null || ! command -v pg_lsclusters >/dev/null \
  || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing the postgresql server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq >&2
  "${SUDO[@]}" apt-get install -y -qq postgresql >&2
fi

# 2. A cluster: the first one pg_lsclusters shows, or a new one for the newest installed version.
read_cluster() { pg_lsclusters --no-header 2>/dev/null | awk 'NF { print $1, $2, $3; exit }'; }
CLUSTER="$(read_cluster)"
if [ -z "$CLUSTER" ]; then
  VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  log "no cluster: creating $VERSION/main"
  "${SUDO[@]}" pg_createcluster "$VERSION" main >&2
  CLUSTER="$(read_cluster)"
fi
read -r VERSION NAME PORT <<<"$CLUSTER"

# 3. Listen on 127.0.0.1 only (a conf.d file, so the packaged postgresql.conf stays untouched).
CONF_DIR="/etc/postgresql/$VERSION/$NAME/conf.d"
CONF_FILE="$CONF_DIR/apprentice-test.conf"
WANTED="listen_addresses = '127.0.0.1'"
CHANGED=0
if [ "$("${SUDO[@]}" cat "$CONF_FILE" 2>/dev/null || true)" != "$WANTED" ]; then
  "${SUDO[@]}" mkdir -p "$CONF_DIR"
  echo "$WANTED" | "${SUDO[@]}" tee "$CONF_FILE" >/dev/null
  CHANGED=1
fi

# 4. Start it (restart if it was running with the old listen address).
STATUS="$(pg_lsclusters --no-header | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n { print $4 }')"
if [ "$STATUS" = "online" ] && [ "$CHANGED" = 1 ]; then
  log "restarting cluster $VERSION/$NAME (port $PORT) to apply $WANTED"
  "${SUDO[@]}" pg_ctlcluster "$VERSION" "$NAME" restart >&2
elif [ "$STATUS" != "online" ]; then
  log "starting cluster $VERSION/$NAME (port $PORT)"
  "${SUDO[@]}" pg_ctlcluster "$VERSION" "$NAME" start >&2
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "the server does not answer on 127.0.0.1:$PORT"; exit 1; }

# 5. Role and database. Connect over the local socket as the postgres superuser (peer auth).
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  log "creating role $ROLE"
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
else
  psql_admin -c "ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
  log "creating database $DATABASE"
  psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

URL="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
# Check the URL works over TCP with the password, as the tests will use it.
PGPASSWORD="$PASSWORD" psql -X -q -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" -tAc "SELECT 1" >/dev/null \
  || { log "cannot log in as $ROLE over TCP on 127.0.0.1:$PORT (check pg_hba.conf)"; exit 1; }
log "ready: PostgreSQL $VERSION on 127.0.0.1:$PORT, database $DATABASE"

if [ -n "$ENV_FILE" ]; then
  echo "APPRENTICE_TEST_PG_URL=$URL" >>"$ENV_FILE"
fi
echo "export APPRENTICE_TEST_PG_URL=$URL"
