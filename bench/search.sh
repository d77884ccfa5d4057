#!/usr/bin/env bash
# Search cost over a large user table, on PostgreSQL and on SQLite, through the generic
# dialect (GET /v1/users?search=..., with the exact total it reports).
#
#   bench/search.sh                 # 1,000,000 users (default)
#   N=100000 bench/search.sh        # fewer
#   SKIP_BUILD=1 bench/search.sh    # the release binary already built
#
# Builds release, seeds each backend in bulk (one INSERT ... SELECT), creates an admin and an
# API key with the CLI, starts `usergate serve`, and times sequential requests from one
# keep-alive client (bench/search_timing.py; Python standard library only). Each backend's
# table also shows an unfiltered page and /healthz measured in the same run, as the baseline.
# Needs PostgreSQL at USERGATE_BENCH_PG (default postgres://postgres@127.0.0.1:5432), psql and
# sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18090}
WORK=target/bench
mkdir -p "$WORK"
. bench/lib.sh

# SKIP_BUILD=1 measures the release binary as it is (e.g. a baseline built from an older commit).
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
BIN=target/release/usergate

run() {
  local backend=$1 url=$2
  echo "== $backend: migrate, seed $N users"
  "$BIN" migrate --database-url "$url" >/dev/null
  "$BIN" admin create --database-url "$url" --email bench-admin@bench.example >/dev/null
  local t0=$SECONDS
  "seed_$backend" "$url" "$N"
  echo "seeded in $((SECONDS - t0)) s"
  local key
  key=$("$BIN" api-keys create --database-url "$url" --owner bench-admin@bench.example | sed -n 's/^api_key: //p')
  "$BIN" serve --database-url "$url" --listen "127.0.0.1:$PORT" --anon-rate-limit 1000000/1s \
    --login-throttle 1000000/1s --login-throttle-address 1000000/1s >"$WORK/$backend.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  python3 bench/search_timing.py "http://127.0.0.1:$PORT" "$key" "$backend" "$(group_word 7)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
}

# PostgreSQL: a database of its own, dropped first.
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_bench" -c "CREATE DATABASE usergate_bench"
run pg "$PG/usergate_bench"

rm -f "$WORK"/search.db*
run sqlite "$WORK/search.db"
