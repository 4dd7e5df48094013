//! Deadlines: the response window, extension requests and derived flags,
//! each against a date passed in.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::{NaiveDate, TimeZone, Utc};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::deadline::{
    self, ExtensionDecisionDraft, ExtensionDraft, ExtensionRequest, ExtensionStatus, FlagInputs,
};
use rectrack_core::deadline::{ResponseClock, ResponseTiming};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::occurrence::Occurrence;
use rectrack_core::organisation::OrgCode;
use rectrack_core::recommendation::LegalBasis;
use rectrack_core::text::LongText;
use rectrack_core::{Error, Refusal};

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

#[test]
fn every_legal_basis_gives_56_days_to_respond() {
    let cases = [
        (LegalBasis::Para28a, "2022-02-01", "2022-03-29"),
        (LegalBasis::Learning, "2022-02-01", "2022-03-29"),
        (LegalBasis::Other, "2022-02-01", "2022-03-29"),
        (LegalBasis::Para28a, "2024-01-10", "2024-03-06"), // across 29 February
        (LegalBasis::Para28a, "2022-12-01", "2023-01-26"), // across the year end
    ];
    for (basis, issued, due) in cases {
        assert_eq!(
            deadline::default_response_due_on(day(issued), basis),
            day(due),
            "{basis:?} {issued}"
        );
    }
}

fn ask(requested: &str) -> ExtensionDraft {
    ExtensionDraft {
        requested_due_on: day(requested),
        reason: "The board that must approve the response meets in April.".to_owned(),
    }
}

#[test]
fn an_extension_can_be_asked_up_to_and_on_the_due_day() {
    let due = day("2022-03-29");
    assert!(
        ask("2022-04-30")
            .parse(due, day("2022-03-01"), false)
            .is_ok()
    );
    assert!(ask("2022-04-30").parse(due, due, false).is_ok());
}

#[test]
fn an_extension_asked_after_the_due_day_is_refused() {
    let refused = ask("2022-04-30").parse(day("2022-03-29"), day("2022-03-30"), false);
    assert!(
        matches!(refused, Err(Error::Refused(Refusal::Conflict { .. }))),
        "{refused:?}"
    );
}

#[test]
fn an_extension_must_ask_for_a_later_day() {
    for requested in ["2022-03-29", "2022-03-01"] {
        let refused = ask(requested).parse(day("2022-03-29"), day("2022-03-01"), false);
        let Err(Error::Validation(errors)) = refused else {
            panic!("expected a validation error, got {refused:?}");
        };
        assert_eq!(errors.errors()[0].field, "requested_due_on");
    }
}

#[test]
fn a_second_extension_request_waits_for_the_first_decision() {
    let refused = ask("2022-04-30").parse(day("2022-03-29"), day("2022-03-01"), true);
    assert!(matches!(
        refused,
        Err(Error::Refused(Refusal::Conflict { .. }))
    ));
}

fn pending(requested: &str) -> ExtensionRequest {
    ExtensionRequest {
        id: uuid::Uuid::from_u128(1).into(),
        assignment_id: uuid::Uuid::from_u128(2).into(),
        requested_due_on: day(requested),
        reason: LongText::parse("More time").unwrap(),
        status: ExtensionStatus::Pending,
        requested_at: Utc.with_ymd_and_hms(2022, 3, 1, 10, 0, 0).unwrap(),
        requested_by: OrgCode::parse("mps").unwrap(),
        decision_comment: None,
        decided_at: None,
        occurred: Occurrence::on(day("2022-03-01")),
        decision_occurred: None,
    }
}

#[test]
fn a_granted_extension_moves_the_due_day_and_a_refusal_keeps_it() {
    let request = pending("2022-04-30");
    let grant = ExtensionDecisionDraft {
        granted: true,
        comment: None,
    };
    let decision = grant.decide(&request, day("2022-03-29")).unwrap();
    assert_eq!(decision.status, ExtensionStatus::Granted);
    assert_eq!(decision.response_due_on, day("2022-04-30"));

    let refuse = ExtensionDecisionDraft {
        granted: false,
        comment: Some("The statutory window stands.".to_owned()),
    };
    let decision = refuse.decide(&request, day("2022-03-29")).unwrap();
    assert_eq!(decision.status, ExtensionStatus::Refused);
    assert_eq!(decision.response_due_on, day("2022-03-29"));
}

