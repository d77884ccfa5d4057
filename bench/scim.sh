#!/usr/bin/env bash
# SCIM over a large user table, on PostgreSQL and on SQLite: the identity provider's lookup
# (GET /scim/v2/Users?filter=userName eq "..."), a read and a PATCH, next to the generic
# dialect's GET of one user in the same run (the baseline every ratio is to).
#
#   bench/scim.sh                   # 1,000,000 users (default)
#   N=100000 bench/scim.sh          # fewer
#   SKIP_BUILD=1 bench/scim.sh      # the release binary already built
#
# Seeds each backend in bulk (bench/lib.sh), gives every tenth user a login name and an
# external id (what SCIM-provisioned users have), makes an admin with a generic and a SCIM API
# key, starts `usergate serve`, and times sequential requests from one keep-alive client
# (bench/scim_timing.py). Needs PostgreSQL at USERGATE_BENCH_PG (default
# postgres://postgres@127.0.0.1:5432), psql and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18091}
WORK=target/bench
mkdir -p "$WORK"
. bench/lib.sh

[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
BIN=target/release/usergate

# Every tenth seeded user as SCIM provisions them: a login name and an external id.
identities_sql="UPDATE users SET login_name = 'login' || id, login_name_normalized = 'login' || id,
  external_id = 'ext-' || id WHERE id % 10 = 0 AND email_normalized LIKE 'user%@bench.example';"

run() {
  local backend=$1 url=$2
  echo "== $backend: migrate, seed $N users"
  "$BIN" migrate --database-url "$url" >/dev/null
  "$BIN" admin create --database-url "$url" --email bench-admin@bench.example >/dev/null
  local t0=$SECONDS
  "seed_$backend" "$url" "$N"
  if [ "$backend" = pg ]; then
    psql -q "$url" -c "$identities_sql" -c "ANALYZE users"
  else
    sqlite3 "$path_of_sqlite" "$identities_sql ANALYZE;"
  fi
  echo "seeded in $((SECONDS - t0)) s"
  local key scim
  key=$("$BIN" api-keys create --database-url "$url" --owner bench-admin@bench.example | sed -n 's/^api_key: //p')
  scim=$("$BIN" api-keys create --database-url "$url" --owner bench-admin@bench.example --dialect scim | sed -n 's/^api_key: //p')
  "$BIN" serve --database-url "$url" --listen "127.0.0.1:$PORT" --anon-rate-limit 1000000/1s \
    --login-throttle 1000000/1s --login-throttle-address 1000000/1s >"$WORK/scim-$backend.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  python3 bench/scim_timing.py "http://127.0.0.1:$PORT" "$key" "$scim" "$backend" "$N"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
}

echo "machine: $(machine "$PG")"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_bench_scim" -c "CREATE DATABASE usergate_bench_scim"
run pg "$PG/usergate_bench_scim"

path_of_sqlite="$WORK/scim.db"
rm -f "$path_of_sqlite"*
run sqlite "$path_of_sqlite"
