//! Properties of the lifecycle under random sequences of commands by random
//! actors: every move is a row of the table, refusals change nothing, and
//! final statuses stay final.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use proptest::prelude::*;
use rectrack_core::Refusal;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::lifecycle::{self, Command, TRANSITIONS};
use rectrack_core::organisation::{OrgCode, OrganisationKind};
use rectrack_core::role::{Actor, Role};

fn actors() -> Vec<Actor> {
    [
        ("iopc", OrganisationKind::OversightBody, Role::Overseer),
        ("mps", OrganisationKind::PoliceForce, Role::Recipient),
        ("wmp", OrganisationKind::PoliceForce, Role::Recipient),
        ("mps", OrganisationKind::PoliceForce, Role::Observer),
        ("iopc", OrganisationKind::OversightBody, Role::Observer),
    ]
    .into_iter()
    .map(|(code, organisation_kind, role)| Actor {
        organisation: OrgCode::parse(code).unwrap(),
        organisation_kind,
        role,
    })
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_command_sequences_only_follow_rows_of_the_table(
        steps in prop::collection::vec((0usize..5, 0usize..Command::ALL.len()), 0..60)
    ) {
        let mps = OrgCode::parse("mps").unwrap();
        let actors = actors();
        let mut status = AssignmentStatus::AwaitingResponse;
        let mut reached_final: Option<AssignmentStatus> = None;
        for (who, command) in steps {
            let command = Command::ALL[command];
            match lifecycle::decide(status, &mps, &actors[who], command) {
                Ok(transition) => {
                    prop_assert!(TRANSITIONS.contains(&transition));
                    prop_assert_eq!(transition.from, status);
                    prop_assert_eq!(transition.command, command);
                    prop_assert!(reached_final.is_none(), "moved out of final status {:?}", reached_final);
                    status = transition.to;
                }
                Err(Refusal::InvalidMove { current_status, allowed, .. }) => {
                    prop_assert_eq!(current_status, status);
                    prop_assert_eq!(allowed.is_empty(), status.is_final());
                    let party = lifecycle::party_of(&actors[who], &mps);
                    prop_assert!(allowed.iter().all(|t| t.from == status));
                    prop_assert!(!allowed.iter().any(|t| t.command == command && Some(t.by) == party),
                        "refused a move the allowed list offers");
                }
                Err(Refusal::NotVisible | Refusal::NotPermitted { .. }) => {}
                Err(other) => prop_assert!(false, "lifecycle gave an unexpected refusal {:?}", other),
            }
            if status.is_final() {
                reached_final.get_or_insert(status);
                prop_assert_eq!(Some(status), reached_final);
            }
        }
    }

    #[test]
    fn final_statuses_refuse_every_command_from_everyone(
        final_index in 0usize..3, who in 0usize..5, command in 0usize..Command::ALL.len()
    ) {
        let mps = OrgCode::parse("mps").unwrap();
        let status = [AssignmentStatus::Verified, AssignmentStatus::ClosedNotImplemented, AssignmentStatus::Withdrawn][final_index];
        prop_assert!(lifecycle::decide(status, &mps, &actors()[who], Command::ALL[command]).is_err());
    }
}
