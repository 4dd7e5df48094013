//! What each command does to an assignment: the status, the days it stamps,
//! the version it bumps, and the rules that refuse it. These are the only
//! places those fields change; the store writes what these leave.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDate, TimeZone, Utc};
use rectrack_core::assignment::{Assignment, AssignmentStatus};
use rectrack_core::deadline::{ExtensionDecision, ExtensionStatus};
use rectrack_core::ids::{AssignmentId, EvidenceId, MilestoneId, RecommendationId};
use rectrack_core::lifecycle::{self, Command};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::occurrence::{Occurrence, OccurrenceDraft};
use rectrack_core::organisation::{OrgCode, OrganisationKind};
use rectrack_core::progress::UpdateDraft;
use rectrack_core::response::{Response, ResponseContent, ResponseDecision};
use rectrack_core::review::{self, ClaimDraft, ReviewOutcome};
use rectrack_core::role::{Actor, Principal, Role};
use rectrack_core::text::LongText;
use rectrack_core::{Error, Refusal};
use uuid::Uuid;

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn code(raw: &str) -> OrgCode {
    OrgCode::parse(raw).unwrap()
}

fn mps() -> Actor {
    Actor {
        organisation: code("mps"),
        organisation_kind: OrganisationKind::PoliceForce,
        role: Role::Recipient,
    }
}

fn iopc() -> Actor {
    Actor {
        organisation: code("iopc"),
        organisation_kind: OrganisationKind::OversightBody,
        role: Role::Overseer,
    }
}

