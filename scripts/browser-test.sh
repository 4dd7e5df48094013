#!/usr/bin/env bash
# The public site in a real browser: a server seeded with a small synthetic
# set and the Operation Hotton data, driven by playwright-core in Debian's
# Chromium (tests/browser/site.test.mjs): a reader's journey, axe-core on
# every page type, a crawl of every internal link, screenshots at 375 and
# 1280 px; then the workspace (tests/browser/workspace.test.mjs): signing
# in with a second factor, an invitation accepted, axe-core and screenshots
# of every workspace page, and no secret in the server's log. Installs chromium (Debian) and the npm packages it pins
# (tests/browser/package-lock.json) if missing. Traffic stays on 127.0.0.1.
#
# Usage: scripts/browser-test.sh [path/to/rectrack]
# Screenshots go to $SCREENSHOTS (default target/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$(realpath "${1:-target/debug/rectrack}")"
shots="$(realpath -m "${SCREENSHOTS:-target/screenshots}")"
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --silent)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(
    cd "$work"
    "$bin" seed synthetic --organisations 4 --reports 3 --assignments 60 --updates 60 --years 2 >/dev/null
)
(cd "$work" && exec "$bin" serve --demo --bind "127.0.0.1:$port" --log-format json >"$work/serve.out" 2>"$work/serve.log") &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }

RECTRACK_URL="http://127.0.0.1:$port" SCREENSHOTS="$shots" timeout 600 node tests/browser/site.test.mjs
RECTRACK_URL="http://127.0.0.1:$port" SCREENSHOTS="$shots" SERVE_OUT="$work/serve.out" SERVE_LOG="$work/serve.log" \
    timeout 300 node tests/browser/workspace.test.mjs
