# Shared by scripts/crash-test.sh and scripts/multi-server.sh (sourced).

# mps_targets BASE TOKEN LIMIT: sets `targets` to the `--assignment` flags of
# scripts/load.py for up to LIMIT of the MPS's assignments.
mps_targets() {
    local ids
    mapfile -t ids < <(curl -fsS -H "Authorization: Bearer $2" \
        "$1/v1/assignments?organisation=mps&limit=$3" | jq -r '.items[].id')
    [ "${#ids[@]}" -gt 0 ] || { echo "no MPS assignment to write to" >&2; exit 1; }
    targets=()
    for id in "${ids[@]}"; do targets+=(--assignment "$id"); done
}
