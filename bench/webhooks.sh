#!/usr/bin/env bash
# What the audit log and webhooks cost a write, and how fast deliveries go: create-user
# throughput (POST /v1/users under wrk) with the binary from before the audit log (BASE, the
# baseline of every ratio), with the audit log, and with the audit log and one webhook endpoint
# subscribed to user.created, all in one run; then the delivery rate to a local receiver.
#
#   bench/webhooks.sh                       # both backends, 3 rounds of 8 s rows, 16 connections
#   BACKENDS=sqlite DURATION=5 bench/webhooks.sh
#   BASE=a737827 bench/webhooks.sh          # the commit before the audit log (default)
#
# Builds BASE in a git worktree under target/bench (sharing target/ so that only the
# workspace's own crates compile again) and HEAD. Needs PostgreSQL at USERGATE_BENCH_PG
# (default postgres://postgres@127.0.0.1:5432) with psql, sqlite3, curl, python3; installs
# wrk with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-a737827}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
BACKENDS=${BACKENDS:-"pg sqlite"}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18093}
HOOK_PORT=${HOOK_PORT:-18094}
WORK=target/bench
mkdir -p "$WORK"
. bench/lib.sh

if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq wrk >/dev/null
fi

if [ -z "${SKIP_BUILD:-}" ]; then
  rm -rf "$WORK/base"
  git worktree prune
  git worktree add -f --detach "$WORK/base" "$BASE" >/dev/null
  cargo build --release --locked -q -p usergate-server --manifest-path "$WORK/base/Cargo.toml" --target-dir target
  cp target/release/usergate "$WORK/usergate-base"
  git worktree remove --force "$WORK/base"
  cargo build --release --locked -q -p usergate-server
fi
HEAD_BIN=target/release/usergate
BASE_BIN=$WORK/usergate-base

# A receiver that answers 204 to everything, in the background.
python3 bench/hook_sink.py "$HOOK_PORT" >"$WORK/hook.log" 2>&1 &
HOOK_PID=$!
trap 'kill $HOOK_PID 2>/dev/null || true' EXIT

pending() { # BACKEND URL
  if [ "$1" = pg ]; then
    psql -tA "$2" -c "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
  else
    sqlite3 "$2" "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
  fi
}

# One row: a fresh database, BIN serving it, wrk creating users for DURATION seconds.
row() { # BACKEND LABEL BIN HOOK(yes|no)
  local backend=$1 label=$2 bin=$3 hook=$4 url
  if [ "$backend" = pg ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_bench_hooks" -c "CREATE DATABASE usergate_bench_hooks"
    url="$PG/usergate_bench_hooks"
  else
    url="$WORK/hooks.db"; rm -f "$url" "$url-wal" "$url-shm"
  fi
  "$bin" migrate --database-url "$url" >/dev/null
  "$bin" admin create --database-url "$url" --email bench-admin@bench.example >/dev/null
  local key
  key=$("$bin" api-keys create --database-url "$url" --owner bench-admin@bench.example | sed -n 's/^api_key: //p')
  # drain: the endpoint points at a closed port during the load, so that every delivery waits
  # behind the first one's retry; then it is pointed at the receiver and enabled again (which
  # ends the wait), and the time to send the backlog is the delivery rate.
  local target="http://127.0.0.1:$HOOK_PORT/"
  [ "$hook" != drain ] || target="http://127.0.0.1:1/"
  if [ "$hook" != no ]; then
    "$bin" webhooks create --database-url "$url" --url "$target" --events user.created >/dev/null 2>&1
  fi
  local extra=()
  # The base binary has no webhooks.
  [ "$label" = base ] || extra=(--webhook-allow-private)
  "$bin" serve --database-url "$url" --listen "127.0.0.1:$PORT" "${extra[@]}" \
    --anon-rate-limit 1000000/1s >"$WORK/hooks-serve-$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local out
  out=$(WRK_METHOD=POST WRK_PATH=/v1/users WRK_BODY='{"email":"new{n}@bench.example","name":"New {n}"}' \
    WRK_HEADER="Authorization: Bearer $key" WRK_USERS=1 WRK_TAG="$label" \
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk/request.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
  read -r _ rps p50 p99 errors requests <<<"$out"
  local delivery="-"
  if [ "$hook" = drain ]; then
    local backlog t0 t1
    "$bin" webhooks update --database-url "$url" 1 --url "http://127.0.0.1:$HOOK_PORT/" --disable >/dev/null
    backlog=$(pending "$backend" "$url")
    t0=$(date +%s.%N)
    "$bin" webhooks update --database-url "$url" 1 --enable >/dev/null
    while [ "$(pending "$backend" "$url")" != 0 ]; do sleep 0.1; done
    t1=$(date +%s.%N)
    delivery=$(python3 -c "print(f'{$backlog} waiting, sent in {$t1 - $t0:.1f} s: {$backlog / ($t1 - $t0):.0f}/s')")
  elif [ "$hook" = yes ]; then
    # The deliveries still waiting when the load stopped, and how fast they drain.
    local left t0 t1
    left=$(pending "$backend" "$url")
    t0=$(date +%s.%N)
    while [ "$(pending "$backend" "$url")" != 0 ]; do sleep 0.2; done
    t1=$(date +%s.%N)
    delivery=$(python3 -c "print(f'{$requests} sent; {$left} left at the end drained at {$left / max($t1 - $t0, 0.001):.0f}/s')")
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$backend|$label|$rps|$p50|$p99|$errors|$delivery"
}

# The machine is shared and noisy: the three configurations take turns, ROUNDS times, and the
# summary gives each one's median throughput and its ratio to the base's median.
echo "machine: $(machine "$PG")"
echo "backend|binary|creates/s|p50 ms|p99 ms|errors|deliveries"
results=$WORK/hooks-results.txt
: >"$results"
for b in $BACKENDS; do
  for _ in $(seq 1 "$ROUNDS"); do
    row "$b" base "$BASE_BIN" no | tee -a "$results"
    row "$b" audit "$HEAD_BIN" no | tee -a "$results"
    row "$b" audit+webhook "$HEAD_BIN" yes | tee -a "$results"
  done
done
echo
echo "delivery rate to a local receiver (one endpoint, a backlog sent in order):"
for b in $BACKENDS; do
  row "$b" drain "$HEAD_BIN" drain
done
echo
echo "median creates/s (ratio to base):"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.count("|") == 6]
by = {}
for r in rows:
    by.setdefault((r[0], r[1]), []).append(float(r[2]))
for backend in [b for b in dict.fromkeys(r[0] for r in rows) if (b, "base") in by]:
    base = statistics.median(by[(backend, "base")])
    for label in ("base", "audit", "audit+webhook"):
        m = statistics.median(by[(backend, label)])
        print(f"{backend}|{label}|{m:.0f}|{m / base:.2f}|{sorted(by[(backend, label)])}")
PY
