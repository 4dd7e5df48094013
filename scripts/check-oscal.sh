#!/usr/bin/env bash
# The OSCAL POA&M export validates against an independent OSCAL
# implementation: compliance-trestle's models (from PyPI, in a virtual
# environment), which refuse any field, value or shape the OSCAL schema does
# not allow. The record exported is the Operation Hotton data set plus a
# sample report whose history has every kind of step (a response of each
# kind, progress, claims citing a link and a statement, a verification and a
# withdrawal), imported from scripts/fixtures/oscal-record.csv.
#
# Usage: scripts/check-oscal.sh [path/to/rectrack]
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$(realpath "${1:-target/debug/rectrack}")"
# Its own environment: trestle pins versions schemathesis also uses.
venv="${RECTRACK_OSCAL_VENV:-target/oscal-venv}"
fixture="$(realpath scripts/fixtures/oscal-record.csv)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/trestle" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "compliance-trestle==5.2.0"
fi

export RECTRACK_DATABASE_URL="sqlite://$work/rectrack.db?mode=rwc"
export RECTRACK_BLOBS="$work/blobs"
"$bin" seed hotton >/dev/null
"$bin" import "$fixture" >/dev/null
"$bin" export --format oscal-poam --output "$work/poam.json"
"$bin" export --format oscal-poam --report op-sample --output "$work/sample.json"

"$venv/bin/python" - "$work/poam.json" "$work/sample.json" <<'PY'
import json
import sys

from trestle.oscal.poam import Model

for path in sys.argv[1:]:
    with open(path) as f:
        document = json.load(f)
    model = Model.model_validate(document)
    poam = model.plan_of_action_and_milestones
    print(
        f"{path.rsplit('/', 1)[-1]}: valid OSCAL POA&M, "
        f"{len(poam.poam_items)} items, {len(poam.findings or [])} findings, "
        f"{len(poam.risks or [])} risks, "
        f"{len((poam.back_matter.resources or []) if poam.back_matter else [])} resources"
    )
PY
