//! The import format: what a table may hold, and that every plan it yields
//! is a sequence of commands the lifecycle allows, in an order that can
//! have happened.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::NaiveDate;
use proptest::prelude::*;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::import::{MAX_ROWS, Plan, Progress, RowError, Step, Table, progress, statuses};
use rectrack_core::lifecycle;
use rectrack_core::role::Principal;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-11-30";

fn table(csv: &str) -> Table {
    let mut lines = csv
        .lines()
        .map(|l| l.split(',').map(ToOwned::to_owned).collect::<Vec<_>>());
    Table {
        columns: lines.next().unwrap(),
        rows: lines.collect(),
    }
}

fn errors(csv: &str) -> Vec<RowError> {
    Plan::parse(&table(csv), day(TODAY)).unwrap_err()
}

/// Requires `csv` to be refused with an error in `column` of `row`.
fn refused_at(csv: &str, row: usize, column: &str) {
    let found = errors(csv);
    assert!(
        found
            .iter()
            .any(|e| e.row == row && e.column.as_deref() == Some(column)),
        "{csv}: {found:?}"
    );
}

const DESCRIBED: &str = "report,number,recipient,recipient_name,recipient_kind,report_title,report_issued_by,report_published_on,title,body,issued_on";

#[test]
fn a_described_record_plans_what_to_create_and_each_assignments_steps() {
    let csv = format!(
        "{DESCRIBED},response_decision,response_rationale,response_on,response_source,review_outcome,review_comment,review_on,review_source\n\
         op,1,fa,Force A,police_force,Op,iopc,2022-01-01,T,B,2022-01-01,accepted,Yes,2022-02-01,Letter,closed_not_implemented,Nothing done,2024-01-01,Letter\n\
         op,1,fb,Force B,police_force,Op,iopc,2022-01-01,T,B,2022-01-01,,,,,,,,\n"
    );
    let plan = Plan::parse(&table(&csv), day(TODAY)).unwrap();
    assert_eq!(plan.rows, 2);
    assert_eq!(plan.organisations.len(), 2);
    assert_eq!(plan.reports.len(), 1);
    assert_eq!(plan.recommendations.len(), 1);
    let draft = plan.recommendations[0].draft.as_ref().unwrap();
    assert_eq!(
        draft.recipients,
        ["fa", "fb"],
        "one recommendation, every recipient"
    );
    assert_eq!(plan.assignments.len(), 2);
    let steps = &plan.assignments[0].steps;
    assert_eq!(
        statuses(steps).unwrap(),
        [
            AssignmentStatus::AwaitingResponse,
            AssignmentStatus::Accepted,
            AssignmentStatus::ClosedNotImplemented
        ]
    );
    assert!(
        steps.iter().all(|s| s.occurred().on_record),
        "entered from the record"
    );
    assert!(plan.assignments[1].steps.is_empty());
}

#[test]
fn the_header_must_name_known_columns_once_and_the_required_ones() {
    let found = errors("report,colour,report\nop,red,op\n");
    let messages: Vec<String> = found
        .iter()
        .map(|e| format!("{:?} {}", e.column, e.message))
        .collect();
    assert!(found.iter().all(|e| e.row == 1), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("colour") && m.contains("not a column"))
    );
    assert!(messages.iter().any(|m| m.contains("twice")));
    assert!(messages.iter().any(|m| m.contains("number, recipient")));
    assert!(
        errors("report,number,recipient\n")[0]
            .message
            .contains("no rows")
    );
}

