#!/usr/bin/env bash
# Invitation cost (an SMTP round trip per created user) against plain creates, on SQLite, with
# aiosmtpd (from the test venv scripts/test makes) as the local mail receiver.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked -q -p usergate-server
PY=target/test-venv/bin/python
[ -x "$PY" ] || { echo "run scripts/test first: it creates $PY" >&2; exit 1; }
WORK=target/bench; mkdir -p "$WORK"; rm -f "$WORK"/invite.db*
"$PY" -m aiosmtpd -n -l 127.0.0.1:18025 >/dev/null 2>&1 & SMTP=$!
USERGATE_ADMIN_PASSWORD='bench admin password' target/release/usergate serve \
  --database-url "$WORK/invite.db" --listen 127.0.0.1:18091 --smtp-url smtp://127.0.0.1:18025 \
  --anon-rate-limit 1000000/1s >"$WORK/invite.log" 2>&1 & SERVER=$!
trap 'kill $SERVER $SMTP 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 0.1; done
"$PY" bench/invite.py http://127.0.0.1:18091 admin@usergate.local 'bench admin password' "${N:-100}"