/// A fresh id each call.
fn uuid() -> Uuid {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    Uuid::from_u128(u128::from(NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// An MPS assignment issued on 1 February 2022, due 29 March.
fn issued() -> Assignment {
    Assignment::new(
        AssignmentId::from_uuid(uuid()),
        RecommendationId::from_uuid(uuid()),
        code("mps"),
        day("2022-02-01"),
        day("2022-03-29"),
    )
}

fn response(decision: ResponseDecision) -> Response {
    Response {
        content: ResponseContent {
            decision,
            rationale: LongText::parse("We will do this.").unwrap(),
            planned_completion_on: Some(day("2023-03-31")),
        },
        submitted_at: Utc.with_ymd_and_hms(2022, 3, 1, 9, 0, 0).unwrap(),
        submitted_by: code("mps"),
        occurred: Occurrence::on(day("2022-03-01")),
        publication: None,
    }
}

/// Decides `command` for `actor` and applies it on `on`, as the store does.
fn run(assignment: &mut Assignment, actor: &Actor, command: Command, on: &str) {
    let transition =
        lifecycle::decide(assignment.status, &assignment.organisation, actor, command).unwrap();
    assignment.apply(&transition, &Occurrence::on(day(on)));
}

fn respond(assignment: &mut Assignment, decision: ResponseDecision, on: &str) {
    let transition = lifecycle::decide(
        assignment.status,
        &assignment.organisation,
        &mps(),
        Command::Respond(decision),
    )
    .unwrap();
    assignment.respond(&transition, response(decision), &Occurrence::on(day(on)));
}

#[test]
fn a_new_assignment_awaits_its_response_at_version_1_with_no_days_stamped() {
    let assignment = issued();
    assert_eq!(assignment.status, AssignmentStatus::AwaitingResponse);
    assert_eq!(assignment.version, 1);
    assert_eq!(assignment.response, None);
    assert_eq!(
        (
            assignment.first_response_on,
            assignment.verified_on,
            assignment.closed_on
        ),
        (None, None, None)
    );
}

#[test]
fn a_response_sets_the_status_and_the_first_response_day_once() {
    let mut assignment = issued();
    respond(&mut assignment, ResponseDecision::Accepted, "2022-03-01");
    assert_eq!(assignment.status, AssignmentStatus::Accepted);
    assert_eq!(assignment.first_response_on, Some(day("2022-03-01")));
    assert_eq!(assignment.version, 2);

    respond(&mut assignment, ResponseDecision::NotAccepted, "2022-05-10");
    assert_eq!(assignment.status, AssignmentStatus::NotAccepted);
    assert_eq!(
        assignment.response.as_ref().unwrap().content.decision,
        ResponseDecision::NotAccepted
    );
    assert_eq!(
        assignment.first_response_on,
        Some(day("2022-03-01")),
        "a revision keeps the day of the first response"
    );
    assert_eq!(assignment.version, 3);
}

#[test]
fn a_command_that_keeps_the_status_still_bumps_the_version() {
    let mut assignment = issued();
    respond(&mut assignment, ResponseDecision::Accepted, "2022-03-01");
    run(
        &mut assignment,
        &mps(),
        Command::PlanMilestone,
        "2022-03-02",
    );
    assert_eq!(assignment.status, AssignmentStatus::Accepted);
    assert_eq!(assignment.version, 3);
}

#[test]
fn verification_stamps_the_verified_and_closed_days_and_ends_the_clock() {
    let mut assignment = issued();
    respond(&mut assignment, ResponseDecision::Accepted, "2022-03-01");
    run(&mut assignment, &mps(), Command::PostUpdate, "2022-06-01");
    assert_eq!(assignment.status, AssignmentStatus::InProgress);
    run(&mut assignment, &mps(), Command::Claim, "2023-01-10");
    run(
        &mut assignment,
        &iopc(),
        Command::Review(ReviewOutcome::Verified),
        "2023-02-01",
    );
    assert_eq!(assignment.status, AssignmentStatus::Verified);
    assert_eq!(assignment.verified_on, Some(day("2023-02-01")));
    assert_eq!(assignment.closed_on, Some(day("2023-02-01")));
    let flags = assignment.flags([], day("2024-01-01"));
    assert_eq!(flags.days_open, 365, "1 Feb 2022 to 1 Feb 2023");
}

#[test]
fn closing_as_not_implemented_stamps_the_closed_day_but_not_verification() {
    let mut assignment = issued();
    run(
        &mut assignment,
        &iopc(),
        Command::Review(ReviewOutcome::ClosedNotImplemented),
        "2022-06-01",
    );
    assert_eq!(assignment.closed_on, Some(day("2022-06-01")));
    assert_eq!(assignment.verified_on, None);
}

#[test]
fn a_granted_extension_moves_the_due_day_and_a_refusal_keeps_it() {
    let mut assignment = issued();
    let transition = lifecycle::decide(
        assignment.status,
        &assignment.organisation,
        &iopc(),
        Command::DecideExtension,
    )
    .unwrap();
    let refused = ExtensionDecision {
        status: ExtensionStatus::Refused,
        response_due_on: day("2022-03-29"),
        comment: Some(LongText::parse("No reason given.").unwrap()),
    };
    assignment.decide_extension(&transition, &refused, &Occurrence::on(day("2022-03-10")));
    assert_eq!(assignment.response_due_on, day("2022-03-29"));
    let granted = ExtensionDecision {
        status: ExtensionStatus::Granted,
        response_due_on: day("2022-04-30"),
        comment: None,
    };
    assignment.decide_extension(&transition, &granted, &Occurrence::on(day("2022-03-11")));
    assert_eq!(assignment.response_due_on, day("2022-04-30"));
    assert_eq!(assignment.status, AssignmentStatus::AwaitingResponse);
    assert_eq!(assignment.version, 3);
    assert!(!assignment.flags([], day("2022-04-30")).response_overdue);
    assert!(assignment.flags([], day("2022-05-01")).response_overdue);
}

#[test]
fn flags_count_open_milestones_past_their_due_day() {
    let mut assignment = issued();
    respond(&mut assignment, ResponseDecision::Accepted, "2022-03-01");
    let milestones = [
        (day("2022-05-01"), MilestoneStatus::Planned),
        (day("2022-05-01"), MilestoneStatus::InProgress),
        (day("2022-05-01"), MilestoneStatus::Done),
        (day("2022-05-01"), MilestoneStatus::Dropped),
        (day("2022-07-01"), MilestoneStatus::Planned),
    ];
    assert_eq!(
        assignment
            .flags(milestones, day("2022-06-01"))
            .overdue_milestones,
        2
    );
}

#[test]
fn withdrawal_closes_open_assignments_and_leaves_final_ones() {
    let mut open = issued();
    let mut closed = issued();
    run(
        &mut closed,
        &iopc(),
        Command::Review(ReviewOutcome::ClosedNotImplemented),
        "2022-05-01",
    );
    let closed_version = closed.version;
    let withdrawn = review::withdraw(
        false,
        [&mut open, &mut closed],
        &token_of(iopc()),
        &OccurrenceDraft::now(),
        day("2022-06-01"),
    )
    .unwrap();
    assert_eq!(withdrawn.0, [open.id]);
    assert_eq!(withdrawn.1, Occurrence::on(day("2022-06-01")));
    assert_eq!(open.status, AssignmentStatus::Withdrawn);
    assert_eq!(open.closed_on, Some(day("2022-06-01")));
    assert_eq!(closed.status, AssignmentStatus::ClosedNotImplemented);
    assert_eq!(closed.closed_on, Some(day("2022-05-01")));
    assert_eq!(
        closed.version, closed_version,
        "a final assignment is untouched"
    );
}

#[test]
fn a_recommendation_already_withdrawn_cannot_be_withdrawn_again() {
    let mut open = issued();
    let refused = review::withdraw(
        true,
        [&mut open],
        &token_of(iopc()),
        &OccurrenceDraft::now(),
        day("2022-06-01"),
    );
    assert!(matches!(
        refused,
        Err(Error::Refused(Refusal::Conflict { .. }))
    ));
    assert_eq!(open.status, AssignmentStatus::AwaitingResponse);
}

#[test]
fn only_the_overseer_withdraws() {
    let mut open = issued();
    let refused = review::withdraw(
        false,
        [&mut open],
        &token_of(mps()),
        &OccurrenceDraft::now(),
        day("2022-06-01"),
    );
    assert!(matches!(
        refused,
        Err(Error::Refused(Refusal::NotPermitted { .. }))
    ));
    assert_eq!(open.version, 1);
}

#[test]
fn an_update_may_cite_only_its_own_assignments_milestones_and_evidence() {
    let own_milestone = MilestoneId::from_uuid(uuid());
    let own_evidence = EvidenceId::from_uuid(uuid());
    let other = uuid();
    let content = UpdateDraft {
        narrative: "Training started.".to_owned(),
        milestone_ids: vec![own_milestone, MilestoneId::from_uuid(other)],
        evidence_ids: vec![EvidenceId::from_uuid(other)],
    }
    .parse()
    .unwrap();
    let errors = content
        .check_own(&[own_milestone], &[own_evidence])
        .unwrap_err();
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["milestone_ids", "evidence_ids"]);
    assert!(
        errors
            .errors()
            .iter()
            .all(|e| e.message.contains(&other.to_string()))
    );

    let own = UpdateDraft {
        narrative: "Training started.".to_owned(),
        milestone_ids: vec![own_milestone],
        evidence_ids: vec![own_evidence],
    }
    .parse()
    .unwrap();
    assert!(own.check_own(&[own_milestone], &[own_evidence]).is_ok());
}

#[test]
fn a_claim_may_cite_only_its_own_assignments_evidence() {
    let own = EvidenceId::from_uuid(uuid());
    let other = EvidenceId::from_uuid(uuid());
    let claim = ClaimDraft {
        summary: "Done.".to_owned(),
        evidence_ids: vec![own, other],
    }
    .parse()
    .unwrap();
    let errors = claim.check_own(&[own]).unwrap_err();
    assert_eq!(errors.errors().len(), 1);
    assert!(claim.check_own(&[own, other]).is_ok());
}

fn token_of(actor: Actor) -> Principal {
    Principal::Token {
        token_id: rectrack_core::ids::TokenId::from_uuid(Uuid::nil()),
        actor,
    }
}

#[test]
fn a_publication_decision_needs_a_response_and_moves_only_the_version() {
    use rectrack_core::publication::{Publication, PublicationDecision};
    let decision = |on: &str| Publication {
        decision: PublicationDecision::Withhold {
            reason: LongText::parse("Personal data.").unwrap(),
        },
        decided_on: day(on),
        decided_at: Utc.with_ymd_and_hms(2022, 3, 2, 9, 0, 0).unwrap(),
    };
    let mut assignment = issued();
    assert!(matches!(
        assignment.decide_publication(decision("2022-03-02")),
        Err(Refusal::Conflict { .. })
    ));
    assert_eq!(assignment.version, 1, "a refused decision changes nothing");
    respond(&mut assignment, ResponseDecision::Accepted, "2022-03-01");
    let before = assignment.clone();
    assignment
        .decide_publication(decision("2022-03-02"))
        .unwrap();
    assert_eq!(assignment.version, before.version + 1);
    assert_eq!(assignment.status, before.status);
    assert_eq!(
        assignment
            .response
            .as_ref()
            .unwrap()
            .public_text(day("2030-01-01"))
            .text(),
        None,
        "withheld stays withheld"
    );
}
