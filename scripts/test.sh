#!/usr/bin/env bash
# Run the whole suite against real servers: a throwaway PostgreSQL cluster and a Redis server, both on loopback,
# started here and stopped on exit. PostgreSQL refuses to run as root, so as root the cluster belongs to an
# unprivileged system user. Extra arguments go to pytest (e.g. scripts/test.sh tests/orgs -x).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL server binaries not found (Debian package postgresql)." >&2
  exit 1
fi

free_port() { "$ROOT/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

WORK="$(mktemp -d /tmp/eoffice-test.XXXXXX)"
chmod 755 "$WORK"
PGHOME="$WORK/pg"            # owned by the unprivileged user: data directory, socket and log
PGDATA="$PGHOME/data"
PGLOG="$PGHOME/postgres.log"
mkdir -p "$PGHOME"

if [ "$(id -u)" -eq 0 ]; then
  PGUSER_OS=postgres
  id -u "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
  chown "$PGUSER_OS" "$PGHOME"
  as_pg() { runuser -u "$PGUSER_OS" -- "$@"; }
else
  as_pg() { "$@"; }
fi

cleanup() {
  status=$?
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  if [ -f "$WORK/redis.pid" ]; then kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ]; then
    echo "--- PostgreSQL log (last lines) ---"; tail -n 20 "$PGLOG" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

PGPORT="$(free_port)"
as_pg "$PGBIN/initdb" -D "$PGDATA" -U eoffice -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -o \
  "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGHOME -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U eoffice eoffice

REDISPORT="$(free_port)"
redis-server --bind 127.0.0.1 --port "$REDISPORT" --save "" --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK"
for _ in $(seq 1 100); do
  redis-cli -h 127.0.0.1 -p "$REDISPORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done

export DATABASE_URL="postgres://eoffice@127.0.0.1:$PGPORT/eoffice"
export REDIS_URL="redis://127.0.0.1:$REDISPORT/0"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDISPORT/0"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$REDISPORT/1"
export EOFFICE_VAR_DIR="$WORK/var"
export PYTHONDONTWRITEBYTECODE=1

PGVERSION="$("$PGBIN/postgres" --version)"
echo "Test suite on PostgreSQL ($PGVERSION) at 127.0.0.1:$PGPORT and Redis $(redis-server --version | awk '{print $3}') at 127.0.0.1:$REDISPORT"

.venv/bin/ruff check .
# The import contracts of docs/ARCHITECTURE.md ("Layers"), from pyproject.toml's [tool.importlinter].
.venv/bin/lint-imports --no-cache
if [ "$#" -gt 0 ]; then
  .venv/bin/pytest "$@"
else
  # Browser tests run in their own session: Playwright's sync API keeps an asyncio loop running in the test
  # thread for as long as the browser is open, and pyHanko's synchronous API (asyncio.run) refuses to run there.
  .venv/bin/pytest --ignore=tests/e2e
  echo "Browser tests (Playwright driving /usr/bin/chromium):"
  .venv/bin/pytest tests/e2e
fi
