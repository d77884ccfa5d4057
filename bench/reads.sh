#!/usr/bin/env bash
# Reads of one user against the backend's ceiling, in alternating rounds (issue 21): each round
# measures the ceiling (PostgreSQL: `pgbench -S -M prepared` on the same server and
# concurrency; SQLite: the server's own /healthz), then GET one user through the email-keyed
# and generic dialects; the ratio of each round is the row's rate over that round's ceiling, and
# the table gives the median of the rounds, so that one noisy round cannot decide.
#
#   bench/reads.sh                                   # 1,000,000 users, 3 rounds of 5 s rows
#   BINS="/tmp/usergate-before target/release/usergate" bench/reads.sh   # two builds, in turns
#   N=100000 ROUNDS=5 BACKENDS=sqlite SKIP_BUILD=1 bench/reads.sh
#
# Writes bench/results/reads.md and puts it into bench/BENCHMARKS.md between `reads:start` and
# `reads:end`. Needs what bench/load.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
BACKENDS=${BACKENDS:-"pg sqlite"}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18094}
WORK=target/bench
RESULTS=bench/results
PASSWORD="bench password 01"
mkdir -p "$WORK" "$RESULTS"
. bench/lib.sh
. bench/serve.sh

command -v wrk >/dev/null || { echo "wrk is needed (bench/load.sh installs it)" >&2; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
BINS=${BINS:-target/release/usergate}
ROWS=$WORK/reads-rows
: >"$ROWS"

ceiling() { # BACKEND
  if [ "$1" = pg ]; then
    pgbench -S -M prepared -n -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG/usergate_pgbench" 2>/dev/null \
      | awk '/^tps/ {print $3; exit}'
  else
    AUTH="" wrk_row GET /healthz | awk '{print $1}'
  fi
}

bench_backend() {
  local backend=$1 url=$2
  echo "== $backend: seed $N users" >&2
  "${BINS%% *}" migrate --database-url "$url" >/dev/null
  local admin_pw key
  admin_pw=$("${BINS%% *}" admin create --database-url "$url" --email admin@bench.test | sed -n 's/^password: //p')
  "seed_$backend" "$url" "$N" ""
  key=$("${BINS%% *}" api-keys create --database-url "$url" --owner admin@bench.test | sed -n 's/^api_key: //p')
  for round in $(seq 1 "$ROUNDS"); do
    for BIN in $BINS; do
      serve "$url"
      local token c rps
      token=$(curl -sf "http://127.0.0.1:$PORT/api/auth/token" -H 'Content-Type: application/json' \
        -d "{\"email\":\"admin@bench.test\",\"password\":\"$admin_pw\"}" \
        | python3 -c "import json,sys; print(json.load(sys.stdin)['accessToken'])")
      settle
      c=$(ceiling "$backend")
      settle
      AUTH="Authorization: Bearer $token"
      read -r rps _ <<<"$(wrk_row GET "/api/users/user{g}@bench.example")"
      echo "$backend|$BIN|email-keyed get one|$round|$rps|$c" | tee -a "$ROWS" >&2
      settle
      AUTH="Authorization: Bearer $key"
      read -r rps _ <<<"$(wrk_row GET "/v1/users/usr_{id}")"
      echo "$backend|$BIN|generic get one|$round|$rps|$c" | tee -a "$ROWS" >&2
      stop
    done
  done
}

for backend in $BACKENDS; do
  case $backend in
    pg)
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_reads" -c "CREATE DATABASE usergate_reads" \
        -c "DROP DATABASE IF EXISTS usergate_pgbench" -c "CREATE DATABASE usergate_pgbench"
      pgbench -i -q -s 10 "$PG/usergate_pgbench" >/dev/null 2>&1
      bench_backend pg "$PG/usergate_reads"
      psql -q "$PG/postgres" -c "DROP DATABASE usergate_reads" -c "DROP DATABASE usergate_pgbench"
      ;;
    sqlite)
      rm -f "$WORK"/reads.db*
      bench_backend sqlite "$WORK/reads.db"
      rm -f "$WORK"/reads.db*
      ;;
  esac
done

{
  echo "Command: \`N=$N DURATION=$DURATION CONNECTIONS=$CONNECTIONS ROUNDS=$ROUNDS bench/reads.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)."
  echo "Machine: $(machine "$PG"); wrk, 2 threads, $CONNECTIONS connections, ${DURATION} s a row."
  echo
  python3 - "$ROWS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    b, binary, op, rnd, rps, c = line.strip().split("|")
    rows.setdefault((b, binary, op), []).append((float(rps), float(c)))
print("| backend | build | request | ceiling | req/s, each round | ceiling, each round | ratio, each round | median ratio |")
print("|---|---|---|---|---|---|---|---|")
for (b, binary, op), rs in rows.items():
    ratios = [r / c for r, c in rs]
    cname = "pgbench -S" if b == "pg" else "/healthz"
    print(f"| {b} | `{binary}` | {op} | {cname} | " + ", ".join(f"{r:,.0f}" for r, _ in rs)
          + " | " + ", ".join(f"{c:,.0f}" for _, c in rs) + " | "
          + ", ".join(f"{x:.2f}" for x in ratios) + f" | **{statistics.median(ratios):.2f}** |")
PY
} >"$RESULTS/reads.md"
put_results reads "$RESULTS/reads.md"
cat "$RESULTS/reads.md"
