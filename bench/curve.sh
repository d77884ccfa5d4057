#!/usr/bin/env bash
# The cost curve: get one, list, search, create and login at growing numbers of users, on
# PostgreSQL and SQLite, each size a fresh database seeded in bulk (bench/lib.sh).
#
#   bench/curve.sh                                   # 10,000 to 10,000,000 users
#   SIZES="10000 100000" DURATION=3 bench/curve.sh   # a quick look
#   SKIP_BUILD=1 BACKENDS=sqlite bench/curve.sh
#
# Each row is wrk (2 threads, CONNECTIONS connections, DURATION s) through the generic dialect
# (reads, search and create, with the exact totals it reports) and the email-keyed token
# endpoint (login: one argon2id verification). Writes bench/results/curve.md and puts it into
# bench/BENCHMARKS.md between `curve:start` and `curve:end`. Needs what bench/load.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10000 100000 1000000 10000000"}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
BACKENDS=${BACKENDS:-"pg sqlite"}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18092}
WORK=target/bench
RESULTS=bench/results
PASSWORD="bench password 01"
mkdir -p "$WORK" "$RESULTS"
. bench/lib.sh
. bench/serve.sh
TERM=$(group_word 42)

command -v wrk >/dev/null || { echo "wrk is needed (bench/load.sh installs it)" >&2; exit 1; }
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --locked -q -p usergate-server
  cargo build --release --locked -q -p usergate-core --example argon2_ceiling
fi
BIN=${BIN:-target/release/usergate}
HASH=$(target/release/examples/argon2_ceiling hash "$PASSWORD")

OPS=("get one" "list 20, exact total" "search 1%, exact total" "search one user" "create" "login")
ROWS=$WORK/curve-rows
: >"$ROWS"

# measure BACKEND N: one line a operation, "backend|op|n|rps|p50|p99|errors".
measure() {
  local backend=$1 url=$2
  echo "== $backend, $N users" >&2
  "$BIN" migrate --database-url "$url" >/dev/null
  "$BIN" admin create --database-url "$url" --email admin@bench.test >/dev/null
  local t0=$SECONDS
  "seed_$backend" "$url" "$N" "$HASH"
  echo "seeded in $((SECONDS - t0)) s" >&2
  local key
  key=$("$BIN" api-keys create --database-url "$url" --owner admin@bench.test | sed -n 's/^api_key: //p')
  serve "$url"
  sleep 1
  local i=0 out
  for op in "${OPS[@]}"; do
    settle
    case $op in
      "get one") AUTH="Authorization: Bearer $key" out=$(wrk_row GET "/v1/users/usr_{id}") ;;
      "list 20, exact total") AUTH="Authorization: Bearer $key" out=$(wrk_row GET "/v1/users?limit=20") ;;
      "search 1%, exact total") AUTH="Authorization: Bearer $key" out=$(wrk_row GET "/v1/users?limit=20&search=$TERM") ;;
      "search one user") AUTH="Authorization: Bearer $key" out=$(wrk_row GET "/v1/users?limit=20&search=user{g}%40") ;;
      "create") AUTH="Authorization: Bearer $key" out=$(wrk_row POST /v1/users '{"email":"new{n}@bench.example","name":"New {n}"}') ;;
      "login") AUTH="" out=$(wrk_row POST /api/auth/token "{\"email\":\"user{g}@bench.example\",\"password\":\"$PASSWORD\"}"); drain ;;
    esac
    read -r rps p50 p99 errors requests <<<"$out"
    echo "$backend|$i|$N|$rps|$p50|$p99|$errors/$requests" >>"$ROWS"
    i=$((i + 1))
  done
  stop
}

for backend in $BACKENDS; do
  for N in $SIZES; do
    case $backend in
      pg)
        psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_curve" -c "CREATE DATABASE usergate_curve"
        measure pg "$PG/usergate_curve"
        psql -q "$PG/postgres" -c "DROP DATABASE usergate_curve"
        ;;
      sqlite)
        rm -f "$WORK"/curve.db*
        measure sqlite "$WORK/curve.db"
        rm -f "$WORK"/curve.db*
        ;;
    esac
  done
done

# One table a backend: an operation a row, a size a column, "req/s (p50 / p99 ms)".
{
  echo "Command: \`SIZES=\"$SIZES\" DURATION=$DURATION CONNECTIONS=$CONNECTIONS bench/curve.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)."
  echo "Machine: $(machine "$PG"); wrk, 2 threads, $CONNECTIONS connections, ${DURATION} s a cell. Each cell: req/s (p50 / p99 ms)."
  python3 - "$ROWS" "$SIZES" "${OPS[@]}" <<'PY'
import sys
rows, sizes, ops = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
cells = {}
for line in open(rows):
    b, i, n, rps, p50, p99, errs = line.strip().split("|")
    bad = "" if errs.startswith("0/") else f", {errs} failed"
    if float(rps) == 0:
        cells[(b, int(i), n)] = "none within wrk's 10 s timeout"
    else:
        cells[(b, int(i), n)] = f"{float(rps):,.0f} ({p50} / {p99}){bad}"
for b in dict.fromkeys(k[0] for k in cells):
    print()
    print(f"| {b} | " + " | ".join(f"{int(n):,} users" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for i, op in enumerate(ops):
        print(f"| {op} | " + " | ".join(cells.get((b, i, n), "") for n in sizes) + " |")
PY
} >"$RESULTS/curve.md"

put_results curve "$RESULTS/curve.md"
cat "$RESULTS/curve.md"
