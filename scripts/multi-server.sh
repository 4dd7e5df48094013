#!/usr/bin/env bash
# Two `rectrack serve` processes on one PostgreSQL database, started at the
# same moment on an empty database (so their migrations race), then clients
# writing through both at once to the same few assignments with If-Match.
# Checks: every acknowledged write is stored, each assignment's version moved
# by exactly the updates stored (no lost update), nothing is half-present,
# and the audit chain is one gap-free valid chain.
#
# Usage: scripts/multi-server.sh [path/to/rectrack]
#   RECTRACK_TEST_POSTGRES_URL  server to use (postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bin="$(realpath "${1:-target/debug/rectrack}")"
server_url="${RECTRACK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
server_url="${server_url%/*}"
database="rectrack_multi_$$"
url="$server_url/$database"
seconds="${MULTI_SECONDS:-8}"
port_a="${MULTI_PORT:-18291}"
port_b=$((port_a + 1))
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$server_url/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

psql "$server_url/postgres" -qc "CREATE DATABASE $database" >/dev/null

# Both at once on the empty database: one loads the demo, both migrate.
"$bin" --database "$url" --blobs "$work/blobs" serve --demo --demo-tokens "$work/tokens.json" \
    --bind "127.0.0.1:$port_a" >"$work/a.log" 2>&1 &
pids+=("$!")
"$bin" --database "$url" --blobs "$work/blobs" serve --bind "127.0.0.1:$port_b" >"$work/b.log" 2>&1 &
pids+=("$!")
for port in "$port_a" "$port_b"; do
    for _ in $(seq 1 150); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && continue 2
        sleep 0.1
    done
    cat "$work/a.log" "$work/b.log" >&2
    echo "the server on port $port did not start" >&2
    exit 1
done

a="http://127.0.0.1:$port_a"
b="http://127.0.0.1:$port_b"
for _ in $(seq 1 100); do
    grep -q '^Recipient token (MPS):' "$work/a.log" && break
    sleep 0.1
done
token=$(grep -A1 '^Recipient token (MPS):' "$work/a.log" | tail -1)
mps_targets "$b" "$token" 3

python3 scripts/load.py accept --base "$a" --token "$token" "${targets[@]}"
python3 scripts/load.py check --base "$a" --token "$token" "${targets[@]}" \
    --save-baseline "$work/baseline.json"
# Half the writers read the version and send If-Match; half write blind.
python3 scripts/load.py write --base "$a" --base "$b" --token "$token" "${targets[@]}" \
    --workers 6 --seconds "$seconds" --if-match --tag "if-match" --log "$work/acknowledged.jsonl" \
    >"$work/load-if-match.json" &
load_a=$!
python3 scripts/load.py write --base "$b" --base "$a" --token "$token" "${targets[@]}" \
    --workers 6 --seconds "$seconds" --tag "blind" --log "$work/acknowledged.jsonl" \
    >"$work/load-blind.json" &
load_b=$!
wait "$load_a"
wait "$load_b"
echo "with If-Match: $(cat "$work/load-if-match.json")"
echo "without:       $(cat "$work/load-blind.json")"
[ "$(jq .conflicts "$work/load-if-match.json")" -gt 0 ] || echo "note: no If-Match conflict arose in this run"

python3 scripts/load.py check --base "$b" --token "$token" "${targets[@]}" \
    --log "$work/acknowledged.jsonl" --baseline "$work/baseline.json" | tee "$work/check.json"
"$bin" --database "$url" --blobs "$work/blobs" audit verify
echo "multi-server test passed: $(jq -r .acknowledged "$work/check.json") acknowledged writes through two servers, all present, chain valid."
