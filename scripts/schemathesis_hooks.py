"""A check for scripts/schemathesis.sh: a request the OpenAPI document allows
is refused only for what no schema can say.

schemathesis.toml lets positive_data_acceptance take 412 and 422; this check
narrows them. A 422 must be a validation problem whose every field error is
one of RULES_NO_SCHEMA_STATES (rules over stored data or between fields); a
412 must be a stale version. Anything else, such as a length, a pattern or a
field the document does not declare, means the document and the server
disagree, and fails the run.
"""

import json
import re

import schemathesis

# Field errors no schema can foresee, as (field, message pattern). Each is a
# rule over data already stored, or between two fields of one request.
RULES_NO_SCHEMA_STATES = [
    # A consistency proof runs from an earlier size to a later one.
    ("from", r"^must not exceed to \(\d+\); it is \d+$"),
    # A list's cursor is opaque: only this service's own cursors, made by
    # that very list, are read.
    ("cursor", r"^is not a cursor of the [a-z ]+ list$"),
    # Codes that must name an organisation that exists, of the right kind.
    ("issued_by", r"^no organisation has the code|is not an oversight body"),
    ("organisation", r"^no organisation has the code"),
    ("recipients", r"^no organisation has the code|is not a recipient"),
    ("role", r"cannot belong to a"),
    # Days that must fall after another day: of the recommendation's issue
    # (stored, or sent beside it), of today, of the current due day.
    ("response_due_on", r"^must not be before the issue date"),
    ("due_on", r"^must not be before the recommendation was issued"),
    ("planned_completion_on", r"^must not be before the recommendation was issued"),
    ("completed_on", r"^must not be (?:in the future|before the recommendation was issued)"),
    ("requested_due_on", r"^must be later than the current due day"),
    # A day derived from one sent: a response due after the last day kept.
    ("issued_on", r"^is too late: a response would be due on"),
    # Fields one of whose presence depends on another's value.
    ("planned_completion_on", r"^(?:is required when|must be left out when) the recommendation"),
    ("comment", r"^is required (?:for the outcome|when refusing)"),
    ("completed_on", r"^may only be given with status `done`"),
    # Evidence as JSON: a link needs its url, a statement its text, and
    # neither takes the other's.
    ("url", r"^must not be empty$"),
    ("text", r"^must not be empty$"),
    ("text", r"^is only for a statement"),
    ("url", r"^is only for a link"),
    ("", r"^name at least one of title, due_on, status$"),
    # A publication decision takes its text and reason by its action.
    ("text", r"^(?:is required|must be left out) to (?:publish|publish redacted|withhold)$"),
    ("reason", r"^(?:is required|must be left out) to (?:publish|publish redacted|withhold)$"),
    # A move over what is stored: a started milestone stays started.
    ("status", r"^a started milestone cannot go back to planned$"),
    # When a fact happened: never after today, never before what is already
    # on record for the assignment; a backfill cites its source, a source
    # says something.
    ("occurred_on", r"^must not be (?:later than today|before \d{4}-\d{2}-\d{2}, when)"),
    ("source", r"^(?:is required for a fact that happened before today|must give a citation)"),
    # Ids that must name milestones or evidence of this very assignment.
    ("milestone_ids", r"` is not a milestone of this assignment$"),
    ("evidence_ids", r"` is not an evidence item of this assignment$"),
]

# Problems, other than validation, that depend on what is stored.
STATEFUL_PROBLEMS = {
    # An Idempotency-Key the generator drew twice, with two bodies.
    "urn:rectrack:problem:idempotency-key-reused",
}


def _problem(response):
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


def _sends_an_undeclared_field(case):
    body = case.body
    if not isinstance(body, dict):
        return False
    try:
        content = case.operation.definition.raw["requestBody"]["content"]
    except (AttributeError, KeyError, TypeError):
        return False
    media_type = (getattr(case, "media_type", None) or "").split(";")[0].strip()
    for name, media in content.items():
        if media_type and name.split(";")[0].strip() != media_type:
            continue
        schema = media.get("schema") or {}
        if schema.get("additionalProperties") is False:
            declared = set((schema.get("properties") or {}).keys())
            if set(body) - declared:
                return True
    return False


@schemathesis.check
def refused_only_for_what_no_schema_states(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status not in (412, 422):
        return None
    problem = _problem(response) or {}
    kind = problem.get("type", "")
    if kind in STATEFUL_PROBLEMS:
        return None
    if _sends_an_undeclared_field(case):
        # Stateful links copy fields of earlier answers into a body whose
        # schema forbids them: such a case is not one the document allows.
        return None
    if problem.get("rows") is not None:
        # An import file's rows are checked against the import format
        # (docs/import.md): columns, days, the lifecycle. A body schema
        # cannot state those rules; the document's `rows` names each error.
        return None
    if status == 412:
        if kind != "urn:rectrack:problem:stale-version":
            raise AssertionError(f"412 to a request the document allows, not for a stale version: {problem}")
        return None
    unexplained = [
        error
        for error in problem.get("errors") or [{"field": "?", "message": problem.get("detail", "")}]
        if not any(
            field == error.get("field") and re.search(pattern, error.get("message", ""))
            for field, pattern in RULES_NO_SCHEMA_STATES
        )
    ]
    if unexplained:
        raise AssertionError(
            "422 to a request the document allows, for a rule the document could state: "
            + json.dumps(unexplained, ensure_ascii=False)
        )
    return None