#[test]
fn refusing_an_extension_needs_a_comment_and_a_decided_request_stays_decided() {
    let refuse = ExtensionDecisionDraft {
        granted: false,
        comment: None,
    };
    assert!(matches!(
        refuse.decide(&pending("2022-04-30"), day("2022-03-29")),
        Err(Error::Validation(_))
    ));
    let mut decided = pending("2022-04-30");
    decided.status = ExtensionStatus::Granted;
    let grant = ExtensionDecisionDraft {
        granted: true,
        comment: None,
    };
    assert!(matches!(
        grant.decide(&decided, day("2022-04-30")),
        Err(Error::Refused(Refusal::Conflict { .. }))
    ));
}

fn inputs(status: AssignmentStatus, closed_on: Option<&str>) -> FlagInputs {
    FlagInputs {
        status,
        issued_on: day("2022-02-01"),
        response_due_on: day("2022-03-29"),
        first_response: None,
        closed_on: closed_on.map(day),
        uncertain: false,
    }
}

#[test]
fn a_response_is_late_only_when_its_day_proves_it() {
    let responded = |on: &str, bound: bool| FlagInputs {
        first_response: Some((day(on), bound)),
        ..inputs(AssignmentStatus::Accepted, None)
    };
    let as_of = day("2026-11-30");
    assert_eq!(
        responded("2022-03-29", false).response_clock(as_of),
        ResponseClock::OnTime
    );
    assert_eq!(
        responded("2022-03-29", true).response_clock(as_of),
        ResponseClock::OnTime
    );
    assert_eq!(
        responded("2022-03-30", false).response_clock(as_of),
        ResponseClock::Late
    );
    assert_eq!(
        responded("2022-04-08", true).response_clock(as_of),
        ResponseClock::MaybeLate
    );
    assert_eq!(
        responded("2022-04-08", true).response_clock(as_of).timing(),
        Some(ResponseTiming::Unknown)
    );
    let awaiting = inputs(AssignmentStatus::AwaitingResponse, None);
    assert_eq!(
        awaiting.response_clock(day("2022-03-29")),
        ResponseClock::Running
    );
    assert_eq!(
        awaiting.response_clock(day("2022-03-30")),
        ResponseClock::Overdue
    );
    let uncertain = FlagInputs {
        uncertain: true,
        ..awaiting
    };
    assert_eq!(
        uncertain.response_clock(day("2022-03-30")),
        ResponseClock::MaybeOverdue
    );
    assert!(!rectrack_core::deadline::flags(&uncertain, [], day("2022-03-30")).response_overdue);
}

proptest::proptest! {
    #[test]
    fn a_bound_never_yields_a_lateness_claim(
        due_offset in 0i64..200,
        response_offset in proptest::option::of(0i64..400),
        as_of_offset in 0i64..600,
        status in proptest::sample::select(AssignmentStatus::ALL.to_vec()),
    ) {
        let issued = day("2022-02-01");
        let inputs = FlagInputs {
            status,
            issued_on: issued,
            response_due_on: issued + chrono::Duration::days(due_offset),
            first_response: response_offset.map(|d| (issued + chrono::Duration::days(d), true)),
            closed_on: None,
            // Uncertain: the next fact is a bound too.
            uncertain: true,
        };
        let clock = inputs.response_clock(issued + chrono::Duration::days(as_of_offset));
        proptest::prop_assert!(clock != ResponseClock::Late && clock != ResponseClock::Overdue, "{clock:?}");
    }
}

#[test]
fn flags_follow_the_as_of_day() {
    use AssignmentStatus::*;
    use MilestoneStatus as M;
    let milestones = [
        (day("2022-05-01"), M::Planned),
        (day("2022-05-01"), M::InProgress),
        (day("2022-05-01"), M::Done),
        (day("2022-05-01"), M::Dropped),
        (day("2022-09-01"), M::Planned),
    ];
    // status, closed_on, as_of, response_overdue, overdue_milestones, days_open
    let cases = [
        (AwaitingResponse, None, "2022-03-29", false, 0, 56),
        (AwaitingResponse, None, "2022-03-30", true, 0, 57),
        (Accepted, None, "2022-03-30", false, 0, 57),
        (InProgress, None, "2022-05-01", false, 0, 89),
        (InProgress, None, "2022-05-02", false, 2, 90),
        (InProgress, None, "2022-09-02", false, 3, 213),
        (Verified, Some("2022-06-01"), "2022-09-02", false, 0, 120),
        (Withdrawn, Some("2022-03-01"), "2022-02-15", false, 0, 14),
        (AwaitingResponse, None, "2022-01-01", false, 0, 0),
    ];
    for (status, closed_on, as_of, overdue, milestones_overdue, days_open) in cases {
        let flags = deadline::flags(&inputs(status, closed_on), milestones, day(as_of));
        assert_eq!(
            (
                flags.response_overdue,
                flags.overdue_milestones,
                flags.days_open
            ),
            (overdue, milestones_overdue, days_open),
            "{status:?} as of {as_of}"
        );
    }
}
