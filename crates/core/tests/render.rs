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
