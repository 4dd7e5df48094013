//! Status reports: figures worked out by hand for a small data set, the state
//! as of past days, and properties over random histories.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::lifecycle::{self, Command, Party};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::{OrgCode, OrganisationKind};
use rectrack_core::response::ResponseDecision;
use rectrack_core::role::{Actor, Role};
use rectrack_core::status_report::{
    AssignmentSnapshot, AssignmentTimeline, Basis, Change, MilestoneState, Recorded, ReportFilters,
    status_report, status_report_as_of,
};
use rectrack_core::text::{Slug, Title};

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn at(raw: &str) -> DateTime<Utc> {
    let date = day(raw);
    Utc.from_utc_datetime(&date.and_hms_opt(14, 30, 0).unwrap())
}

fn initial(id: u128, organisation: &str, number: u32, themes: &[&str]) -> AssignmentSnapshot {
    AssignmentSnapshot {
        assignment_id: uuid::Uuid::from_u128(id).into(),
        report: Slug::parse("operation-hotton").unwrap(),
        number,
        title: Title::parse(&format!("Recommendation {number}")).unwrap(),
        themes: themes.iter().map(|t| Slug::parse(t).unwrap()).collect(),
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
    }
}

fn timeline(snapshot: AssignmentSnapshot, changes: Vec<(&str, Change)>) -> AssignmentTimeline {
    AssignmentTimeline {
        created_at: Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap(),
        initial: snapshot,
        changes: changes
            .into_iter()
            .map(|(on, change)| Recorded {
                at: at(on),
                occurred_on: day(on),
                bound: false,
                change,
            })
            .collect(),
    }
}

fn status(status: AssignmentStatus) -> Change {
    Change::Status { status }
}

/// Five assignments of three recommendations to two forces.
fn sample() -> Vec<AssignmentTimeline> {
    use AssignmentStatus::*;
    vec![
        timeline(
            initial(1, "mps", 1, &["culture"]),
            vec![
                (
                    "2022-03-01",
                    Change::Responded {
                        decision: ResponseDecision::Accepted,
                    },
                ),
                ("2022-03-10", status(InProgress)),
                ("2022-04-01", status(ImplementationClaimed)),
                ("2022-05-01", status(Verified)),
            ],
        ),
        timeline(
            initial(2, "mps", 2, &["racism"]),
            vec![(
                "2022-03-15",
                Change::Responded {
                    decision: ResponseDecision::NotAccepted,
                },
            )],
        ),
        timeline(initial(3, "mps", 3, &["culture"]), vec![]),
        timeline(
            initial(4, "wmp", 1, &["culture"]),
            vec![
                (
                    "2022-02-21",
                    Change::Responded {
                        decision: ResponseDecision::PartiallyAccepted,
                    },
                ),
                (
                    "2022-02-22",
                    Change::Milestone(MilestoneState {
                        id: uuid::Uuid::from_u128(40).into(),
                        due_on: day("2022-05-01"),
                        status: MilestoneStatus::Planned,
                    }),
                ),
                ("2022-03-01", status(InProgress)),
                // Recorded after the report day: not counted, though due before it.
                (
                    "2022-07-01",
                    Change::Milestone(MilestoneState {
                        id: uuid::Uuid::from_u128(41).into(),
                        due_on: day("2022-05-01"),
                        status: MilestoneStatus::Planned,
                    }),
                ),
            ],
        ),
        timeline(
            initial(5, "wmp", 2, &["racism"]),
            vec![("2022-04-01", status(Withdrawn))],
        ),
    ]
}

