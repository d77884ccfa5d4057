# Shared by the bench scripts: bulk seeding with a progress bar.
#
# seed_pg URL N [HASH]      INSERT ... SELECT generate_series, in ten transactions
# seed_sqlite PATH N [HASH] the same with a recursive CTE
#
# Users are user1..userN@bench.example, named "Person g WORD", role user, active; HASH (a PHC
# string) is their password hash, if any. WORD is one of 100 six-letter words, by g mod 100, so a
# search for `group_word 42` matches 1% of users. The words are pseudo-random letters (a
# bijection of the group number onto 26^6), so that, as in real names, a term's trigrams are
# rare: an earlier seed named everyone "... tagNNx", and the trigram "tag" in every row made
# each search read the whole index.

# The word of group K (0..99), and the SQL expression that computes it from EXPR with the
# backend's CHR function (PostgreSQL chr, SQLite char): both the same formula.
group_word() {
  local v=$(( (($1 * 48271 + 11) * 69621) % 308915776 )) word="" i
  for i in 0 1 2 3 4 5; do
    word+=$(printf "\\$(printf '%03o' $((97 + v % 26)))")
    v=$((v / 26))
  done
  printf '%s' "$word"
}

word_sql() { # EXPR CHR
  local v="(CAST(($1) AS bigint) % 100 * 48271 + 11) * 69621 % 308915776" sql="" div=1 i
  for i in 0 1 2 3 4 5; do
    sql+="${sql:+ || }$2(CAST(97 + ($v) / $div % 26 AS integer))"
    div=$((div * 26))
  done
  printf '%s' "$sql"
}

# "N cores (CPU), M GiB, PostgreSQL V on the same machine" (PG: a server URL), for results.
machine() { # PG
  printf '%s cores (%s), %s, PostgreSQL %s on the same machine' "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
    "$(psql -tA "$1/postgres" -c 'SHOW server_version' | cut -d' ' -f1)"
}

# Puts FILE into bench/BENCHMARKS.md between its `<!-- NAME:start -->` and `<!-- NAME:end -->`.
put_results() { # NAME FILE
  python3 - "$1" "$2" <<'PY'
import sys
name, table = sys.argv[1], open(sys.argv[2]).read()
path = "bench/BENCHMARKS.md"
doc = open(path).read()
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
if start in doc and end in doc:
    doc = doc[: doc.index(start) + len(start)] + "\n" + table + doc[doc.index(end):]
    open(path, "w").write(doc)
PY
}

progress() { # done total
  local width=40 filled=$(($1 * 40 / $2))
  printf '\r  [%-*s] %3d%%  %d users' "$width" "$(printf '%*s' "$filled" '' | tr ' ' '#')" $(($1 * 100 / $2)) "$1" >&2
  [ "$1" -lt "$2" ] || printf '\n' >&2
}

seed_pg() {
  local url=$1 n=$2 hash=${3:-} step=$(( ($2 + 9) / 10 )) from=1
  local hash_sql="NULL"
  [ -z "$hash" ] || hash_sql="'$hash'"
  # Building the secondary indexes once at the end is several times faster than maintaining
  # them (the trigram GIN ones above all) row by row: keep their definitions, drop, re-create.
  local indexes
  indexes=$(psql -tA "$url" -c "SELECT indexdef || ';' FROM pg_indexes WHERE tablename = 'users'
    AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass)")
  psql -q "$url" -c "SELECT 'DROP INDEX ' || string_agg(quote_ident(indexname), ', ') FROM pg_indexes
    WHERE tablename = 'users' AND indexname NOT IN
    (SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass)" -tA | psql -q "$url"
  while [ "$from" -le "$n" ]; do
    local to=$((from + step - 1)); [ "$to" -le "$n" ] || to=$n
    psql -q "$url" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO users (email, email_normalized, name, role, status, password_hash, credentials_version,
                   attributes, created_at, updated_at)
SELECT 'user' || g || '@bench.example', 'user' || g || '@bench.example',
       'Person ' || g || ' ' || $(word_sql g chr), 'user', 'active',
       $hash_sql, 1, '{}',
       timestamp '2026-01-01' + g * interval '1 millisecond',
       timestamp '2026-01-01' + g * interval '1 millisecond'
FROM generate_series($from, $to) AS g;
SQL
    progress "$to" "$n"
    from=$((to + 1))
  done
  echo "  re-creating $(grep -c . <<<"$indexes") indexes" >&2
  psql -q "$url" -v ON_ERROR_STOP=1 <<<"SET maintenance_work_mem = '256MB'; $indexes"
  psql -q "$url" -c "ANALYZE users"
}

seed_sqlite() {
  local path=$1 n=$2 hash=${3:-} step=$(( ($2 + 9) / 10 )) from=1
  local hash_sql="NULL"
  [ -z "$hash" ] || hash_sql="'$hash'"
  # The same for the search table: keep the triggers that feed it, drop them, fill it once for
  # the seeded rows (their names are ASCII: the sqlite3 shell's lower() suffices).
  local triggers
  local which="type = 'trigger' AND name LIKE 'users_search%'"
  triggers=$(sqlite3 "$path" "SELECT sql || ';' FROM sqlite_master WHERE $which")
  sqlite3 "$path" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master WHERE $which" | sqlite3 "$path"
  while [ "$from" -le "$n" ]; do
    local to=$((from + step - 1)); [ "$to" -le "$n" ] || to=$n
    sqlite3 "$path" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE g(x) AS (SELECT $from UNION ALL SELECT x + 1 FROM g WHERE x < $to)
INSERT INTO users (email, email_normalized, name, role, status, password_hash, credentials_version,
                   attributes, created_at, updated_at)
SELECT 'user' || x || '@bench.example', 'user' || x || '@bench.example',
       'Person ' || x || ' ' || $(word_sql x char), 'user', 'active',
       $hash_sql, 1, '{}',
       strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || (x / 1000.0) || ' seconds'),
       strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || (x / 1000.0) || ' seconds')
FROM g;
COMMIT;
SQL
    progress "$to" "$n"
    from=$((to + 1))
  done
  echo "  filling the search table" >&2
  sqlite3 "$path" <<SQL
INSERT INTO users_search (rowid, name, email)
    SELECT id, lower(name), email_normalized FROM users
    WHERE deleted_at IS NULL AND email_normalized LIKE 'user%@bench.example';
$triggers
ANALYZE;
SQL
}
