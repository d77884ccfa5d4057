#!/usr/bin/env bash
# The request benchmark: every dialect's hot paths under wrk, on PostgreSQL and SQLite, each next
# to a ceiling measured in the same run. See bench/README.md for what each figure means.
#
#   bench/load.sh                      # 1,000,000 users, 64 connections, 10 s per row
#   N=100000 DURATION=5 bench/load.sh  # smaller and quicker
#   SKIP_BUILD=1 bench/load.sh         # the release binaries already built
#   BACKENDS=sqlite bench/load.sh      # one backend
#
# Writes bench/results/load.md (the table, the command, the date, the machine) and puts it into
# bench/BENCHMARKS.md between its `load:start` and `load:end` markers.
# Needs PostgreSQL at USERGATE_BENCH_PG (default postgres://postgres@127.0.0.1:5432) with psql
# and pgbench, sqlite3, curl; installs wrk with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
BACKENDS=${BACKENDS:-"pg sqlite"}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18091}
WORK=target/bench
RESULTS=bench/results
PASSWORD="bench password 01"
mkdir -p "$WORK" "$RESULTS"
. bench/lib.sh
. bench/serve.sh
# The search term: a word in the names of 1% of the users.
TERM=$(group_word 42)

if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq wrk >/dev/null
fi

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --locked -q -p usergate-server
  cargo build --release --locked -q -p usergate-core --example argon2_ceiling
fi
BIN=${BIN:-target/release/usergate}
CEILING=target/release/examples/argon2_ceiling
CORES=$(nproc)
HASH=$("$CEILING" hash "$PASSWORD")

rss_kb() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }

TABLE=$WORK/rows.md
: >"$TABLE"

# row BACKEND DIALECT OPERATION CEILING_NAME CEILING METHOD PATH [BODY]
row() {
  local backend=$1 dialect=$2 op=$3 cname=$4 ceiling=$5
  shift 5
  local out rps p50 p99 errors requests
  settle
  # The private memory (heap, stacks: RssAnon) sampled every 100 ms while wrk runs; its peak
  # so far, as VmHWM is for all of RSS.
  ( while kill -0 "$PID" 2>/dev/null; do rss_kb "$PID" RssAnon; sleep 0.1; done ) >"$WORK/anon" &
  local sampler=$!
  out=$(wrk_row "$@")
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  read -r rps p50 p99 errors requests <<<"$out"
  local anon; anon=$(sort -n "$WORK/anon" | tail -1)
  PEAK_ANON=$(( ${anon:-0} / 1024 > PEAK_ANON ? ${anon:-0} / 1024 : PEAK_ANON ))
  local peak=$(( $(rss_kb "$PID" VmHWM) / 1024 ))
  local ratio
  ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  printf '| %s | %s | %s | %s | %s ms | %s ms | %s | %s MB | %s MB | %s (%s) |\n' \
    "$backend" "$dialect" "$op" "$rps" "$p50" "$p99" "$errors/$requests" "$PEAK_ANON" "$peak" "$ratio" "$cname" \
    | tee -a "$TABLE"
}

if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
  echo "something already listens on port $PORT: stop it or set PORT" >&2
  exit 1
fi

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