#[test]
fn figures_match_those_worked_out_by_hand() {
    let report = status_report_as_of(
        &sample(),
        &ReportFilters::default(),
        day("2022-06-01"),
        Basis::Recorded,
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["as_of"], "2022-06-01");
    assert_eq!(
        json["totals"],
        serde_json::json!({
            "assignments": 5,
            "by_status": {
                "awaiting_response": 1, "accepted": 0, "partially_accepted": 0, "not_accepted": 1,
                "in_progress": 1, "implementation_claimed": 0, "verified": 1,
                "closed_not_implemented": 0, "withdrawn": 1
            },
            "response_overdue": 1,
            "responses_on_time": 3,
            "responses_late": 0,
            "response_timing_unknown": 0,
            "overdue_milestones": 1,
            "accepted_rate": 0.6667,
            "verified_rate": 0.25,
            "median_days_to_response": 28.0,
            "days_to_response_unknown": 0,
            "median_days_to_verification": 89.0,
            "days_to_verification_unknown": 0
        })
    );
    let mps = &json["by_organisation"][0];
    assert_eq!(mps["organisation"], "mps");
    assert_eq!(
        (
            mps["assignments"].as_u64(),
            mps["accepted_rate"].as_f64(),
            mps["verified_rate"].as_f64(),
            mps["median_days_to_response"].as_f64()
        ),
        (Some(3), Some(0.5), Some(0.3333), Some(35.0))
    );
    let wmp = &json["by_organisation"][1];
    assert_eq!(wmp["organisation"], "wmp");
    assert_eq!(
        (
            wmp["assignments"].as_u64(),
            wmp["overdue_milestones"].as_u64(),
            wmp["accepted_rate"].as_f64(),
            wmp["verified_rate"].as_f64()
        ),
        (Some(2), Some(1), Some(1.0), Some(0.0))
    );
    assert!(wmp["median_days_to_verification"].is_null());
    assert_eq!(
        json["recommendations"],
        serde_json::json!([
            {"report": "operation-hotton", "number": 1, "title": "Recommendation 1", "recipients": [
                {"organisation": "mps", "status": "verified"}, {"organisation": "wmp", "status": "in_progress"}]},
            {"report": "operation-hotton", "number": 2, "title": "Recommendation 2", "recipients": [
                {"organisation": "mps", "status": "not_accepted"}, {"organisation": "wmp", "status": "withdrawn"}]},
            {"report": "operation-hotton", "number": 3, "title": "Recommendation 3", "recipients": [
                {"organisation": "mps", "status": "awaiting_response"}]},
        ])
    );
}

#[test]
fn a_past_day_shows_the_state_recorded_by_its_end() {
    let report = status_report_as_of(
        &sample(),
        &ReportFilters::default(),
        day("2022-03-05"),
        Basis::Recorded,
    );
    let by_status = &report.totals.by_status;
    assert_eq!(by_status[&AssignmentStatus::AwaitingResponse], 3);
    assert_eq!(by_status[&AssignmentStatus::Accepted], 1);
    assert_eq!(by_status[&AssignmentStatus::InProgress], 1);
    assert_eq!(report.totals.response_overdue, 0);
    assert_eq!(report.totals.accepted_rate, Some(1.0));
    assert_eq!(report.totals.verified_rate, Some(0.0));
    assert_eq!(report.totals.median_days_to_response, Some(24.0));
}

/// The Hotton record: issued 1 February 2022, due 29 March, the acceptance
/// known only as on or before 8 April 2022 and entered in November 2026.
fn backfilled_acceptance() -> Vec<AssignmentTimeline> {
    let mut timeline = timeline(initial(1, "mps", 1, &["culture"]), vec![]);
    timeline.changes.push(Recorded {
        at: at("2026-11-30"),
        occurred_on: day("2022-04-08"),
        bound: true,
        change: Change::Responded {
            decision: ResponseDecision::Accepted,
        },
    });
    vec![timeline]
}

#[test]
fn a_backfilled_bound_is_counted_where_it_happened_and_never_as_late() {
    let timelines = backfilled_acceptance();
    let report = |as_of: &str, basis| {
        status_report_as_of(&timelines, &ReportFilters::default(), day(as_of), basis).totals
    };
    // As it happened: awaiting before the due day, unknown after it.
    let before_due = report("2022-03-01", Basis::Occurred);
    assert_eq!(before_due.by_status[&AssignmentStatus::AwaitingResponse], 1);
    assert_eq!(
        (
            before_due.response_overdue,
            before_due.response_timing_unknown
        ),
        (0, 0)
    );
    let after_due = report("2022-04-01", Basis::Occurred);
    assert_eq!(after_due.by_status[&AssignmentStatus::AwaitingResponse], 1);
    assert_eq!(
        (
            after_due.response_overdue,
            after_due.response_timing_unknown
        ),
        (0, 1)
    );
    let known = report("2022-04-08", Basis::Occurred);
    assert_eq!(known.by_status[&AssignmentStatus::Accepted], 1);
    assert_eq!(
        (
            known.responses_on_time,
            known.responses_late,
            known.response_timing_unknown
        ),
        (0, 0, 1)
    );
    assert_eq!(
        (
            known.median_days_to_response,
            known.days_to_response_unknown
        ),
        (None, 1)
    );
    // As it was recorded: before the backfill, rectrack knew of no response,
    // and said so.
    let recorded_before = report("2026-11-29", Basis::Recorded);
    assert_eq!(
        recorded_before.by_status[&AssignmentStatus::AwaitingResponse],
        1
    );
    assert_eq!(recorded_before.response_overdue, 1);
    // Once recorded, both bases agree.
    assert_eq!(
        report("2026-11-30", Basis::Recorded),
        report("2026-11-30", Basis::Occurred)
    );
    // Before its issue, the recommendation did not exist as it happened.
    assert_eq!(report("2022-01-31", Basis::Occurred).assignments, 0);
}

