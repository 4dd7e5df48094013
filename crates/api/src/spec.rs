//! What the OpenAPI document says beyond what poem-openapi derives from the
//! types: the text rules core enforces (lengths, characters, slugs, URLs),
//! list bounds, the range of `limit`, and that request bodies take no field
//! they do not name. The write preconditions (`If-Match`, `Idempotency-Key`)
//! state their own headers, from their types (`crate::preconditions`).
//!
//! The rules live in core, which checks every field and reports them all at
//! once (422); this module only states them, from core's own constants, so
//! that a client (or a schema-driven test) can know before sending which
//! requests will be refused. A request the document allows is refused only
//! for what no schema can say: an organisation that does not exist, a day
//! before another day, a stale version, a move the lifecycle forbids.
//! `scripts/schemathesis.sh` holds the server to both directions: everything
//! the document allows is accepted but for those, everything it forbids is
//! refused.

use rectrack_core::evidence::URL_MAX;
use rectrack_core::person::EMAIL_MAX;
use rectrack_core::recommendation::{MAX_RECIPIENTS, MAX_THEMES};
use rectrack_core::review::MAX_CITED;
use rectrack_core::text::{HIDDEN_FORMAT, LONG_TEXT_MAX, TITLE_MAX};
use rectrack_store::page::MAX_LIMIT;

use serde_json::{Map, Value, json};

/// Characters Rust's `str::trim` removes (Unicode `White_Space`).
const SPACE: &str =
    r"\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Control characters (Unicode `Cc`).
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
/// Control characters other than tab and line breaks.
const CONTROL_BUT_BREAKS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";

/// The characters no text may hold (core's text rule), as the inside of a
/// character class.
fn hidden() -> String {
    HIDDEN_FORMAT
        .iter()
        .map(|(first, last)| match first == last {
            true => format!("\\u{:04X}", u32::from(*first)),
            false => format!("\\u{:04X}-\\u{:04X}", u32::from(*first), u32::from(*last)),
        })
        .collect()
}

/// Text that core trims and then needs to be 1 to `max` characters, none
/// of them in `forbidden` or hidden.
fn trimmed_text(max: usize, forbidden: &str) -> String {
    let hidden = hidden();
    let edge = format!("[^{SPACE}{CONTROL}{hidden}]");
    let forbidden = format!("{forbidden}{hidden}");
    format!(
        "^[{SPACE}]*{edge}(?:[^{forbidden}]{{0,{}}}{edge})?[{SPACE}]*$",
        max - 2
    )
}

/// A title or a name: one line (`SingleLine`).
fn single_line() -> Value {
    json!({ "pattern": trimmed_text(TITLE_MAX, CONTROL) })
}

/// Free text (`LongText`): line breaks and tabs allowed.
fn long_text() -> Value {
    json!({ "pattern": trimmed_text(LONG_TEXT_MAX, CONTROL_BUT_BREAKS) })
}

/// Optional free text: blank means none, anything else is `LongText`.
fn optional_long_text() -> Value {
    let text = trimmed_text(LONG_TEXT_MAX, CONTROL_BUT_BREAKS);
    let inner = &text[1..text.len() - 1];
    json!({ "pattern": format!("^(?:[{SPACE}]*|{inner})$") })
}

/// Optional one-line text: blank means none (a token's label).
fn optional_single_line() -> Value {
    let text = trimmed_text(TITLE_MAX, CONTROL);
    let inner = &text[1..text.len() - 1];
    json!({ "pattern": format!("^(?:[{SPACE}]*|{inner})$") })
}

/// A slug or an organisation code.
fn slug() -> Value {
    json!({ "pattern": "^[a-z0-9-]{2,64}$", "minLength": 2, "maxLength": 64 })
}

/// An http(s) URL. Core accepts any URL the WHATWG parser reads with an http
/// or https scheme and a host, no credentials, at most 2,048 bytes; this
/// states the plain form of it (lower-case host of letters and digits, no
/// port), which is what a client should send. Its length leaves one byte
/// for the `/` the parser adds after a bare host, so that what the pattern
/// allows is within the limit once parsed too.
fn url() -> Value {
    json!({
        "pattern": "^https?://[a-z][a-z0-9]*(?:\\.[a-z][a-z0-9]*)*(?:/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?$",
        "maxLength": URL_MAX - 1,
    })
}

