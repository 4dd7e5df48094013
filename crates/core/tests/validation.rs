//! Validated construction: tables of inputs and whether each is accepted.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::NaiveDate;
use rectrack_core::evidence::{EvidenceDraft, HttpUrl, MediaType, SafeFilename};
use rectrack_core::milestone::{Milestone, MilestoneChange, MilestoneDraft, MilestoneStatus};
use rectrack_core::organisation::{OrgCode, OrganisationDraft, OrganisationKind};
use rectrack_core::recommendation::RecommendationDraft;
use rectrack_core::report::ReportDraft;
use rectrack_core::response::{ResponseDecision, ResponseDraft};
use rectrack_core::review::{ClaimDraft, ReviewDraft, ReviewOutcome};
use rectrack_core::text::{LongText, Slug, Title};
use rectrack_core::{Error, Refusal, ValidationErrors};

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn fields(errors: &ValidationErrors) -> Vec<&str> {
    errors.errors().iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn slugs_and_codes_follow_the_published_pattern() {
    let cases = [
        ("operation-hotton", true),
        ("mps", true),
        ("a1", true),
        (&"x".repeat(64), true),
        (&"x".repeat(65), false),
        ("a", false),
        ("", false),
        ("Operation-Hotton", false),
        ("operation hotton", false),
        ("opération", false),
        ("../etc", false),
        ("under_score", false),
    ];
    for (raw, ok) in cases {
        assert_eq!(Slug::parse(raw).is_ok(), ok, "slug {raw:?}");
        assert_eq!(OrgCode::parse(raw).is_ok(), ok, "code {raw:?}");
    }
}

#[test]
fn titles_are_one_line_of_at_most_200_characters() {
    let cases = [
        ("Commit to anti-racism", true),
        (&"é".repeat(200), true),
        (&"a".repeat(201), false),
        ("", false),
        ("   ", false),
        ("two\nlines", false),
        ("bell\u{7}", false),
    ];
    for (raw, ok) in cases {
        assert_eq!(Title::parse(raw).is_ok(), ok, "title {raw:?}");
    }
    assert_eq!(Title::parse("  padded  ").unwrap().as_str(), "padded");
}

#[test]
fn long_text_keeps_line_breaks_and_stops_at_20000_characters() {
    assert!(LongText::parse("first\nsecond\tthird\r\n").is_ok());
    assert!(LongText::parse(&"a".repeat(20_000)).is_ok());
    assert!(LongText::parse(&"a".repeat(20_001)).is_err());
    assert!(LongText::parse("nul\0byte").is_err());
}

#[test]
fn urls_must_be_http_or_https_with_a_host() {
    let cases = [
        ("https://www.policeconduct.gov.uk/recommendations", true),
        ("http://example.org/a?b=c#d", true),
        ("javascript:alert(1)", false),
        ("JAVASCRIPT:alert(1)", false),
        ("file:///etc/passwd", false),
        ("data:text/html,<script>alert(1)</script>", false),
        ("ftp://example.org/file", false),
        ("//example.org/no-scheme", false),
        ("/relative/path", false),
        ("https://user:secret@example.org/", false),
        ("https://", false),
        ("", false),
    ];
    for (raw, ok) in cases {
        assert_eq!(HttpUrl::parse(raw).is_ok(), ok, "url {raw:?}");
    }
    let long = format!("https://example.org/{}", "a".repeat(2100));
    assert!(HttpUrl::parse(&long).is_err());
}

#[test]
fn filenames_carry_no_path_and_no_hidden_characters() {
    let cases = [
        ("progress-report.pdf", true),
        ("Rapport d'étape 2023.docx", true),
        (".hidden-but-plain", true),
        ("../../etc/passwd", false),
        ("folder/file.pdf", false),
        ("C:\\Users\\file.pdf", false),
        (".", false),
        ("..", false),
        ("", false),
        (" leading-space.pdf", false),
        ("tab\tname.pdf", false),
        ("new\nline.pdf", false),
        ("invoice\u{202E}fdp.exe", false),
        ("zero\u{200B}width.pdf", false),
    ];
    for (raw, ok) in cases {
        assert_eq!(SafeFilename::parse(raw).is_ok(), ok, "filename {raw:?}");
    }
    assert!(SafeFilename::parse(&"a".repeat(256)).is_err());
}

#[test]
fn media_types_are_normalised_and_checked() {
    assert_eq!(
        MediaType::parse("Application/PDF").unwrap().as_str(),
        "application/pdf"
    );
    assert_eq!(
        MediaType::parse("text/plain; charset=utf-8")
            .unwrap()
            .as_str(),
        "text/plain"
    );
    for bad in [
        "",
        "pdf",
        "text/",
        "/plain",
        "text/plain/extra",
        "te xt/plain",
    ] {
        assert!(MediaType::parse(bad).is_err(), "media type {bad:?}");
    }
}

#[test]
fn an_organisation_draft_reports_every_invalid_field() {
    let draft = OrganisationDraft {
        code: "Not A Code".to_owned(),
        name: String::new(),
        kind: OrganisationKind::PoliceForce,
    };
    let errors = draft.parse().unwrap_err();
    assert_eq!(fields(&errors), ["code", "name"]);
}

#[test]
fn a_report_draft_refuses_a_javascript_url_and_a_bad_slug_together() {
    let draft = ReportDraft {
        slug: "Bad Slug".to_owned(),
        title: "Operation Hotton".to_owned(),
        issued_by: "iopc".to_owned(),
        published_on: day("2022-02-01"),
        url: Some("javascript:alert(1)".to_owned()),
        summary: None,
    };
    assert_eq!(fields(&draft.parse().unwrap_err()), ["slug", "url"]);
}

fn recommendation() -> RecommendationDraft {
    RecommendationDraft {
        number: 1,
        title: "Commit publicly to being an anti-racist organisation".to_owned(),
        body: "The force should make a public commitment.".to_owned(),
        themes: vec!["culture".to_owned(), "racism".to_owned()],
        recipients: vec!["mps".to_owned()],
        issued_on: day("2022-02-01"),
        response_due_on: None,
        legal_basis: None,
    }
}

#[test]
fn a_recommendation_is_due_56_days_after_issue_by_default() {
    let content = recommendation().parse().unwrap();
    assert_eq!(content.response_due_on, day("2022-03-29"));
}

#[test]
fn a_recommendation_draft_lists_every_invalid_field_not_just_the_first() {
    let draft = RecommendationDraft {
        number: -3,
        title: "x".repeat(201),
        body: String::new(),
        themes: vec!["culture".to_owned(), "culture".to_owned()],
        recipients: vec![],
        issued_on: day("2022-02-01"),
        response_due_on: Some(day("2022-01-31")),
        legal_basis: None,
    };
    let errors = draft.parse().unwrap_err();
    assert_eq!(
        fields(&errors),
        [
            "number",
            "title",
            "body",
            "themes",
            "recipients",
            "response_due_on"
        ]
    );
}

#[test]
fn a_response_due_before_issue_is_refused_and_on_issue_day_accepted() {
    let mut draft = recommendation();
    draft.response_due_on = Some(day("2022-01-31"));
    assert_eq!(fields(&draft.parse().unwrap_err()), ["response_due_on"]);
    draft.response_due_on = Some(day("2022-02-01"));
    assert!(draft.parse().is_ok());
}

#[test]
fn responses_need_a_rationale_and_a_plan_unless_not_accepted() {
    let issued = day("2022-02-01");
    let cases: [(ResponseDecision, &str, Option<&str>, &[&str]); 6] = [
        (
            ResponseDecision::Accepted,
            "We accept.",
            Some("2023-01-31"),
            &[],
        ),
        (
            ResponseDecision::Accepted,
            "We accept.",
            None,
            &["planned_completion_on"],
        ),
        (
            ResponseDecision::PartiallyAccepted,
            "",
            Some("2023-01-31"),
            &["rationale"],
        ),
        (
            ResponseDecision::PartiallyAccepted,
            "In part.",
            Some("2022-01-01"),
            &["planned_completion_on"],
        ),
        (ResponseDecision::NotAccepted, "We do not.", None, &[]),
        (
            ResponseDecision::NotAccepted,
            " ",
            Some("2023-01-31"),
            &["rationale", "planned_completion_on"],
        ),
    ];
    for (decision, rationale, planned, expected) in cases {
        let draft = ResponseDraft {
            decision,
            rationale: rationale.to_owned(),
            planned_completion_on: planned.map(day),
        };
        let got = draft
            .parse(issued, false)
            .err()
            .map(|e| fields(&e).iter().map(|f| f.to_string()).collect::<Vec<_>>())
            .unwrap_or_default();
        assert_eq!(got, expected, "{decision:?} {rationale:?} {planned:?}");
    }
}

#[test]
fn a_milestone_due_before_the_recommendation_was_issued_is_refused() {
    let draft = MilestoneDraft {
        title: "Publish the policy".to_owned(),
        due_on: day("2022-01-15"),
    };
    assert_eq!(
        fields(&draft.parse(day("2022-02-01")).unwrap_err()),
        ["due_on"]
    );
}

fn planned_milestone() -> Milestone {
    MilestoneDraft {
        title: "Publish the policy".to_owned(),
        due_on: day("2022-06-30"),
    }
    .parse(day("2022-02-01"))
    .unwrap()
    .into_milestone(uuid::Uuid::nil().into(), uuid::Uuid::nil().into())
}

#[test]
fn a_completion_day_in_the_future_is_refused() {
    let change = MilestoneChange {
        status: Some(MilestoneStatus::Done),
        completed_on: Some(day("2022-07-02")),
        ..MilestoneChange::default()
    };
    let today = day("2022-07-01");
    match planned_milestone().changed(&change, day("2022-02-01"), today) {
        Err(Error::Validation(errors)) => assert_eq!(fields(&errors), ["completed_on"]),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn finishing_a_milestone_defaults_its_completion_to_today_and_starts_work() {
    let change = MilestoneChange {
        status: Some(MilestoneStatus::Done),
        ..MilestoneChange::default()
    };
    let (done, command) = planned_milestone()
        .changed(&change, day("2022-02-01"), day("2022-07-01"))
        .unwrap();
    assert_eq!(done.completed_on, Some(day("2022-07-01")));
    assert_eq!(command.name(), "start_milestone");
    let dropped = MilestoneChange {
        status: Some(MilestoneStatus::Dropped),
        ..MilestoneChange::default()
    };
    let (_, command) = planned_milestone()
        .changed(&dropped, day("2022-02-01"), day("2022-07-01"))
        .unwrap();
    assert_eq!(command.name(), "plan_milestone");
}

#[test]
fn a_done_milestone_cannot_be_changed_again() {
    let mut done = planned_milestone();
    done.status = MilestoneStatus::Done;
    done.completed_on = Some(day("2022-06-01"));
    let change = MilestoneChange {
        title: Some("Renamed".to_owned()),
        ..MilestoneChange::default()
    };
    assert!(matches!(
        done.changed(&change, day("2022-02-01"), day("2022-07-01")),
        Err(Error::Refused(Refusal::Conflict { .. }))
    ));
}

#[test]
fn an_empty_milestone_change_is_refused() {
    assert!(matches!(
        planned_milestone().changed(
            &MilestoneChange::default(),
            day("2022-02-01"),
            day("2022-07-01")
        ),
        Err(Error::Validation(_))
    ));
}

#[test]
fn reviews_need_a_comment_unless_verified() {
    let cases = [
        (ReviewOutcome::Verified, None, true),
        (ReviewOutcome::Verified, Some("Well evidenced."), true),
        (ReviewOutcome::Returned, None, false),
        (ReviewOutcome::Returned, Some("  "), false),
        (
            ReviewOutcome::Returned,
            Some("The training has not been rolled out."),
            true,
        ),
        (ReviewOutcome::ClosedNotImplemented, None, false),
        (ReviewOutcome::Comment, None, false),
        (ReviewOutcome::Comment, Some("Noted."), true),
    ];
    for (outcome, comment, ok) in cases {
        let draft = ReviewDraft {
            outcome,
            comment: comment.map(str::to_owned),
        };
        assert_eq!(draft.parse().is_ok(), ok, "{outcome:?} {comment:?}");
    }
}

#[test]
fn a_claim_must_cite_at_least_one_evidence_item_once() {
    let id = uuid::Uuid::from_u128(7).into();
    let cases: [(&str, Vec<_>, &[&str]); 4] = [
        ("Implemented.", vec![id], &[]),
        ("Implemented.", vec![], &["evidence_ids"]),
        ("", vec![id, id], &["summary", "evidence_ids"]),
        ("", vec![], &["summary", "evidence_ids"]),
    ];
    for (summary, evidence_ids, expected) in cases {
        let draft = ClaimDraft {
            summary: summary.to_owned(),
            evidence_ids,
        };
        let got: Vec<String> = draft
            .parse()
            .err()
            .map(|e| fields(&e).iter().map(|f| f.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(got, expected);
    }
}

#[test]
fn evidence_drafts_are_checked_by_kind() {
    let link = EvidenceDraft::Link {
        title: "Policy".to_owned(),
        description: None,
        url: "file:///etc/passwd".to_owned(),
    };
    assert_eq!(fields(&link.parse().unwrap_err()), ["url"]);
    let document = EvidenceDraft::Document {
        title: String::new(),
        description: None,
        filename: "../secret.pdf".to_owned(),
        media_type: Some("nonsense".to_owned()),
        size_bytes: 10,
        sha256: "abc".to_owned(),
    };
    assert_eq!(
        fields(&document.parse().unwrap_err()),
        ["title", "filename", "media_type", "sha256"]
    );
    let statement = EvidenceDraft::Statement {
        title: "Statement of the Commissioner".to_owned(),
        description: Some("Read at the board.".to_owned()),
        text: "We are committed.".to_owned(),
    };
    assert!(statement.parse().is_ok());
    // From the record (an import), only what needs no upload.
    assert!(statement.check_from_record().is_ok());
    assert!(link.check_from_record().is_ok());
    assert_eq!(fields(&document.check_from_record().unwrap_err()), ["kind"]);
}