#[test]
fn the_end_of_a_day_is_midnight_utc() {
    let mut timelines = sample();
    timelines[2].changes.push(Recorded {
        at: Utc.with_ymd_and_hms(2022, 3, 20, 23, 59, 59).unwrap()
            + Duration::microseconds(999_999),
        occurred_on: day("2022-03-20"),
        bound: false,
        change: Change::Responded {
            decision: ResponseDecision::Accepted,
        },
    });
    timelines[2].changes.push(Recorded {
        at: Utc.with_ymd_and_hms(2022, 3, 21, 0, 0, 0).unwrap(),
        occurred_on: day("2022-03-21"),
        bound: false,
        change: status(AssignmentStatus::InProgress),
    });
    let report = status_report_as_of(
        &timelines,
        &ReportFilters::default(),
        day("2022-03-20"),
        Basis::Recorded,
    );
    let line = &report.recommendations[2].recipients[0];
    assert_eq!(line.status, AssignmentStatus::Accepted);
}

#[test]
fn before_anything_was_recorded_the_report_is_empty_with_every_status_at_zero() {
    let report = status_report_as_of(
        &sample(),
        &ReportFilters::default(),
        day("2022-01-31"),
        Basis::Recorded,
    );
    assert_eq!(report.totals.assignments, 0);
    assert_eq!(report.totals.by_status.len(), AssignmentStatus::ALL.len());
    assert!(report.totals.by_status.values().all(|n| *n == 0));
    assert_eq!(report.totals.accepted_rate, None);
    assert_eq!(report.totals.verified_rate, None);
    assert!(report.by_organisation.is_empty());
    assert!(report.recommendations.is_empty());
}

#[test]
fn filters_keep_only_what_they_name() {
    let cases = [
        (None, None, None, 5),
        (Some("operation-hotton"), None, None, 5),
        (Some("another-report"), None, None, 0),
        (None, Some("wmp"), None, 2),
        (None, None, Some("culture"), 3),
        (None, Some("mps"), Some("culture"), 2),
        (None, None, Some("vetting"), 0),
    ];
    for (report, organisation, theme, expected) in cases {
        let filters = ReportFilters {
            report: report.map(|r| Slug::parse(r).unwrap()),
            organisation: organisation.map(|o| OrgCode::parse(o).unwrap()),
            theme: theme.map(|t| Slug::parse(t).unwrap()),
        };
        let got = status_report_as_of(&sample(), &filters, day("2022-06-01"), Basis::Recorded);
        assert_eq!(
            got.totals.assignments, expected,
            "{report:?} {organisation:?} {theme:?}"
        );
        assert_eq!(got.filters, filters);
    }
}

/// A history generated by driving the lifecycle with random commands, with
/// the live state kept by a model written here (not by `AssignmentSnapshot::apply`).
fn history(
    id: u128,
    organisation: &str,
    steps: &[(usize, u8, u8)],
) -> (AssignmentTimeline, AssignmentSnapshot) {
    let org = OrgCode::parse(organisation).unwrap();
    let recipient = Actor {
        organisation: org.clone(),
        organisation_kind: OrganisationKind::PoliceForce,
        role: Role::Recipient,
    };
    let overseer = Actor {
        organisation: OrgCode::parse("iopc").unwrap(),
        organisation_kind: OrganisationKind::OversightBody,
        role: Role::Overseer,
    };
    let mut live = initial(
        id,
        organisation,
        (id % 4) as u32 + 1,
        if id.is_multiple_of(2) {
            &["culture"]
        } else {
            &["vetting"]
        },
    );
    let mut timeline = AssignmentTimeline {
        created_at: Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap(),
        initial: live.clone(),
        changes: vec![],
    };
    let mut now = timeline.created_at;
    for (n, (command, hours, due_offset)) in steps.iter().enumerate() {
        now += Duration::hours(i64::from(*hours) * 7) + Duration::microseconds(1);
        let command = Command::ALL[*command];
        let by_recipient = lifecycle::TRANSITIONS
            .iter()
            .any(|t| t.command == command && t.by == Party::Recipient);
        let actor = if by_recipient { &recipient } else { &overseer };
        let Ok(transition) = lifecycle::decide(live.status, &org, actor, command) else {
            continue;
        };
        let today = now.date_naive();
        let change = match command {
            Command::Respond(decision) => {
                live.decision = Some(decision);
                live.first_response_on = live.first_response_on.or(Some(today));
                Some(Change::Responded { decision })
            }
            Command::PlanMilestone | Command::StartMilestone => {
                let state = MilestoneState {
                    id: uuid::Uuid::from_u128(id * 1000 + n as u128).into(),
                    due_on: day("2022-02-01") + Duration::days(i64::from(*due_offset)),
                    status: if command == Command::StartMilestone {
                        MilestoneStatus::InProgress
                    } else {
                        MilestoneStatus::Planned
                    },
                };
                live.milestones.push(state);
                Some(Change::Milestone(state))
            }
            Command::DecideExtension => {
                live.response_due_on += Duration::days(i64::from(*due_offset) % 30 + 1);
                Some(Change::DueDate {
                    due_on: live.response_due_on,
                })
            }
            _ => None,
        };
        if let Some(change) = change {
            timeline.changes.push(Recorded {
                at: now,
                occurred_on: today,
                bound: false,
                change,
            });
        }
        if transition.to != live.status && !matches!(command, Command::Respond(_)) {
            timeline.changes.push(Recorded {
                at: now,
                occurred_on: today,
                bound: false,
                change: Change::Status {
                    status: transition.to,
                },
            });
        }
        live.status = transition.to;
        if transition.to == AssignmentStatus::Verified {
            live.verified_on = Some(today);
        }
        if transition.to.is_final() && live.closed_on.is_none() {
            live.closed_on = Some(today);
        }
    }
    (timeline, live)
}

