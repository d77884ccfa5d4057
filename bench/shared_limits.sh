#!/usr/bin/env bash
# What shared rate limits cost a read, and what a Redis outage does to it: GET /v1/users/{id}
# with an API key (each such request checks the key's throttles) under wrk, on SQLite, with
# limits in memory (the baseline), in Redis, and with that Redis stopped (the breaker open,
# the in-process fallback deciding). The three take turns, ROUNDS times; medians are reported.
#
#   bench/shared_limits.sh
#   SKIP_BUILD=1 ROUNDS=3 DURATION=8 bench/shared_limits.sh
#
# Needs redis-server, sqlite3, curl, python3; installs wrk with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18095}
REDIS_PORT=${REDIS_PORT:-18096}
WORK=target/bench
mkdir -p "$WORK"

if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
BIN=target/release/usergate

DB=$WORK/limits.db
rm -f "$DB" "$DB-wal" "$DB-shm"
"$BIN" migrate --database-url "$DB" >/dev/null
"$BIN" admin create --database-url "$DB" --email bench-admin@bench.example >/dev/null
KEY=$("$BIN" api-keys create --database-url "$DB" --owner bench-admin@bench.example | sed -n 's/^api_key: //p')

redis_up() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
}
redis_down() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }
trap redis_down EXIT

row() { # LABEL [serve flags...]
  local label=$1; shift
  "$BIN" serve --database-url "$DB" --listen "127.0.0.1:$PORT" "$@" >"$WORK/limits-$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  # Warm the credential cache and, with Redis stopped, open the breaker.
  for _ in 1 2 3 4 5; do curl -s -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/users/usr_1"; done
  local out
  out=$(WRK_METHOD=GET WRK_PATH=/v1/users/usr_1 WRK_HEADER="Authorization: Bearer $KEY" WRK_USERS=1 \
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk/request.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
  read -r _ rps p50 p99 errors _ <<<"$out"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$label|$rps|$p50|$p99|$errors"
}

results=$WORK/limits-results.txt
: >"$results"
echo "limits|reads/s|p50 ms|p99 ms|non-2xx"
for _ in $(seq 1 "$ROUNDS"); do
  row memory | tee -a "$results"
  redis_up
  row redis --redis-url "redis://127.0.0.1:$REDIS_PORT/0" | tee -a "$results"
  redis_down
  row redis-stopped --redis-url "redis://127.0.0.1:$REDIS_PORT/0" | tee -a "$results"
done
echo
echo "medians (reads/s, p50, p99; ratio of reads/s to memory):"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.count("|") == 4]
by = {}
for r in rows:
    by.setdefault(r[0], []).append([float(x) for x in r[1:4]])
base = statistics.median(v[0] for v in by["memory"])
for label in ("memory", "redis", "redis-stopped"):
    m = [statistics.median(v[i] for v in by[label]) for i in range(3)]
    print(f"{label}|{m[0]:.0f}|{m[1]:.2f}|{m[2]:.2f}|{m[0] / base:.2f}")
PY
