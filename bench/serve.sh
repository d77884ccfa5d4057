# Shared by bench/load.sh and bench/curve.sh: a usergate server for a run, wrk rows, and the
# waits between rows. The caller sets BIN, PORT, WORK, N, CONNECTIONS, DURATION and PASSWORD;
# AUTH is the credential header of the next rows.

# wrk_row LABEL METHOD PATH [BODY]: one measured row; prints "rps p50 p99 errors requests".
wrk_row() {
  local method=$1 path=$2 body=${3:-}
  WRK_METHOD=$method WRK_PATH=$path WRK_BODY=$body WRK_HEADER=${AUTH:-} WRK_USERS=$N \
  WRK_TAG="r$RANDOM$RANDOM" \
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/wrk/request.lua \
      "http://127.0.0.1:$PORT" 2>&1 | awk '/^RESULT/ {print $2, $3, $4, $5, $6}'
}

serve() { # URL: starts usergate (with SERVE_FLAGS, if set), sets PID and READY_MS
  local t0; t0=$(date +%s%N)
  # shellcheck disable=SC2086 # SERVE_FLAGS is a list of flags
  "$BIN" serve --database-url "$1" --listen "127.0.0.1:$PORT" --log-format json \
    --anon-rate-limit 100000000/1s --login-throttle 100000000/1s \
    --login-throttle-address 100000000/1s ${SERVE_FLAGS:-} >"$WORK/serve.log" 2>&1 &
  PID=$!
  PEAK_ANON=0
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.01
  done
  READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

stop() { kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
PID=""
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null || true' EXIT

# Requests queued when wrk stops still run: before each row, wait until a database round trip
# (/readyz) is quick again.
settle() {
  for _ in $(seq 1 120); do
    local t; t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/readyz")
    awk -v t="$t" 'BEGIN { exit !(t < 0.02) }' && return
    sleep 0.5
  done
}

# Logins queued when wrk stops still run: wait until one login is quick again (the hashing
# pool is idle) before the next row.
drain() {
  for _ in $(seq 1 120); do
    local t; t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/api/auth/token" \
      -H 'Content-Type: application/json' -d "{\"email\":\"user1@bench.example\",\"password\":\"$PASSWORD\"}")
    awk -v t="$t" 'BEGIN { exit !(t < 0.25) }' && break
    sleep 0.5
  done
  sleep 1
}