#[test]
fn formulas_are_refused_and_a_neutralised_cell_is_read_as_its_text() {
    let found = errors(
        "report,number,recipient,progress_narrative,progress_on,progress_source\nop,1,fa,=SUM(A1),2022-01-01,x\n",
    );
    assert_eq!(found[0].column.as_deref(), Some("progress_narrative"));
    assert!(found[0].message.contains("formula"));
    // In a required column it is reported once, as a formula.
    let found = errors(
        "report,number,recipient
op,=1+1,fa
",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].column.as_deref(), Some("number"));
    assert!(found[0].message.contains("formula"));
    let plan = Plan::parse(
        &table("report,number,recipient,response_decision,response_rationale,response_on,response_source\nop,1,fa,accepted,'=yes,2022-01-01,'-x\n"),
        day(TODAY),
    )
    .unwrap();
    let Step::Respond(draft, occurred) = &plan.assignments[0].steps[0] else {
        panic!("a response");
    };
    assert_eq!(draft.rationale, "=yes");
    assert_eq!(
        occurred.source.as_ref().unwrap().text.as_deref(),
        Some("-x")
    );
}

#[test]
fn a_history_the_lifecycle_refuses_or_out_of_order_is_refused_by_row_and_column() {
    let header = "report,number,recipient,issued_on,title,body,response_decision,response_rationale,response_on,response_source,claim_summary,claim_evidence,claim_on,claim_source,review_outcome,review_on,review_source";
    let cases = [
        // A claim with no response before it.
        ("op,1,fa,,,,,,,,Done,Proof,2022-03-01,x,,,", "claim_summary"),
        // Verified without a claim.
        (
            "op,1,fa,,,,accepted,Yes,2022-02-01,x,,,,,verified,2022-03-01,x",
            "review_outcome",
        ),
        // A claim before the response.
        (
            "op,1,fa,,,,accepted,Yes,2022-02-01,x,Done,Proof,2022-01-15,x,,,",
            "claim_on",
        ),
        // A response before the recommendation was issued.
        (
            "op,1,fa,2022-01-10,T,B,accepted,Yes,2022-01-01,x,,,,,,,",
            "response_on",
        ),
        // After today.
        ("op,1,fa,,,,accepted,Yes,2999-01-01,x,,,,,,,", "response_on"),
        // From the record, but citing nothing.
        (
            "op,1,fa,,,,accepted,Yes,2022-02-01,,,,,,,,",
            "response_source",
        ),
        // A claim that cites no evidence.
        (
            "op,1,fa,,,,accepted,Yes,2022-02-01,x,Done,,2022-03-01,x,,,",
            "claim_evidence",
        ),
        // A review an import does not record.
        (
            "op,1,fa,,,,accepted,Yes,2022-02-01,x,Done,Proof,2022-03-01,x,comment,2022-03-02,x",
            "review_outcome",
        ),
        // A claim returned with no claim before it.
        (
            "op,1,fa,,,,accepted,Yes,2022-02-01,x,,,,,returned,2022-03-01,x",
            "review_outcome",
        ),
    ];
    for (row, column) in cases {
        refused_at(&format!("{header}\n{row}\n"), 2, column);
    }
}

#[test]
fn milestones_on_rows_of_their_own_join_their_assignments_history_by_day() {
    let header = "report,number,recipient,response_decision,response_rationale,response_on,response_source,progress_narrative,progress_on,progress_source,milestone_title,milestone_due_on,milestone_status,milestone_on,milestone_source,milestone_started_on,milestone_ended_on";
    let csv = format!(
        "{header}\n\
         op,1,fa,accepted,Yes,2022-02-01,x,Going,2022-05-01,x\n\
         op,1,fa,,,,,,,,Plan,2022-12-31,done,2022-03-01,Plan,2022-04-01,2022-06-01\n\
         op,1,fa,,,,,,,,Vet,2023-12-31,planned,2022-05-01,Plan,,\n"
    );
    let plan = Plan::parse(&table(&csv), day(TODAY)).unwrap();
    assert_eq!(plan.assignments.len(), 1);
    let steps: Vec<_> = plan.assignments[0]
        .steps
        .iter()
        .map(|s| {
            (
                s.command().name(),
                s.occurred().occurred_on.unwrap().to_string(),
            )
        })
        .collect();
    let on = |c: &'static str, d: &str| (c, d.to_owned());
    assert_eq!(
        steps,
        [
            on("respond_accepted", "2022-02-01"),
            on("plan_milestone", "2022-03-01"),
            on("start_milestone", "2022-04-01"),
            // Both on 1 May: the milestone is planned while work goes on.
            on("plan_milestone", "2022-05-01"),
            on("post_update", "2022-05-01"),
            on("start_milestone", "2022-06-01"),
        ]
    );

    let cases = [
        // A milestone whose assignment has no row.
        (
            "op,2,fa,,,,,,,,Plan,2022-12-31,planned,2022-03-01,Plan,,",
            "recipient",
        ),
        // A milestone's row giving history too.
        (
            "op,1,fa,accepted,,,,,,,Plan,2022-12-31,planned,2022-03-01,Plan,,",
            "response_decision",
        ),
        // Started before it was planned.
        (
            "op,1,fa,,,,,,,,Plan,2022-12-31,in_progress,2022-03-01,Plan,2022-02-01,",
            "milestone_started_on",
        ),
        // Done without a day.
        (
            "op,1,fa,,,,,,,,Plan,2022-12-31,done,2022-03-01,Plan,,",
            "milestone_ended_on",
        ),
        // Planned before the response: the lifecycle refuses it.
        (
            "op,1,fa,,,,,,,,Plan,2022-12-31,planned,2022-01-15,Plan,,",
            "milestone_title",
        ),
        // A milestone column without a milestone.
        (
            "op,1,fa,accepted,Yes,2022-02-01,x,,,,,2022-12-31,,,,,",
            "milestone_due_on",
        ),
    ];
    for (row, column) in cases {
        let csv = format!("{header}\nop,1,fa,accepted,Yes,2022-02-01,x,,,\n{row}\n");
        refused_at(&csv, 3, column);
    }
}

#[test]
fn an_extension_comes_before_the_response_and_a_revision_after_it() {
    let header = "report,number,recipient,extension_due_on,extension_reason,extension_requested_on,extension_on,extension_source,response_decision,response_rationale,response_on,response_source,revision_decision,revision_rationale,revision_on,revision_source";
    let csv = format!(
        "{header}\nop,1,fa,2022-06-01,Court case,2022-02-20,2022-03-01,x,accepted,Yes,2022-04-01,x,not_accepted,No,2022-05-01,x\n"
    );
    let plan = Plan::parse(&table(&csv), day(TODAY)).unwrap();
    let commands: Vec<_> = plan.assignments[0]
        .steps
        .iter()
        .map(|s| s.command().name())
        .collect();
    assert_eq!(
        commands,
        [
            "request_extension",
            "respond_accepted",
            "respond_not_accepted"
        ]
    );
    for (row, column) in [
        // Asked after it was granted.
        (
            "op,1,fa,2022-06-01,Court case,2022-03-02,2022-03-01,x,,,,,,,,",
            "extension_requested_on",
        ),
        // A revision without a response.
        (
            "op,1,fa,,,,,,,,,,not_accepted,No,2022-05-01,x",
            "revision_decision",
        ),
        // A revision before the response.
        (
            "op,1,fa,,,,,,accepted,Yes,2022-04-01,x,not_accepted,No,2022-03-01,x",
            "revision_on",
        ),
    ] {
        refused_at(&format!("{header}\n{row}\n"), 2, column);
    }
}

#[test]
fn rows_that_describe_one_thing_differently_are_refused() {
    let csv = format!(
        "{DESCRIBED}\n\
         op,1,fa,Force A,police_force,Op,iopc,2022-01-01,T,B,2022-01-01\n\
         op,1,fb,Force B,police_force,Op,iopc,2022-01-01,Other title,B,2022-01-01\n\
         op,2,fa,Force A2,police_force,Op,iopc,2022-01-01,T,B,2022-01-01\n\
         op,1,fa,Force A,police_force,Op,iopc,2022-01-01,T,B,2022-01-01\n"
    );
    let found = errors(&csv);
    assert!(
        found
            .iter()
            .any(|e| e.row == 3 && e.column.as_deref() == Some("title")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.row == 4 && e.column.as_deref() == Some("recipient_name")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.row == 5 && e.message.contains("earlier row")),
        "{found:?}"
    );
}

#[test]
fn an_assignment_is_given_only_the_steps_it_has_not_taken() {
    let csv = "report,number,recipient,response_decision,response_rationale,response_on,response_source,progress_narrative,progress_on,progress_source\n\
               op,1,fa,accepted,Yes,2022-02-01,x,Going,2022-03-01,x\n";
    let plan = Plan::parse(&table(csv), day(TODAY)).unwrap();
    let steps = &plan.assignments[0].steps;
    use AssignmentStatus::*;
    assert_eq!(progress(steps, AwaitingResponse), Progress::Taken(0));
    assert_eq!(progress(steps, Accepted), Progress::Taken(1));
    assert_eq!(progress(steps, InProgress), Progress::Taken(2));
    assert_eq!(progress(steps, Verified), Progress::MovedOn);
    assert_eq!(progress(steps, NotAccepted), Progress::Diverged);
}

/// One row's history columns, chosen at random: which steps it gives, with
/// what, and on which days.
fn row() -> impl Strategy<Value = String> {
    let decision = prop::option::of(prop::sample::select(vec![
        "accepted",
        "partially_accepted",
        "not_accepted",
        "maybe",
    ]));
    let outcome = prop::option::of(prop::sample::select(vec![
        "verified",
        "closed_not_implemented",
        "returned",
    ]));
    let on = || prop::option::of((2021i32..2028, 1u32..13, 1u32..29));
    (
        decision,
        on(),
        any::<bool>(),
        on(),
        any::<bool>(),
        on(),
        outcome,
        on(),
        prop::option::of(prop::sample::select(vec!["exact", "on_or_before"])),
        any::<bool>(),
    )
        .prop_map(
            |(
                decision,
                response_on,
                progress,
                progress_on,
                claim,
                claim_on,
                outcome,
                review_on,
                precision,
                sourced,
            )| {
                let day = |d: Option<(i32, u32, u32)>| {
                    d.map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"))
                        .unwrap_or_default()
                };
                let source = if sourced { "Letter" } else { "" };
                [
                    decision.unwrap_or("").to_owned(),
                    if decision.is_some() {
                        "Because".to_owned()
                    } else {
                        String::new()
                    },
                    day(response_on),
                    precision.unwrap_or("").to_owned(),
                    source.to_owned(),
                    if progress {
                        "Work".to_owned()
                    } else {
                        String::new()
                    },
                    day(progress_on),
                    source.to_owned(),
                    if claim {
                        "Done".to_owned()
                    } else {
                        String::new()
                    },
                    if claim {
                        "Proof".to_owned()
                    } else {
                        String::new()
                    },
                    day(claim_on),
                    source.to_owned(),
                    outcome.unwrap_or("").to_owned(),
                    "Comment".to_owned(),
                    day(review_on),
                    source.to_owned(),
                ]
                .join(",")
            },
        )
}

/// A milestone's row, from its title on, chosen at random.
fn milestone() -> impl Strategy<Value = String> {
    let on = || prop::option::of((2021i32..2028, 1u32..13, 1u32..29));
    (
        prop::sample::select(vec!["planned", "in_progress", "done", "dropped"]),
        on(),
        on(),
        on(),
    )
        .prop_map(|(status, planned, started, ended)| {
            let day = |d: Option<(i32, u32, u32)>| {
                d.map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"))
                    .unwrap_or_default()
            };
            format!(
                "Step,2023-01-31,{status},{},Plan,{},{}",
                day(planned),
                day(started),
                day(ended)
            )
        })
}

proptest! {
    /// Import builds only lawful command sequences: every plan's steps are
    /// moves the lifecycle allows one after another from awaiting a
    /// response, on days that never go backwards, never after today and
    /// never before the recommendation was issued; and a refused table
    /// names a row of the file.
    #[test]
    fn import_builds_only_lawful_command_sequences(
        rows in prop::collection::vec((row(), prop::collection::vec(milestone(), 0..3)), 1..6)
    ) {
        let header = "report,number,recipient,issued_on,title,body,response_decision,response_rationale,response_on,response_precision,response_source,progress_narrative,progress_on,progress_source,claim_summary,claim_evidence,claim_on,claim_source,review_outcome,review_comment,review_on,review_source,milestone_title,milestone_due_on,milestone_status,milestone_on,milestone_source,milestone_started_on,milestone_ended_on";
        let mut csv = header.to_owned();
        let mut lines = 0;
        for (i, (row, milestones)) in rows.iter().enumerate() {
            csv.push_str(&format!("\nop,{},fa,2022-01-01,T,B,{row}", i + 1));
            for milestone in milestones {
                csv.push_str(&format!("\nop,{},fa{}{milestone}", i + 1, ",".repeat(20)));
            }
            lines += 1 + milestones.len();
        }
        let today = day(TODAY);
        match Plan::parse(&table(&csv), today) {
            Ok(plan) => {
                for assignment in &plan.assignments {
                    let mut status = AssignmentStatus::AwaitingResponse;
                    let mut last = day("2022-01-01");
                    for step in &assignment.steps {
                        let transition = lifecycle::decide_backfill(status, &Principal::Console, step.command());
                        prop_assert!(transition.is_ok(), "{:?} from {:?}", step.command(), status);
                        status = transition.unwrap().to;
                        let on = step.occurred().occurred_on.unwrap();
                        prop_assert!(on >= last && on <= today, "{on} after {last}");
                        prop_assert!(step.occurred().source.is_some());
                        last = on;
                        // A milestone changes only after it was planned.
                        if let Step::ChangeMilestone { row, .. } = step {
                            let planned = assignment
                                .steps
                                .iter()
                                .any(|s| matches!(s, Step::PlanMilestone { row: r, .. } if r == row));
                            prop_assert!(planned, "a milestone of row {} changed before it was planned", row);
                        }
                    }
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.row >= 2 && e.row < lines + 2));
            }
        }
    }
}

#[test]
fn the_row_limit_counts_assignments_and_leaves_their_milestones_aside() {
    let columns: Vec<String> = ["report", "number", "recipient", "milestone_title"]
        .map(ToOwned::to_owned)
        .to_vec();
    let assignment = |n: usize| vec!["op".to_owned(), n.to_string(), "fa".to_owned()];
    let mut rows: Vec<Vec<String>> = (1..=MAX_ROWS).map(assignment).collect();
    // Milestones' rows (here without their days, an error of their own).
    rows.push(vec!["op".into(), "1".into(), "fa".into(), "Plan".into()]);
    let found = Plan::parse(
        &Table {
            columns: columns.clone(),
            rows: rows.clone(),
        },
        day(TODAY),
    )
    .unwrap_err();
    assert!(
        found.iter().all(|e| !e.message.contains("at most")),
        "{:?}",
        &found[..1]
    );
    rows.push(assignment(MAX_ROWS + 1));
    let found = Plan::parse(&Table { columns, rows }, day(TODAY)).unwrap_err();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].row, MAX_ROWS + 3);
    assert!(found[0].message.contains("at most 100000"), "{found:?}");
}