/// An e-mail address (core's `Email`): one `@`, a domain with a dot inside
/// it, no spaces, control or hidden characters.
fn email() -> Value {
    let c = format!("{SPACE}{CONTROL}{}@", hidden());
    json!({
        "pattern": format!("^[^{c}]+@[^{c}.][^{c}]*\\.[^{c}]*[^{c}.]$"),
        "maxLength": EMAIL_MAX,
    })
}

/// A list of `min` to `max` distinct items.
fn list(min: usize, max: usize) -> Value {
    json!({ "minItems": min, "maxItems": max, "uniqueItems": true })
}

/// The constraints on the items of list fields.
fn item_fields() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("NewRecommendation", "themes", slug()),
        ("NewRecommendation", "recipients", slug()),
    ]
}

/// The constraints on each request body's fields.
fn body_fields() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("NewOrganisation", "code", slug()),
        ("NewOrganisation", "name", single_line()),
        ("NewReport", "slug", slug()),
        ("NewReport", "title", single_line()),
        ("NewReport", "issued_by", slug()),
        ("NewReport", "url", url()),
        ("NewReport", "summary", optional_long_text()),
        (
            "NewRecommendation",
            "number",
            json!({ "minimum": 1, "maximum": u32::MAX }),
        ),
        ("NewRecommendation", "title", single_line()),
        ("NewRecommendation", "body", long_text()),
        ("NewRecommendation", "themes", list(0, MAX_THEMES)),
        ("NewRecommendation", "recipients", list(1, MAX_RECIPIENTS)),
        ("Withdrawal", "reason", long_text()),
        ("ResponseBody", "rationale", long_text()),
        ("PublicationBody", "text", long_text()),
        ("PublicationBody", "reason", long_text()),
        ("NewMilestone", "title", single_line()),
        ("MilestonePatch", "title", single_line()),
        (
            "EvidenceJson",
            "kind",
            json!({ "enum": ["link", "statement"] }),
        ),
        ("EvidenceJson", "title", single_line()),
        ("EvidenceJson", "description", optional_long_text()),
        ("EvidenceJson", "url", url()),
        ("EvidenceJson", "text", long_text()),
        ("NewUpdate", "narrative", long_text()),
        ("NewUpdate", "milestone_ids", list(0, MAX_CITED)),
        ("NewUpdate", "evidence_ids", list(0, MAX_CITED)),
        ("NewClaim", "summary", long_text()),
        ("NewClaim", "evidence_ids", list(1, MAX_CITED)),
        ("NewExtensionRequest", "reason", long_text()),
        ("ExtensionDecisionBody", "comment", optional_long_text()),
        ("NewReview", "comment", optional_long_text()),
        ("Source", "text", optional_long_text()),
        ("Source", "url", url()),
        ("NewToken", "organisation", slug()),
        ("NewToken", "label", optional_single_line()),
        ("NewPerson", "organisation", slug()),
        ("NewPerson", "email", email()),
        ("NewPerson", "name", single_line()),
    ]
}

/// The fields of an evidence upload (`multipart/form-data`).
fn upload_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("title", single_line()),
        ("description", optional_long_text()),
    ]
}

/// Query parameters that name a slug or a code, wherever they appear.
const SLUG_PARAMETERS: [&str; 4] = ["organisation", "report", "recipient", "theme"];

/// Examples of the bodies that are easiest to get wrong (a fact entered
/// from the record, and where it is documented) and of what an import answers.
fn examples() -> Vec<(&'static str, Value)> {
    vec![
        (
            "ResponseBody",
            json!({
                "decision": "accepted",
                "rationale": "The force accepts the recommendation in full.",
                "occurred_on": "2022-04-08",
                "occurred_on_precision": "on_or_before",
                "source": {
                    "text": "IOPC news release of 8 April 2022",
                    "url": "https://www.policeconduct.gov.uk/news"
                }
            }),
        ),
        (
            "Source",
            json!({
                "text": "Letter from the Chief Constable, 2 May 2023",
                "url": "https://www.policeconduct.gov.uk/recommendations"
            }),
        ),
        (
            "ImportResult",
            json!({
                "sha256": "0d5a2b0f1c1a4d6e8f3b9c7a5e2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f",
                "dry_run": true,
                "rows": 2,
                "created": 1,
                "changed": 1,
                "left_alone": 0,
                "records_created": 1,
                "facts_recorded": 3,
                "recorded": false,
                "results": [
                    {"row": 2, "outcome": "created", "done": ["created recommendation 1 of op-x", "response accepted (2022-03-01)"]},
                    {"row": 3, "outcome": "changed", "done": ["evidence and claim (2023-01-05)"]}
                ],
                "errors": []
            }),
        ),
    ]
}

