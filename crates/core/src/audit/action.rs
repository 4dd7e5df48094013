//! The names of what audit events record: one per kind of write. They are
//! part of the public contract (clients read them in `/v1/audit/events` and
//! an assignment's history), so each is spelled here once and nowhere else.

use serde::{Deserialize, Serialize};

use crate::review::ReviewOutcome;

/// What a write did, named in its audit event's `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// An organisation was created.
    OrganisationCreated,
    /// A report was created.
    ReportCreated,
    /// A recommendation was created, with one assignment per recipient.
    RecommendationCreated,
    /// A recommendation was withdrawn, closing its open assignments.
    RecommendationWithdrawn,
    /// A recipient's first response.
    ResponseSubmitted,
    /// A later revision of the response.
    ResponseRevised,
    /// The overseer published a response's text.
    ResponsePublished,
    /// The overseer published a redacted text of a response.
    ResponsePublishedRedacted,
    /// The overseer withheld a response's text.
    ResponseWithheld,
    /// A recipient asked for a later response due day.
    ExtensionRequested,
    /// The overseer granted an extension.
    ExtensionGranted,
    /// The overseer refused an extension.
    ExtensionRefused,
    /// A milestone was planned.
    MilestonePlanned,
    /// A milestone's title, due day or status changed.
    MilestoneChanged,
    /// An evidence item was added.
    EvidenceAdded,
    /// A progress update was posted.
    ProgressPosted,
    /// The recipient claimed implementation.
    ImplementationClaimed,
    /// The overseer verified the claim.
    ReviewVerified,
    /// The overseer returned the claim.
    ReviewReturned,
    /// The overseer closed the assignment as not implemented.
    ReviewClosedNotImplemented,
    /// The overseer commented.
    ReviewCommented,
    /// A token was created (its secret is never recorded).
    TokenCreated,
    /// A token was revoked.
    TokenRevoked,
    /// A file was imported: the event names its SHA-256 and every row.
    ImportCompleted,
    /// A person was invited (the invitation's secret is never recorded).
    PersonInvited,
    /// A person's invitation was sent again: a new link, the old one void.
    PersonInvitationRenewed,
    /// An invited person set a password: the account is active.
    PersonActivated,
    /// A person signed in.
    PersonSignedIn,
    /// A person signed out.
    PersonSignedOut,
    /// A person changed their password; their other sessions ended.
    PersonPasswordChanged,
    /// A person set up a second factor (TOTP).
    PersonTwoFactorEnabled,
    /// A person removed their second factor.
    PersonTwoFactorDisabled,
    /// An overseer disabled an account; its sessions ended.
    PersonDisabled,
    /// An overseer enabled a disabled account again.
    PersonEnabled,
}

impl Action {
    /// Every action.
    pub const ALL: [Self; 34] = [
        Self::OrganisationCreated,
        Self::ReportCreated,
        Self::RecommendationCreated,
        Self::RecommendationWithdrawn,
        Self::ResponseSubmitted,
        Self::ResponseRevised,
        Self::ResponsePublished,
        Self::ResponsePublishedRedacted,
        Self::ResponseWithheld,
        Self::ExtensionRequested,
        Self::ExtensionGranted,
        Self::ExtensionRefused,
        Self::MilestonePlanned,
        Self::MilestoneChanged,
        Self::EvidenceAdded,
        Self::ProgressPosted,
        Self::ImplementationClaimed,
        Self::ReviewVerified,
        Self::ReviewReturned,
        Self::ReviewClosedNotImplemented,
        Self::ReviewCommented,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::ImportCompleted,
        Self::PersonInvited,
        Self::PersonInvitationRenewed,
        Self::PersonActivated,
        Self::PersonSignedIn,
        Self::PersonSignedOut,
        Self::PersonPasswordChanged,
        Self::PersonTwoFactorEnabled,
        Self::PersonTwoFactorDisabled,
        Self::PersonDisabled,
        Self::PersonEnabled,
    ];

    /// The name in the audit event, e.g. `response.submitted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganisationCreated => "organisation.created",
            Self::ReportCreated => "report.created",
            Self::RecommendationCreated => "recommendation.created",
            Self::RecommendationWithdrawn => "recommendation.withdrawn",
            Self::ResponseSubmitted => "response.submitted",
            Self::ResponseRevised => "response.revised",
            Self::ResponsePublished => "response.published",
            Self::ResponsePublishedRedacted => "response.published_redacted",
            Self::ResponseWithheld => "response.withheld",
            Self::ExtensionRequested => "extension.requested",
            Self::ExtensionGranted => "extension.granted",
            Self::ExtensionRefused => "extension.refused",
            Self::MilestonePlanned => "milestone.planned",
            Self::MilestoneChanged => "milestone.changed",
            Self::EvidenceAdded => "evidence.added",
            Self::ProgressPosted => "progress.posted",
            Self::ImplementationClaimed => "implementation.claimed",
            Self::ReviewVerified => "review.verified",
            Self::ReviewReturned => "review.returned",
            Self::ReviewClosedNotImplemented => "review.closed_not_implemented",
            Self::ReviewCommented => "review.commented",
            Self::TokenCreated => "token.created",
            Self::TokenRevoked => "token.revoked",
            Self::ImportCompleted => "import.completed",
            Self::PersonInvited => "person.invited",
            Self::PersonInvitationRenewed => "person.invitation_renewed",
            Self::PersonActivated => "person.activated",
            Self::PersonSignedIn => "person.signed_in",
            Self::PersonSignedOut => "person.signed_out",
            Self::PersonPasswordChanged => "person.password_changed",
            Self::PersonTwoFactorEnabled => "person.two_factor_enabled",
            Self::PersonTwoFactorDisabled => "person.two_factor_disabled",
            Self::PersonDisabled => "person.disabled",
            Self::PersonEnabled => "person.enabled",
        }
    }

    /// Reads a name written by [`Action::as_str`].
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not an audit action"))
    }

    /// A response: the first (`revision` 1) or a revision of it.
    pub fn responded(revision: i64) -> Self {
        if revision <= 1 {
            Self::ResponseSubmitted
        } else {
            Self::ResponseRevised
        }
    }

    /// The overseer's decision on an extension request: granted or refused.
    pub fn extension_decided(granted: bool) -> Self {
        if granted {
            Self::ExtensionGranted
        } else {
            Self::ExtensionRefused
        }
    }

    /// A review with this outcome.
    pub fn reviewed(outcome: ReviewOutcome) -> Self {
        match outcome {
            ReviewOutcome::Verified => Self::ReviewVerified,
            ReviewOutcome::Returned => Self::ReviewReturned,
            ReviewOutcome::ClosedNotImplemented => Self::ReviewClosedNotImplemented,
            ReviewOutcome::Comment => Self::ReviewCommented,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}
