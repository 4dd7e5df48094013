//! The lifecycle, case by case: every status × every kind of actor × every
//! command, against tables written here from DESIGN.md — not derived from the
//! code under test.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use rectrack_core::Refusal;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::lifecycle::{self, Command, TRANSITIONS};
use rectrack_core::organisation::{OrgCode, OrganisationKind};
use rectrack_core::role::{Actor, Role};

/// Column order of the expectation table.
const STATUSES: [&str; 9] = [
    "awaiting_response",
    "accepted",
    "partially_accepted",
    "not_accepted",
    "in_progress",
    "implementation_claimed",
    "verified",
    "closed_not_implemented",
    "withdrawn",
];

/// For the party entitled to give the command (R = the addressed recipient,
/// O = the overseer): the status it leads to from each status of `STATUSES`,
/// or `--` where the lifecycle refuses it (409).
#[rustfmt::skip]
const EXPECTED: [(&str, char, [&str; 9]); 15] = [
    //  command                          who  awaiting accepted partial  not_acc  in_prog  claimed  verified closed   withdrawn
    ("respond_accepted",                'R', ["ac",   "ac",    "ac",    "ac",    "--",    "--",    "--",    "--",    "--"]),
    ("respond_partially_accepted",      'R', ["pa",   "pa",    "pa",    "pa",    "--",    "--",    "--",    "--",    "--"]),
    ("respond_not_accepted",            'R', ["na",   "na",    "na",    "na",    "--",    "--",    "--",    "--",    "--"]),
    ("request_extension",               'R', ["aw",   "--",    "--",    "--",    "--",    "--",    "--",    "--",    "--"]),
    ("decide_extension",                'O', ["aw",   "--",    "--",    "--",    "--",    "--",    "--",    "--",    "--"]),
    ("plan_milestone",                  'R', ["--",   "ac",    "pa",    "--",    "ip",    "--",    "--",    "--",    "--"]),
    ("start_milestone",                 'R', ["--",   "ip",    "ip",    "--",    "ip",    "--",    "--",    "--",    "--"]),
    ("post_update",                     'R', ["--",   "ip",    "ip",    "--",    "ip",    "--",    "--",    "--",    "--"]),
    ("add_evidence",                    'R', ["--",   "ac",    "pa",    "--",    "ip",    "--",    "--",    "--",    "--"]),
    ("claim",                           'R', ["--",   "ic",    "ic",    "--",    "ic",    "--",    "--",    "--",    "--"]),
    ("review_verified",                 'O', ["--",   "--",    "--",    "--",    "--",    "ve",    "--",    "--",    "--"]),
    ("review_returned",                 'O', ["--",   "--",    "--",    "--",    "--",    "ip",    "--",    "--",    "--"]),
    ("review_closed_not_implemented",   'O', ["cn",   "cn",    "cn",    "cn",    "cn",    "cn",    "--",    "--",    "--"]),
    ("review_comment",                  'O', ["aw",   "ac",    "pa",    "na",    "ip",    "ic",    "--",    "--",    "--"]),
    ("withdraw",                        'O', ["wd",   "wd",    "wd",    "wd",    "wd",    "wd",    "--",    "--",    "--"]),
];

/// The commands open from each status (the `allowed` list of a refusal).
#[rustfmt::skip]
const ALLOWED: [(&str, &[&str]); 9] = [
    ("awaiting_response", &["respond_accepted", "respond_partially_accepted", "respond_not_accepted",
        "request_extension", "decide_extension", "review_comment", "review_closed_not_implemented", "withdraw"]),
    ("accepted", &["respond_accepted", "respond_partially_accepted", "respond_not_accepted",
        "plan_milestone", "start_milestone", "post_update", "add_evidence", "claim",
        "review_comment", "review_closed_not_implemented", "withdraw"]),
    ("partially_accepted", &["respond_accepted", "respond_partially_accepted", "respond_not_accepted",
        "plan_milestone", "start_milestone", "post_update", "add_evidence", "claim",
        "review_comment", "review_closed_not_implemented", "withdraw"]),
    ("not_accepted", &["respond_accepted", "respond_partially_accepted", "respond_not_accepted",
        "review_comment", "review_closed_not_implemented", "withdraw"]),
    ("in_progress", &["plan_milestone", "start_milestone", "post_update", "add_evidence", "claim",
        "review_comment", "review_closed_not_implemented", "withdraw"]),
    ("implementation_claimed", &["review_verified", "review_returned", "review_comment",
        "review_closed_not_implemented", "withdraw"]),
    ("verified", &[]),
    ("closed_not_implemented", &[]),
    ("withdrawn", &[]),
];

fn status(short_or_long: &str) -> AssignmentStatus {
    let long = match short_or_long {
        "aw" => "awaiting_response",
        "ac" => "accepted",
        "pa" => "partially_accepted",
        "na" => "not_accepted",
        "ip" => "in_progress",
        "ic" => "implementation_claimed",
        "ve" => "verified",
        "cn" => "closed_not_implemented",
        "wd" => "withdrawn",
        long => long,
    };
    AssignmentStatus::parse(long).unwrap()
}

