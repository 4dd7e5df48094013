//! The status report as CSV, Markdown and HTML, pinned by snapshots that are
//! reviewed like code (`cargo insta review`).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::{NaiveDate, TimeZone, Utc};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::organisation::OrgCode;
use rectrack_core::response::ResponseDecision;
use rectrack_core::status_render::{to_csv, to_html, to_markdown};
use rectrack_core::status_report::{
    AssignmentSnapshot, AssignmentTimeline, Basis, Change, Recorded, ReportFilters, StatusReport,
    status_report_as_of,
};
use rectrack_core::text::{Slug, Title};

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn timeline(
    id: u128,
    organisation: &str,
    number: u32,
    title: &str,
    changes: Vec<(&str, Change)>,
) -> AssignmentTimeline {
    AssignmentTimeline {
        created_at: Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap(),
        initial: AssignmentSnapshot {
            assignment_id: uuid::Uuid::from_u128(id).into(),
            report: Slug::parse("operation-hotton").unwrap(),
            number,
            title: Title::parse(title).unwrap(),
            themes: vec![Slug::parse("culture").unwrap()],
            organisation: OrgCode::parse(organisation).unwrap(),
            issued_on: day("2022-02-01"),
            response_due_on: day("2022-03-29"),
            status: AssignmentStatus::AwaitingResponse,
            decision: None,
            first_response_on: None,
            first_response_bound: false,
            verified_on: None,
            verified_bound: false,
            closed_on: None,
            milestones: vec![],
            uncertain: false,
        },
        changes: changes
            .into_iter()
            .map(|(on, change)| Recorded {
                at: Utc.from_utc_datetime(&day(on).and_hms_opt(12, 0, 0).unwrap()),
                occurred_on: day(on),
                bound: false,
                change,
            })
            .collect(),
    }
}

fn report() -> StatusReport {
    let timelines = vec![
        timeline(
            1,
            "mps",
            1,
            "Commit to being \"anti-racist\", publicly",
            vec![
                (
                    "2022-03-01",
                    Change::Responded {
                        decision: ResponseDecision::Accepted,
                    },
                ),
                (
                    "2022-04-01",
                    Change::Status {
                        status: AssignmentStatus::ImplementationClaimed,
                    },
                ),
                (
                    "2022-05-01",
                    Change::Status {
                        status: AssignmentStatus::Verified,
                    },
                ),
            ],
        ),
        timeline(
            2,
            "mps",
            2,
            "Zero tolerance <of> sexism & misogyny",
            vec![(
                "2022-03-10",
                Change::Responded {
                    decision: ResponseDecision::PartiallyAccepted,
                },
            )],
        ),
        timeline(
            3,
            "wmp",
            1,
            "Commit to being \"anti-racist\", publicly",
            vec![],
        ),
    ];
    status_report_as_of(
        &timelines,
        &ReportFilters::default(),
        day("2022-06-01"),
        Basis::Recorded,
    )
}

#[test]
fn csv_has_a_header_a_row_per_organisation_and_the_totals() {
    insta::assert_snapshot!(to_csv(&report()));
}

#[test]
fn markdown_has_figures_and_recommendations_tables() {
    insta::assert_snapshot!(to_markdown(&report()));
}

#[test]
fn html_is_one_self_contained_page_with_an_svg_chart() {
    let html = to_html(&report());
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "no external assets"
    );
    assert!(
        html.contains("&lt;of&gt;") && html.contains("&amp;"),
        "text is escaped"
    );
    insta::assert_snapshot!(html);
}

/// A report resting on a bound says what it leaves out, in every format
/// that people read.
#[test]
fn a_report_says_what_a_bound_leaves_out() {
    let mut timelines = vec![timeline(1, "mps", 1, "Recommendation 1", vec![])];
    timelines[0].changes.push(Recorded {
        at: Utc.from_utc_datetime(&day("2026-11-30").and_hms_opt(10, 0, 0).unwrap()),
        occurred_on: day("2022-04-08"),
        bound: true,
        change: Change::Responded {
            decision: ResponseDecision::Accepted,
        },
    });
    let report = status_report_as_of(
        &timelines,
        &ReportFilters::default(),
        day("2026-11-30"),
        Basis::Occurred,
    );
    let note = rectrack_core::status_render::left_out(&report.totals).unwrap();
    assert!(
        note.starts_with("1 response(s) are known only as given on or before"),
        "{note}"
    );
    assert!(
        note.contains("left out of the median days to response"),
        "{note}"
    );
    let markdown = to_markdown(&report);
    assert!(markdown.starts_with("# Status report as of 2026-11-30, as it happened"));
    assert!(markdown.contains(&note), "{markdown}");
    assert!(to_html(&report).contains("counted neither as on time nor as late"));
    assert!(
        rectrack_core::status_render::left_out(
            &status_report_as_of(
                &timelines,
                &ReportFilters::default(),
                day("2022-03-01"),
                Basis::Occurred,
            )
            .totals
        )
        .is_none()
    );
}
