//! The enum values clients rely on (DESIGN.md), spelled out here: serde and
//! the `as_str` names must both give exactly these.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::Action;
use rectrack_core::evidence::EvidenceKind;
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::OrganisationKind;
use rectrack_core::publication::PublicationAction;
use rectrack_core::recommendation::LegalBasis;
use rectrack_core::response::ResponseDecision;
use rectrack_core::review::ReviewOutcome;
use rectrack_core::role::Role;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    values: &[T],
    names: &[&str],
    as_str: impl Fn(&T) -> &'static str,
) {
    assert_eq!(values.len(), names.len());
    for (value, name) in values.iter().zip(names) {
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            serde_json::json!(name)
        );
        assert_eq!(
            &serde_json::from_value::<T>(serde_json::json!(name)).unwrap(),
            value
        );
        assert_eq!(as_str(value), *name);
    }
}

#[test]
fn enum_values_are_spelled_as_the_contract_says() {
    check(
        &AssignmentStatus::ALL,
        &[
            "awaiting_response",
            "accepted",
            "partially_accepted",
            "not_accepted",
            "in_progress",
            "implementation_claimed",
            "verified",
            "closed_not_implemented",
            "withdrawn",
        ],
        |s| s.as_str(),
    );
    check(
        &OrganisationKind::ALL,
        &["oversight_body", "police_force", "national_body", "other"],
        |k| k.as_str(),
    );
    check(&LegalBasis::ALL, &["para_28a", "learning", "other"], |b| {
        b.as_str()
    });
    check(
        &ResponseDecision::ALL,
        &["accepted", "partially_accepted", "not_accepted"],
        |d| d.as_str(),
    );
    check(
        &MilestoneStatus::ALL,
        &["planned", "in_progress", "done", "dropped"],
        |m| m.as_str(),
    );
    check(
        &ReviewOutcome::ALL,
        &["verified", "returned", "closed_not_implemented", "comment"],
        |o| o.as_str(),
    );
    check(&Role::ALL, &["overseer", "recipient", "observer"], |r| {
        r.as_str()
    });
    check(
        &EvidenceKind::ALL,
        &["document", "link", "statement"],
        |k| k.as_str(),
    );
    check(
        &PublicationAction::ALL,
        &["publish", "publish_redacted", "withhold"],
        |a| a.as_str(),
    );
}

#[test]
fn audit_actions_are_spelled_as_clients_read_them() {
    check(
        &Action::ALL,
        &[
            "organisation.created",
            "report.created",
            "recommendation.created",
            "recommendation.withdrawn",
            "response.submitted",
            "response.revised",
            "response.published",
            "response.published_redacted",
            "response.withheld",
            "extension.requested",
            "extension.granted",
            "extension.refused",
            "milestone.planned",
            "milestone.changed",
            "evidence.added",
            "progress.posted",
            "implementation.claimed",
            "review.verified",
            "review.returned",
            "review.closed_not_implemented",
            "review.commented",
            "token.created",
            "token.revoked",
            "import.completed",
            "person.invited",
            "person.invitation_renewed",
            "person.activated",
            "person.signed_in",
            "person.signed_out",
            "person.password_changed",
            "person.two_factor_enabled",
            "person.two_factor_disabled",
            "person.disabled",
            "person.enabled",
        ],
        |a| a.as_str(),
    );
    assert_eq!(
        Action::reviewed(ReviewOutcome::Comment).as_str(),
        "review.commented",
        "a comment is recorded as commented, not as its outcome's name"
    );
    assert_eq!(Action::responded(1), Action::ResponseSubmitted);
    assert_eq!(Action::responded(2), Action::ResponseRevised);
    assert!(Action::parse("response.deleted").is_err());
}
