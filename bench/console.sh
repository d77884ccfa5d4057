#!/usr/bin/env bash
# The console's users page over 1,000,000 users, on PostgreSQL and SQLite, next to the generic
# dialect's search in the same run (same query, same page size, same exact total).
#
#   bench/console.sh                # 1,000,000 users (default)
#   N=100000 bench/console.sh       # fewer
#   SKIP_BUILD=1 bench/console.sh   # the release binary already built
#
# Seeds each backend in bulk (bench/lib.sh), creates an admin with a password and an API key
# with the CLI, starts `usergate serve`, signs in to the console and times sequential requests
# from one keep-alive client, console and generic in turns (bench/console_timing.py). Writes
# the tables into bench/BENCHMARKS.md ("console" section). Needs PostgreSQL at
# USERGATE_BENCH_PG (default postgres://postgres@127.0.0.1:5432), psql and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18091}
WORK=target/bench
PASSWORD="bench console password 1"
mkdir -p "$WORK"
. bench/lib.sh

[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
BIN=target/release/usergate
OUT="$WORK/console.md"
{
  echo "Measured $(date -u +%Y-%m-%d) on $(machine "$PG"); $N users; \`bench/console.sh\`."
  echo
} >"$OUT"

run() {
  local backend=$1 url=$2
  echo "== $backend: migrate, seed $N users" >&2
  "$BIN" migrate --database-url "$url" >/dev/null
  USERGATE_NEW_ADMIN_PASSWORD=$PASSWORD "$BIN" admin create --database-url "$url" --email bench-admin@bench.example >/dev/null
  local t0=$SECONDS
  "seed_$backend" "$url" "$N"
  echo "seeded in $((SECONDS - t0)) s" >&2
  local key
  key=$("$BIN" api-keys create --database-url "$url" --owner bench-admin@bench.example | sed -n 's/^api_key: //p')
  "$BIN" serve --database-url "$url" --listen "127.0.0.1:$PORT" --anon-rate-limit 1000000/1s \
    --login-throttle 1000000/1s --login-throttle-address 1000000/1s >"$WORK/console-$backend.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  python3 bench/console_timing.py "http://127.0.0.1:$PORT" "$key" bench-admin@bench.example \
    "$PASSWORD" "$backend" "$(group_word 7)" | tee -a "$OUT"
  echo >>"$OUT"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
}

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_bench_console" -c "CREATE DATABASE usergate_bench_console"
run pg "$PG/usergate_bench_console"
psql -q "$PG/postgres" -c "DROP DATABASE usergate_bench_console"

rm -f "$WORK"/console.db*
run sqlite "$WORK/console.db"
rm -f "$WORK"/console.db*

put_results console "$OUT"
