#!/usr/bin/env bash
# Renders the HTML status report in headless Chromium and checks what a reader
# would see: the title, the SVG chart's nine bars, and a row per
# recommendation. Installs Debian's chromium if it is missing.
#
# Usage: scripts/check-html-report.sh [path/to/rectrack]
set -euo pipefail

bin="$(realpath "${1:-target/debug/rectrack}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

(
    cd "$work"
    "$bin" seed hotton >/dev/null
    "$bin" report --format html --output report.html
)

timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --dump-dom "file://$work/report.html" >"$work/dom.html" 2>"$work/chromium.log"

fail() {
    echo "HTML report check failed: $1" >&2
    exit 1
}
grep -q "<h1>Status report as of " "$work/dom.html" || fail "no title in the rendered page"
[ "$(grep -o '<rect ' "$work/dom.html" | wc -l)" -eq 9 ] || fail "the chart does not have nine bars"
[ "$(grep -o '<td>operation-hotton</td>' "$work/dom.html" | wc -l)" -eq 15 ] || fail "not fifteen recommendation rows"
grep -q "<svg" "$work/dom.html" || fail "no SVG chart"
echo "The HTML report renders in Chromium: title, 9 bars, 15 recommendation rows."