/// The kinds of actor, and what each gets when the command is not its own.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Overseer,
    OwnRecipient,
    OtherRecipient,
    OwnObserver,
    OtherObserver,
    OverseersObserver,
}

const ACTORS: [Who; 6] = [
    Who::Overseer,
    Who::OwnRecipient,
    Who::OtherRecipient,
    Who::OwnObserver,
    Who::OtherObserver,
    Who::OverseersObserver,
];

fn actor(who: Who) -> Actor {
    let (code, kind, role) = match who {
        Who::Overseer => ("iopc", OrganisationKind::OversightBody, Role::Overseer),
        Who::OwnRecipient => ("mps", OrganisationKind::PoliceForce, Role::Recipient),
        Who::OtherRecipient => ("wmp", OrganisationKind::PoliceForce, Role::Recipient),
        Who::OwnObserver => ("mps", OrganisationKind::PoliceForce, Role::Observer),
        Who::OtherObserver => ("wmp", OrganisationKind::PoliceForce, Role::Observer),
        Who::OverseersObserver => ("iopc", OrganisationKind::OversightBody, Role::Observer),
    };
    Actor {
        organisation: OrgCode::parse(code).unwrap(),
        organisation_kind: kind,
        role,
    }
}

/// What an actor who is not the command's party gets: 404 for those who may
/// not see the MPS's data at all, 403 for those who may.
fn expected_for(who: Who, party: char, cell: &str) -> String {
    match (who, party) {
        (Who::OtherRecipient | Who::OtherObserver, _) => "404".to_owned(),
        (Who::OwnObserver | Who::OverseersObserver, _) => "403".to_owned(),
        (Who::Overseer, 'R') | (Who::OwnRecipient, 'O') => "403".to_owned(),
        _ if cell == "--" => "409".to_owned(),
        _ => status(cell).as_str().to_owned(),
    }
}

fn outcome(result: &Result<lifecycle::Transition, Refusal>) -> String {
    match result {
        Ok(transition) => transition.to.as_str().to_owned(),
        Err(Refusal::NotVisible) => "404".to_owned(),
        Err(Refusal::NotPermitted { .. }) => "403".to_owned(),
        Err(Refusal::InvalidMove { .. }) => "409".to_owned(),
        Err(Refusal::Conflict { reason }) => format!("conflict: {reason}"),
    }
}

#[test]
fn every_status_actor_and_command_gets_the_tabled_outcome() {
    let mps = OrgCode::parse("mps").unwrap();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for (command_name, party, cells) in EXPECTED {
        let command = Command::parse(command_name).unwrap();
        for (column, from) in STATUSES.iter().enumerate() {
            for who in ACTORS {
                let got = outcome(&lifecycle::decide(status(from), &mps, &actor(who), command));
                let want = expected_for(who, party, cells[column]);
                if got != want {
                    mismatches.push(format!(
                        "{command_name} from {from} by {who:?}: got {got}, want {want}"
                    ));
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 15 * 9 * 6);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn the_tables_cover_every_command_and_status() {
    let tabled: Vec<&str> = EXPECTED.iter().map(|(name, _, _)| *name).collect();
    let all: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(tabled, all);
    let statuses: Vec<&str> = AssignmentStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(statuses, STATUSES);
}

#[test]
fn a_refused_move_lists_exactly_the_moves_open_from_its_status() {
    let mps = OrgCode::parse("mps").unwrap();
    let overseer = actor(Who::Overseer);
    for (from, expected) in ALLOWED {
        // Verifying is refused from every status but implementation_claimed,
        // and deciding an extension is refused from there.
        let refused = [
            Command::parse("review_verified").unwrap(),
            Command::parse("decide_extension").unwrap(),
        ]
        .into_iter()
        .map(|command| lifecycle::decide(status(from), &mps, &overseer, command))
        .find_map(Result::err);
        let Some(Refusal::InvalidMove {
            current_status,
            allowed,
            ..
        }) = refused
        else {
            panic!("expected a refused move from {from}, got {refused:?}");
        };
        assert_eq!(current_status.as_str(), from);
        let mut got: Vec<&str> = allowed.iter().map(|t| t.command.name()).collect();
        let mut want = expected.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "allowed from {from}");
        assert!(allowed.iter().all(|t| t.from == current_status));
    }
}

#[test]
fn final_statuses_have_no_way_out() {
    for final_status in ["verified", "closed_not_implemented", "withdrawn"] {
        let final_status = status(final_status);
        assert!(final_status.is_final());
        assert!(TRANSITIONS.iter().all(|t| t.from != final_status));
    }
}

#[test]
fn verified_assignment_refuses_a_second_claim() {
    let mps = OrgCode::parse("mps").unwrap();
    let refused = lifecycle::decide(
        AssignmentStatus::Verified,
        &mps,
        &actor(Who::OwnRecipient),
        Command::Claim,
    );
    assert_eq!(
        refused,
        Err(Refusal::InvalidMove {
            command: Command::Claim,
            current_status: AssignmentStatus::Verified,
            allowed: vec![],
        })
    );
}