fn histories() -> impl Strategy<Value = Vec<(AssignmentTimeline, AssignmentSnapshot)>> {
    let steps = prop::collection::vec((0..Command::ALL.len(), 0u8..200, 0u8..250), 0..25);
    prop::collection::vec((steps, 0usize..3), 0..12).prop_map(|assignments| {
        assignments
            .into_iter()
            .enumerate()
            .map(|(i, (steps, org))| history(i as u128 + 1, ["mps", "wmp", "gmp"][org], &steps))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn by_status_sums_to_the_assignment_count(data in histories(), days_after in 0i64..400) {
        let timelines: Vec<_> = data.iter().map(|(t, _)| t.clone()).collect();
        let as_of = day("2022-02-01") + Duration::days(days_after);
        let report = status_report_as_of(&timelines, &ReportFilters::default(), as_of, Basis::Recorded);
        prop_assert_eq!(report.totals.by_status.values().sum::<u64>(), report.totals.assignments);
        prop_assert_eq!(report.totals.by_status.len(), AssignmentStatus::ALL.len());
        let per_org: u64 = report.by_organisation.iter().map(|o| o.figures.assignments).sum();
        prop_assert_eq!(per_org, report.totals.assignments);
        for organisation in &report.by_organisation {
            prop_assert_eq!(organisation.figures.by_status.values().sum::<u64>(), organisation.figures.assignments);
        }
        let lines: usize = report.recommendations.iter().map(|r| r.recipients.len()).sum();
        prop_assert_eq!(lines as u64, report.totals.assignments);
    }

    #[test]
    fn as_of_today_equals_the_live_report(data in histories(), theme in prop::option::of(0usize..2)) {
        let (timelines, live): (Vec<_>, Vec<_>) = data.into_iter().unzip();
        let last = timelines.iter().flat_map(|t| t.changes.last()).map(|r| r.at).max();
        let today = last.map_or(day("2022-02-01"), |at| at.date_naive());
        let filters = ReportFilters {
            theme: theme.map(|t| Slug::parse(["culture", "vetting"][t]).unwrap()),
            ..ReportFilters::default()
        };
        let rebuilt = status_report_as_of(&timelines, &filters, today, Basis::Recorded);
        let current = status_report(live, &filters, today, Basis::Recorded);
        prop_assert_eq!(rebuilt, current);
    }

    #[test]
    fn without_backfills_the_two_bases_agree(data in histories(), days_after in 0i64..400) {
        let timelines: Vec<_> = data.into_iter().map(|(t, _)| t).collect();
        let as_of = day("2022-02-01") + Duration::days(days_after);
        let mut recorded = status_report_as_of(&timelines, &ReportFilters::default(), as_of, Basis::Recorded);
        let occurred = status_report_as_of(&timelines, &ReportFilters::default(), as_of, Basis::Occurred);
        recorded.basis = Basis::Occurred;
        prop_assert_eq!(recorded, occurred);
    }

    #[test]
    fn bounds_never_make_a_response_late(data in histories(), days_after in 0i64..400) {
        let timelines: Vec<_> = data
            .into_iter()
            .map(|(mut t, _)| {
                for change in &mut t.changes {
                    change.bound = true;
                }
                t
            })
            .collect();
        let as_of = day("2022-02-01") + Duration::days(days_after);
        for basis in Basis::ALL {
            let report = status_report_as_of(&timelines, &ReportFilters::default(), as_of, basis);
            prop_assert_eq!(report.totals.responses_late, 0);
            prop_assert!(report.totals.median_days_to_response.is_none());
        }
    }
}