/// Adds the constraints to the document poem-openapi generated.
pub fn refine(document: &mut Value) {
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (schema, example) in examples() {
            if let Some(object) = schemas.get_mut(schema) {
                merge(object, json!({ "example": example }));
            }
        }
        for (schema, field, constraints) in body_fields() {
            let Some(object) = schemas.get_mut(schema) else {
                continue;
            };
            // A list that needs an item can be neither left out nor null.
            let needed = constraints["minItems"].as_u64().unwrap_or(0) > 0;
            if let Some(property) = object.pointer_mut(&format!("/properties/{field}")) {
                merge(property, constraints);
                if needed && let Some(property) = property.as_object_mut() {
                    property.remove("default");
                    property.remove("nullable");
                }
            }
            if needed
                && let Some(required) = object.get_mut("required").and_then(Value::as_array_mut)
                && !required.iter().any(|r| r == field)
            {
                required.push(Value::from(field));
            }
        }
        for (schema, field, constraints) in item_fields() {
            if let Some(items) = schemas
                .get_mut(schema)
                .and_then(|s| s.pointer_mut(&format!("/properties/{field}/items")))
            {
                merge(items, constraints);
            }
        }
        for (name, schema) in schemas.iter_mut() {
            if body_fields().iter().any(|(s, _, _)| s == name) {
                merge(schema, json!({ "additionalProperties": false }));
            }
        }
    }
    document_audit_seq(document);
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operations in paths.values_mut() {
        let Some(operations) = operations.as_object_mut() else {
            continue;
        };
        for operation in operations.values_mut() {
            if let Some(form) =
                operation.pointer_mut("/requestBody/content/multipart~1form-data/schema")
            {
                for (field, constraints) in upload_fields() {
                    if let Some(property) = form.pointer_mut(&format!("/properties/{field}")) {
                        merge(property, constraints);
                    }
                }
                merge(form, json!({ "additionalProperties": false }));
            }
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters {
                refine_parameter(parameter);
            }
        }
    }
}

/// Documents what every successful write answers besides its body: the
/// seq of the audit event it appended, in `Rectrack-Audit-Seq` and as
/// `audit_seq` in a JSON object body (added by the service to every write's
/// answer, so the types cannot say it).
fn document_audit_seq(document: &mut Value) {
    let mut answered = std::collections::BTreeSet::new();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operations in paths.values_mut() {
            let Some(operations) = operations.as_object_mut() else {
                continue;
            };
            for (method, operation) in operations.iter_mut() {
                if matches!(method.as_str(), "get" | "head") {
                    continue;
                }
                let Some(responses) = operation
                    .get_mut("responses")
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                for (status, response) in responses.iter_mut() {
                    if !status.starts_with('2') {
                        continue;
                    }
                    merge(
                        response,
                        json!({"headers": {"Rectrack-Audit-Seq": {
                            "description": "The seq of the audit event the write appended (of the first write, for a replayed answer; absent when nothing was written, as in an import's dry run): fetch its receipt at /v1/audit/events/{seq}/receipt.",
                            "required": false,
                            "schema": {"type": "integer", "format": "uint64"}
                        }}}),
                    );
                    if let Some(reference) = response
                        .pointer("/content/application~1json; charset=utf-8/schema/$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        answered.insert(reference.to_owned());
                    }
                }
            }
        }
    }
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for name in answered {
        if let Some(properties) = schemas
            .get_mut(&name)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            properties.insert(
                "audit_seq".to_owned(),
                json!({
                    "description": "In the answer to a write only: the seq of the audit event it appended, as in `Rectrack-Audit-Seq`.",
                    "type": "integer",
                    "format": "uint64"
                }),
            );
        }
    }
}

fn refine_parameter(parameter: &mut Value) {
    let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
    let place = parameter.get("in").and_then(Value::as_str).unwrap_or("");
    let constraints = match (place, name) {
        ("query", "limit") => json!({ "minimum": 1, "maximum": MAX_LIMIT }),
        ("query", "after_seq" | "from" | "to") => json!({ "minimum": 0 }),
        ("path", "seq") => json!({ "minimum": 1 }),
        ("query", n) if SLUG_PARAMETERS.contains(&n) => slug(),
        _ => return,
    };
    if let Some(schema) = parameter.get_mut("schema") {
        merge(schema, constraints);
    }
}

