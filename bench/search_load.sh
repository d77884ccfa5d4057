#!/usr/bin/env bash
# Searches with exact totals under load (issue 21): 1% searches over N users with 100 different
# terms and pages 1-5, and one user's search, at 8 and 64 connections, on PostgreSQL and SQLite.
# Each backend runs twice on the same database: as shipped (totals kept while no user changes)
# and with `--credential-cache false` (every request counts its total), the baseline of the
# same run.
#
#   bench/search_load.sh                          # 1,000,000 users, 10 s a row
#   N=100000 DURATION=5 SKIP_BUILD=1 bench/search_load.sh
#
# Writes bench/results/search_load.md and puts it into bench/BENCHMARKS.md between
# `search_load:start` and `search_load:end`. Needs what bench/load.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
DURATION=${DURATION:-10}
BACKENDS=${BACKENDS:-"pg sqlite"}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18093}
WORK=target/bench
RESULTS=bench/results
PASSWORD="bench password 01"
mkdir -p "$WORK" "$RESULTS"
. bench/lib.sh
. bench/serve.sh

command -v wrk >/dev/null || { echo "wrk is needed (bench/load.sh installs it)" >&2; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
BIN=${BIN:-target/release/usergate}
TABLE=$WORK/search-load-rows.md
: >"$TABLE"

# row BACKEND TOTALS LABEL CONNECTIONS PATH
row() {
  local backend=$1 totals=$2 label=$3
  CONNECTIONS=$4
  settle
  local rps p50 p99 errors requests
  read -r rps p50 p99 errors requests <<<"$(wrk_row GET "$5")"
  printf '| %s | %s | %s | %s | %s | %s ms | %s ms | %s/%s |\n' \
    "$backend" "$totals" "$label" "$CONNECTIONS" "$rps" "$p50" "$p99" "$errors" "$requests" | tee -a "$TABLE"
}

rows() { # BACKEND TOTALS
  local one="/v1/users?limit=20&search=user{g}%40bench"
  local broad="/v1/users?limit=20&search={w}&page={p}"
  row "$1" "$2" "search 1%, 100 terms, pages 1-5" 8 "$broad"
  row "$1" "$2" "search 1%, 100 terms, pages 1-5" 64 "$broad"
  row "$1" "$2" "one user's search (user{g}@bench)" 8 "$one"
  row "$1" "$2" "one user's search (user{g}@bench)" 64 "$one"
}

bench_backend() {
  local backend=$1 url=$2
  echo "== $backend: seed $N users" >&2
  "$BIN" migrate --database-url "$url" >/dev/null
  "$BIN" admin create --database-url "$url" --email admin@bench.test >/dev/null
  "seed_$backend" "$url" "$N" ""
  local key
  key=$("$BIN" api-keys create --database-url "$url" --owner admin@bench.test | sed -n 's/^api_key: //p')
  AUTH="Authorization: Bearer $key"
  serve "$url"
  rows "$backend" "kept"
  stop
  SERVE_FLAGS="--credential-cache false" serve "$url"
  rows "$backend" "counted every time"
  stop
}

for backend in $BACKENDS; do
  case $backend in
    pg)
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_search" -c "CREATE DATABASE usergate_search"
      bench_backend pg "$PG/usergate_search"
      psql -q "$PG/postgres" -c "DROP DATABASE usergate_search"
      ;;
    sqlite)
      rm -f "$WORK"/search-load.db*
      bench_backend sqlite "$WORK/search-load.db"
      rm -f "$WORK"/search-load.db*
      ;;
  esac
done

{
  echo "Command: \`N=$N DURATION=$DURATION bench/search_load.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)."
  echo "Machine: $(machine "$PG"); wrk, 2 threads, ${DURATION} s a row; $N users."
  echo
  echo "| backend | totals | request | connections | req/s | p50 | p99 | failed/requests |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$TABLE"
} >"$RESULTS/search_load.md"
put_results search_load "$RESULTS/search_load.md"
cat "$RESULTS/search_load.md"
