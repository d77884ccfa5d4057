#!/usr/bin/env bash
# The import benchmark: `usergate import` of N users (core CSV, each with a bcrypt hash kept as
# is: an import never hashes) into an empty, migrated database, next to the database's own bulk
# loader on the same rows in the same run (PostgreSQL `\copy`, the sqlite3 shell's `.import`),
# into the same table with the same indexes and triggers. Also the dry run, and the peak memory.
#
#   bench/import.sh                     # 1,000,000 users, PostgreSQL and SQLite
#   N=100000 BACKENDS=pg bench/import.sh
#   SKIP_BUILD=1 bench/import.sh        # the release binary already built
#
# Writes bench/results/import.md and puts it into bench/BENCHMARKS.md between its
# `import:start` and `import:end` markers. Needs PostgreSQL at USERGATE_BENCH_PG (default
# postgres://postgres@127.0.0.1:5432) with psql, and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
BACKENDS=${BACKENDS:-"pg sqlite"}
PG=${USERGATE_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
WORK=target/bench
RESULTS=bench/results
mkdir -p "$WORK" "$RESULTS"
. bench/lib.sh

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --locked -q -p usergate-server
fi
BIN=${BIN:-target/release/usergate}
# A bcrypt hash as PHP's password_hash writes it (crypt_blowfish's test vector for "U*U").
HASH='$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'

echo "== writing $N users as core CSV and as table rows" >&2
CSV=$WORK/import-$N.csv
ROWS=$WORK/import-$N-rows.csv
awk -v n="$N" -v h="$HASH" 'BEGIN {
  print "email,name,first_name,last_name,phone,role,status,password_hash,created_at"
  for (i = 1; i <= n; i++)
    printf "user%d@import.example,Person %d,Given%d,Family%d,+1 555 %07d,user,active,%s,2020-01-01T00:00:00Z\n", i, i, i, i, i, h
}' >"$CSV"
# The rows as usergate stores them (email_normalized, credentials_version, attributes, times).
awk -v n="$N" -v h="$HASH" 'BEGIN {
  print "email,email_normalized,name,first_name,last_name,phone,role,status,password_hash,credentials_version,attributes,created_at,updated_at"
  for (i = 1; i <= n; i++)
    printf "user%d@import.example,user%d@import.example,Person %d,Given%d,Family%d,+1 555 %07d,user,active,%s,1,{},2020-01-01 00:00:00,2020-01-01 00:00:00\n", i, i, i, i, i, i, h
}' >"$ROWS"
COLUMNS_SQL="email,email_normalized,name,first_name,last_name,phone,role,status,password_hash,credentials_version,attributes,created_at,updated_at"

# Runs a command, sampling its peak RSS (VmHWM) and its peak private memory (RssAnon: on
# SQLite, RSS also counts the pages of the database file mapped by `mmap_size`, which grow with
# the file; bench/README.md); sets SECS and MEM ("private MB / RSS MB").
measure() {
  local t0; t0=$(date +%s%N)
  "$@" >"$WORK/import.out" 2>&1 &
  local pid=$! peak=0 anon=0 kb
  while kill -0 "$pid" 2>/dev/null; do
    read -r hwm priv < <(awk '/^VmHWM:/ {h=$2} /^RssAnon:/ {a=$2} END {print h+0, a+0}' \
      "/proc/$pid/status" 2>/dev/null || echo "0 0")
    [ "$hwm" -le "$peak" ] || peak=$hwm
    [ "$priv" -le "$anon" ] || anon=$priv
    sleep 0.05
  done
  wait "$pid" || { cat "$WORK/import.out" >&2; return 1; }
  SECS=$(awk -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.1f", ns / 1e9 }')
  MEM="$((anon / 1024)) MB / $((peak / 1024)) MB"
}

TABLE=$WORK/import-table.md
: >"$TABLE"
row() { # backend what seconds peak baseline_seconds
  local rate ratio
  rate=$(awk -v n="$N" -v s="$3" 'BEGIN { printf "%.0f", n / s }')
  ratio=$(awk -v s="$3" -v b="$5" 'BEGIN { printf "%.2fx", s / b }')
  printf '| %s | %s | %s s | %s | %s | %s |\n' "$1" "$2" "$3" "$rate" "${4:-}" "$ratio" | tee -a "$TABLE"
}

fresh_pg() {
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS usergate_import" -c "CREATE DATABASE usergate_import"
  "$BIN" migrate --database-url "$PG/usergate_import" >/dev/null
}

fresh_sqlite() {
  rm -f "$WORK"/import.db*
  "$BIN" migrate --database-url "$WORK/import.db" >/dev/null
}

for backend in $BACKENDS; do
  case $backend in
    pg)
      echo "== PostgreSQL: \\copy (baseline)" >&2
      fresh_pg
      measure psql -q "$PG/usergate_import" -c "\\copy users ($COLUMNS_SQL) FROM '$ROWS' CSV HEADER"
      base=$SECS
      row pg "\`\\copy\` of the same rows (baseline)" "$SECS" "" "$base"
      fresh_pg
      echo "== PostgreSQL: usergate import --dry-run" >&2
      measure "$BIN" import "$CSV" --database-url "$PG/usergate_import" --dry-run --report "$WORK/import.rejected.csv"
      row pg "usergate import --dry-run" "$SECS" "$MEM" "$base"
      echo "== PostgreSQL: usergate import" >&2
      measure "$BIN" import "$CSV" --database-url "$PG/usergate_import" --report "$WORK/import.rejected.csv"
      row pg "**usergate import**" "$SECS" "$MEM" "$base"
      count=$(psql -tA "$PG/usergate_import" -c "SELECT count(*) FROM users")
      [ "$count" = "$N" ] || { echo "imported $count users, not $N" >&2; exit 1; }
      ;;
    sqlite)
      echo "== SQLite: .import (baseline)" >&2
      fresh_sqlite
      measure sqlite3 "$WORK/import.db" ".import --csv '$ROWS' users_rows" \
        "INSERT INTO users ($COLUMNS_SQL) SELECT $COLUMNS_SQL FROM users_rows" "DROP TABLE users_rows"
      base=$SECS
      row sqlite "\`.import\` of the same rows, then INSERT ... SELECT (baseline)" "$SECS" "" "$base"
      fresh_sqlite
      echo "== SQLite: usergate import --dry-run" >&2
      measure "$BIN" import "$CSV" --database-url "$WORK/import.db" --dry-run --report "$WORK/import.rejected.csv"
      row sqlite "usergate import --dry-run" "$SECS" "$MEM" "$base"
      echo "== SQLite: usergate import" >&2
      measure "$BIN" import "$CSV" --database-url "$WORK/import.db" --report "$WORK/import.rejected.csv"
      row sqlite "**usergate import**" "$SECS" "$MEM" "$base"
      count=$(sqlite3 "$WORK/import.db" "SELECT count(*) FROM users")
      [ "$count" = "$N" ] || { echo "imported $count users, not $N" >&2; exit 1; }
      ;;
  esac
done

{
  echo "Command: \`N=$N bench/import.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)."
  echo "Machine: $(machine "$PG"); release build; $(du -h "$CSV" | cut -f1) CSV, batches of 1,000 records."
  echo
  echo "| backend | run | time | users/s | peak private / RSS | time vs baseline |"
  echo "|---|---|---|---|---|---|"
  cat "$TABLE"
} >"$RESULTS/import.md"

put_results import "$RESULTS/import.md"
cat "$RESULTS/import.md"