/// Adds every key of `extra` to the object `target`.
fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        let extra: Map<String, Value> = extra;
        target.extend(extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `text` matches a pattern of the document (whose `\uXXXX`
    /// escapes the regex crate spells `\x{XXXX}`).
    fn matches(pattern: &str, text: &str) -> bool {
        let mut rust = String::new();
        let mut rest = pattern;
        while let Some(at) = rest.find("\\u") {
            rust.push_str(&rest[..at]);
            rust.push_str(&format!("\\x{{{}}}", &rest[at + 2..at + 6]));
            rest = &rest[at + 6..];
        }
        rust.push_str(rest);
        regex::RegexBuilder::new(&rust)
            .size_limit(1 << 30)
            .build()
            .expect("the pattern compiles")
            .is_match(text)
    }

    fn pattern(constraints: &Value) -> &str {
        constraints["pattern"].as_str().expect("a pattern")
    }

    #[test]
    fn single_line_pattern_agrees_with_core() {
        use rectrack_core::text::Title;
        let p = single_line();
        let long = "x".repeat(TITLE_MAX);
        let cases = [
            "A title",
            "  padded  ",
            "\tpadded by tabs\n",
            "",
            "   ",
            "two\nlines",
            "bell\u{7}",
            "x",
            long.as_str(),
            &format!("{long}y"),
            &format!("  {long}  "),
            "\u{3000}ideographic space\u{3000}",
            "nbsp\u{a0}inside",
            "\u{85}next line",
        ];
        for case in cases {
            assert_eq!(
                matches(pattern(&p), case),
                Title::parse(case).is_ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn long_text_patterns_agree_with_core() {
        use rectrack_core::text::{LongText, optional_long_text as core_optional};
        let required = long_text();
        let optional = optional_long_text();
        let long = "y".repeat(LONG_TEXT_MAX);
        let cases = [
            "Some text",
            "line one\nline two\r\n\tindented",
            "",
            " \n ",
            "escape\u{1b}",
            "del\u{7f}",
            long.as_str(),
            &format!("{long}z"),
            &format!("\n{long}\n"),
        ];
        for case in cases {
            assert_eq!(
                matches(pattern(&required), case),
                LongText::parse(case).is_ok(),
                "{case:?}"
            );
            assert_eq!(
                matches(pattern(&optional), case),
                core_optional(Some(case)).is_ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn slug_and_url_patterns_agree_with_core() {
        use rectrack_core::evidence::HttpUrl;
        use rectrack_core::text::Slug;
        for case in ["mps", "a", "operation-hotton", "Mps", "a_b", "x-9", ""] {
            assert_eq!(
                matches(pattern(&slug()), case),
                Slug::parse(case).is_ok(),
                "{case:?}"
            );
        }
        // Every URL the document allows, core takes.
        for case in [
            "https://www.policeconduct.gov.uk/operation-hotton",
            "http://a",
            "https://example.org/a/b?c",
            "https://example.org/%zz",
        ] {
            if matches(pattern(&url()), case) {
                assert!(HttpUrl::parse(case).is_ok(), "{case:?}");
            }
        }
        assert!(matches(pattern(&url()), "https://www.example.org/report"));
        assert!(!matches(pattern(&url()), "ftp://example.org"));
    }

    #[test]
    fn refine_closes_bodies_and_bounds_lists_and_limits() {
        let mut document = json!({
            "components": { "schemas": { "NewClaim": { "type": "object", "required": ["summary"], "properties": {
                "summary": { "type": "string" },
                "evidence_ids": { "type": "array", "default": [], "nullable": true } } } } },
            "paths": { "/v1/reports": { "get": { "parameters": [
                { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer" } }
            ] } } }
        });
        refine(&mut document);
        let schema = &document["components"]["schemas"]["NewClaim"];
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["properties"]["evidence_ids"]["minItems"], json!(1));
        assert_eq!(schema["properties"]["evidence_ids"].get("default"), None);
        assert_eq!(schema["properties"]["evidence_ids"].get("nullable"), None);
        assert_eq!(schema["required"], json!(["summary", "evidence_ids"]));
        let limit = &document["paths"]["/v1/reports"]["get"]["parameters"][0]["schema"];
        assert_eq!(limit["maximum"], json!(MAX_LIMIT));
    }
}