bench_backend() {
  local backend=$1 url=$2
  echo "== $backend: migrate, seed $N users" >&2
  "$BIN" migrate --database-url "$url" >/dev/null
  local admin_pw
  admin_pw=$("$BIN" admin create --database-url "$url" --email admin@bench.test | sed -n 's/^password: //p')
  local t0=$SECONDS
  "seed_$backend" "$url" "$N" "$HASH"
  echo "seeded $N users in $((SECONDS - t0)) s" >&2
  local key client
  key=$("$BIN" api-keys create --database-url "$url" --owner admin@bench.test | sed -n 's/^api_key: //p')
  client=$("$BIN" clients create --database-url "$url" --owner admin@bench.test --json)

  # Ready on the seeded database (the first start migrated nothing: already done).
  serve "$url"
  sleep 1
  local idle=$(( $(rss_kb "$PID" VmRSS) / 1024 ))
  local idle_anon=$(( $(rss_kb "$PID" RssAnon) / 1024 ))
  echo "| $backend | | ready in $READY_MS ms; idle RSS $idle MB ($idle_anon MB private) | | | | | | | |" >>"$TABLE"
  local base="http://127.0.0.1:$PORT"
  local ek df domo
  ek=$(curl -sf "$base/api/auth/token" -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@bench.test\",\"password\":\"$admin_pw\"}" | json_field accessToken)
  df=$(curl -sf "$base/api/v2/system/admin/session" -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@bench.test\",\"password\":\"$admin_pw\"}" | json_field session_token)
  local cid csecret
  cid=$(json_field client_id <<<"$client"); csecret=$(json_field client_secret <<<"$client")
  domo=$(curl -sf -u "$cid:$csecret" "$base/domo/oauth/token?grant_type=client_credentials&scope=user" | json_field access_token)

  # The read ceiling of this backend, measured now.
  local cname ceiling
  if [ "$backend" = pg ]; then
    cname="pgbench -S"
    ceiling=$(pgbench -S -M prepared -n -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG/usergate_pgbench" 2>/dev/null \
      | awk '/^tps/ {print $3; exit}')
  else
    cname="/healthz"
    AUTH="" ceiling=$(wrk_row GET /healthz | awk '{print $1}')
  fi
  echo "| $backend | ceiling | $cname | $ceiling | | | | | | |" >>"$TABLE"

  local user='{"email":"new{n}@bench.example","name":"New {n}"}'
  AUTH="Authorization: Bearer $ek"
  row "$backend" email-keyed "get one" "$cname" "$ceiling" GET "/api/users/user{g}@bench.example"
  row "$backend" email-keyed "list 20" "$cname" "$ceiling" GET "/api/users?limit=20"
  row "$backend" email-keyed "update" "$cname" "$ceiling" PUT "/api/users/user{g}@bench.example" '{"status":"Active"}'
  AUTH="X-DreamFactory-Session-Token: $df"
  row "$backend" dreamfactory "get one" "$cname" "$ceiling" GET "/api/v2/system/user/{id}"
  row "$backend" dreamfactory "list 20" "$cname" "$ceiling" GET "/api/v2/system/user?limit=20"
  row "$backend" dreamfactory "list 20, filter like $TERM" "$cname" "$ceiling" GET "/api/v2/system/user?limit=20&filter=name%20like%20%27%25$TERM%25%27"
  row "$backend" dreamfactory "create" "$cname" "$ceiling" POST "/api/v2/system/user" "{\"resource\":[$user]}"
  row "$backend" dreamfactory "update" "$cname" "$ceiling" PATCH "/api/v2/system/user/{id}" '{"name":"Renamed {n}"}'
  AUTH="Authorization: bearer $domo"
  row "$backend" domo "get one" "$cname" "$ceiling" GET "/domo/v1/users/{id}"
  row "$backend" domo "list 20" "$cname" "$ceiling" GET "/domo/v1/users?limit=20"
  row "$backend" domo "create" "$cname" "$ceiling" POST "/domo/v1/users" '{"email":"new{n}@bench.example","name":"New {n}","role":"Participant"}'
  row "$backend" domo "update" "$cname" "$ceiling" PUT "/domo/v1/users/{id}" '{"title":"Title {n}"}'
  AUTH="Authorization: Bearer $key"
  row "$backend" generic "get one" "$cname" "$ceiling" GET "/v1/users/usr_{id}"
  row "$backend" generic "list 20 (exact total)" "$cname" "$ceiling" GET "/v1/users?limit=20"
  row "$backend" generic "list 20, search $TERM (exact total)" "$cname" "$ceiling" GET "/v1/users?limit=20&search=$TERM"
  row "$backend" generic "create" "$cname" "$ceiling" POST "/v1/users" "$user"
  row "$backend" generic "update" "$cname" "$ceiling" PATCH "/v1/users/usr_{id}" '{"name":"Renamed {n}"}'

  # Logins against the argon2 ceiling (the hashing pool has one thread per core by default).
  local argon
  argon=$("$CEILING" "$CORES" "$DURATION" | awk '/^verifications/ {print $2}')
  echo "| $backend | ceiling | argon2id verifications/s, $CORES threads | $argon | | | | | | |" >>"$TABLE"
  local login="{\"email\":\"user{g}@bench.example\",\"password\":\"$PASSWORD\"}"
  AUTH=""
  row "$backend" email-keyed "login (token)" "argon2" "$argon" POST "/api/auth/token" "$login"
  drain
  row "$backend" dreamfactory "login (session)" "argon2" "$argon" POST "/api/v2/user/session" "$login"
  drain
  AUTH="Authorization: Bearer $ek"
  row "$backend" email-keyed "create (hashes a password)" "argon2" "$argon" POST "/api/users" "{\"email\":\"new{n}@bench.example\",\"password\":\"$PASSWORD\"}"
  drain
  # Reads while logins saturate the hashing pool: hashing must not starve them. Compare with
  # the unloaded "get one" row above. The logins run 4 s longer than the reads (which start
  # after 1 s and a settle), so that every read is measured during the flood; their own rate
  # is the next row, against the argon2 ceiling.
  ( AUTH="" DURATION=$((DURATION + 4)) wrk_row POST /api/auth/token "$login" >"$WORK/flood" ) &
  local logins=$!
  sleep 1
  AUTH="X-DreamFactory-Session-Token: $df"
  row "$backend" dreamfactory "get one, while logins run" "$cname" "$ceiling" GET "/api/v2/system/user/{id}"
  wait "$logins"
  local lrps lp50 lp99 lerr lreq
  read -r lrps lp50 lp99 lerr lreq <"$WORK/flood"
  printf '| %s | email-keyed | login (token), under those reads | %s | %s ms | %s ms | %s/%s | | | %s (argon2) |\n' \
    "$backend" "$lrps" "$lp50" "$lp99" "$lerr" "$lreq" \
    "$(awk -v a="$lrps" -v b="$argon" 'BEGIN { printf "%.0f%%", 100 * a / b }')" | tee -a "$TABLE"
  stop
}

for backend in $BACKENDS; do
  case $backend in
    pg)
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_load" -c "CREATE DATABASE usergate_load" \
        -c "DROP DATABASE IF EXISTS usergate_pgbench" -c "CREATE DATABASE usergate_pgbench"
      pgbench -i -q -s 10 "$PG/usergate_pgbench" >/dev/null 2>&1
      bench_backend pg "$PG/usergate_load"
      ;;
    sqlite)
      rm -f "$WORK"/load.db*
      bench_backend sqlite "$WORK/load.db"
      ;;
  esac
done

{
  echo "Command: \`N=$N DURATION=$DURATION CONNECTIONS=$CONNECTIONS bench/load.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)."
  echo "Machine: $(machine "$PG"); wrk, 2 threads, $CONNECTIONS connections, ${DURATION} s a row."
  echo
  echo "| backend | dialect | operation | req/s | p50 | p99 | non-2xx/requests | peak private RSS | peak RSS | vs ceiling |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  cat "$TABLE"
} >"$RESULTS/load.md"

put_results load "$RESULTS/load.md"
cat "$RESULTS/load.md"
