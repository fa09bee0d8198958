#!/usr/bin/env bash
# Reproduce docs/performance.md: a fresh PostgreSQL database with COUNT seeded incidents, then
# the API benchmark over real HTTP (gunicorn + db_worker), the pages' benchmark, then the plans
# of the list queries.
#
#   bench/run.sh                      # 1,000,000 incidents in database opsdesk_bench
#   COUNT=100000 bench/run.sh         # smaller
#   KEEP_DB=1 bench/run.sh --only queue   # reuse the seeded database; args go to api_bench.py
#
# Needs a PostgreSQL server (PGHOST/PGUSER, default 127.0.0.1 / postgres, trust auth) and the
# project's virtualenv (PYTHON, default .venv/bin/python). Output also goes to var/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-1000000}
DB=${BENCH_DB:-opsdesk_bench}
PGHOST=${PGHOST:-127.0.0.1}
PGUSER=${PGUSER:-postgres}
PY=${PYTHON:-.venv/bin/python}
export DATABASE_URL=${DATABASE_URL:-postgres://$PGUSER@$PGHOST:5432/$DB}
OUT=var/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

{
  echo "nproc: $(nproc)"
  grep MemTotal /proc/meminfo
  psql -h "$PGHOST" -U "$PGUSER" -Atc "select version()" postgres
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

if [ "${KEEP_DB:-0}" != 1 ]; then
  dropdb -h "$PGHOST" -U "$PGUSER" --if-exists "$DB"
  createdb -h "$PGHOST" -U "$PGUSER" "$DB"
  "$PY" manage.py migrate -v0
  # /usr/bin/time counts the seeding workers too (they are its children); not PostgreSQL.
  /usr/bin/time -f "seed: %e s wall, %U s user + %S s sys CPU (Python), %M KiB max RSS" \
    "$PY" manage.py seed_incidents --count "$COUNT" 2>&1 | tr '\r' '\n' | grep -v 'inc/s\]$' \
    | tee "$OUT/seed.txt"
  psql -h "$PGHOST" -U "$PGUSER" -Atc \
    "select 'database size: ' || pg_size_pretty(pg_database_size('$DB'))" | tee -a "$OUT/seed.txt"
fi

"$PY" bench/api_bench.py --json "$OUT/api.json" "$@" | tee "$OUT/api.txt"
"$PY" bench/web_bench.py | tee "$OUT/web.txt"
"$PY" bench/explain_lists.py > "$OUT/explain.txt"
echo "plans of the list queries: $OUT/explain.txt"
