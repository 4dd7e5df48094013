#!/usr/bin/env bash
# Kills the server with SIGKILL while clients write, restarts it, and checks
# that nothing acknowledged was lost and nothing unacknowledged is
# half-present; then verifies the audit chain. Repeats CRASH_ROUNDS times on
# one SQLite database. Every wait is bounded.
#
# Usage: scripts/crash-test.sh [path/to/rectrack]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bin="$(realpath "${1:-target/debug/rectrack}")"
rounds="${CRASH_ROUNDS:-4}"
port="${CRASH_PORT:-18191}"
base="http://127.0.0.1:$port"
work="$(mktemp -d)"
db="sqlite://$work/crash.db?mode=rwc"
server=""
cleanup() {
    [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

start() {
    "$bin" --database "$db" --blobs "$work/blobs" serve --demo --demo-tokens "$work/tokens.json" \
        --bind "127.0.0.1:$port" >>"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "$base/healthz" >/dev/null 2>&1 && return
        sleep 0.1
    done
    cat "$work/serve.log" >&2
    echo "the server did not start" >&2
    exit 1
}

start
token=$(grep -A1 '^Recipient token (MPS):' "$work/serve.log" | tail -1)
mps_targets "$base" "$token" 4

python3 scripts/load.py accept --base "$base" --token "$token" "${targets[@]}"
python3 scripts/load.py check --base "$base" --token "$token" "${targets[@]}" \
    --save-baseline "$work/baseline.json"

kills=0
for round in $(seq 1 "$rounds"); do
    python3 scripts/load.py write --base "$base" --token "$token" "${targets[@]}" \
        --workers 8 --seconds 6 --tag "round $round" --log "$work/acknowledged.jsonl" \
        >"$work/load-$round.json" &
    load=$!
    # Somewhere in the first half of the load, without warning.
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }')"
    kill -9 "$server"
    wait "$server" 2>/dev/null || true
    kills=$((kills + 1))
    sleep 0.3
    start
    wait "$load"
    echo "round $round: $(cat "$work/load-$round.json")"
done

python3 scripts/load.py check --base "$base" --token "$token" "${targets[@]}" \
    --log "$work/acknowledged.jsonl" --baseline "$work/baseline.json" | tee "$work/check.json"
kill "$server"
wait "$server" 2>/dev/null || true
server=""
"$bin" --database "$db" --blobs "$work/blobs" audit verify
echo "crash test passed: $kills kills survived, $(jq -r .acknowledged "$work/check.json") acknowledged writes all present, chain valid."
