//! Assignments: one recommendation as made to one recipient — the unit that is
//! tracked. Status changes are decided by [`crate::lifecycle`] alone; this file
//! holds the state and is the only code that changes it: a move's status, the
//! days it stamps, the version it bumps and the flags derived from dates. The
//! store loads an [`Assignment`], calls one of its commands and writes what
//! changed; it sets no field itself.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::deadline::{self, AssignmentFlags, ExtensionDecision};
use crate::ids::{AssignmentId, RecommendationId};
use crate::lifecycle::Transition;
use crate::milestone::MilestoneStatus;
use crate::organisation::OrgCode;
use crate::response::Response;

/// Where an assignment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// Made; no response yet.
    AwaitingResponse,
    /// The recipient accepts it.
    Accepted,
    /// The recipient accepts part of it.
    PartiallyAccepted,
    /// The recipient does not accept it.
    NotAccepted,
    /// Work has started: a progress update was posted or a milestone started.
    InProgress,
    /// The recipient says it is implemented and cites evidence.
    ImplementationClaimed,
    /// The overseer has verified the claim. Final.
    Verified,
    /// The overseer has closed it as not implemented. Final.
    ClosedNotImplemented,
    /// The overseer withdrew the recommendation. Final.
    Withdrawn,
}

impl AssignmentStatus {
    /// Where every assignment starts: awaiting its response.
    pub const INITIAL: Self = Self::AwaitingResponse;

    /// Every status, in lifecycle order.
    pub const ALL: [Self; 9] = [
        Self::AwaitingResponse,
        Self::Accepted,
        Self::PartiallyAccepted,
        Self::NotAccepted,
        Self::InProgress,
        Self::ImplementationClaimed,
        Self::Verified,
        Self::ClosedNotImplemented,
        Self::Withdrawn,
    ];

    /// True for `verified`, `closed_not_implemented` and `withdrawn`: no move
    /// leads out of them.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Verified | Self::ClosedNotImplemented | Self::Withdrawn
        )
    }

    /// The wire name, e.g. `awaiting_response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingResponse => "awaiting_response",
            Self::Accepted => "accepted",
            Self::PartiallyAccepted => "partially_accepted",
            Self::NotAccepted => "not_accepted",
            Self::InProgress => "in_progress",
            Self::ImplementationClaimed => "implementation_claimed",
            Self::Verified => "verified",
            Self::ClosedNotImplemented => "closed_not_implemented",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Reads a wire name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not an assignment status"))
    }
}

impl std::fmt::Display for AssignmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An assignment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Its id.
    pub id: AssignmentId,
    /// The recommendation it tracks.
    pub recommendation_id: RecommendationId,
    /// The recipient's code.
    pub organisation: OrgCode,
    /// Where it stands.
    pub status: AssignmentStatus,
    /// The current response, if any (earlier ones stay in the history).
    pub response: Option<Response>,
    /// When the recommendation was issued (copied, for deadlines and `days_open`).
    pub issued_on: NaiveDate,
    /// When a response is due; moved only by a granted extension.
    pub response_due_on: NaiveDate,
    /// The day its first response was recorded, if it has one.
    pub first_response_on: Option<NaiveDate>,
    /// The day it was verified, if it was.
    pub verified_on: Option<NaiveDate>,
    /// The day it reached a final status, if it has.
    pub closed_on: Option<NaiveDate>,
    /// Bumped on every change; clients send it back in `If-Match`.
    pub version: i64,
}

impl Assignment {
    /// A new assignment awaiting its response, at version 1.
    pub fn new(
        id: AssignmentId,
        recommendation_id: RecommendationId,
        organisation: OrgCode,
        issued_on: NaiveDate,
        response_due_on: NaiveDate,
    ) -> Self {
        Self {
            id,
            recommendation_id,
            organisation,
            status: AssignmentStatus::INITIAL,
            response: None,
            issued_on,
            response_due_on,
            first_response_on: None,
            verified_on: None,
            closed_on: None,
            version: 1,
        }
    }

    /// Applies a move the lifecycle allowed (see [`crate::lifecycle::decide`])
    /// on `today`: the new status, the days it stamps, the next version. Does
    /// not re-check the move.
    pub fn apply(&mut self, transition: &Transition, today: NaiveDate) {
        self.status = transition.to;
        stamp_days(
            transition.to,
            today,
            &mut self.verified_on,
            &mut self.closed_on,
        );
        self.version += 1;
    }

    /// Records `response` (a first one or a revision) given on `today`, then
    /// applies the move the lifecycle allowed for its decision.
    pub fn respond(&mut self, transition: &Transition, response: Response, today: NaiveDate) {
        self.first_response_on.get_or_insert(today);
        self.response = Some(response);
        self.apply(transition, today);
    }

    /// Records the overseer's decision on an extension request (a grant moves
    /// the response due day), then applies the move the lifecycle allowed.
    pub fn decide_extension(
        &mut self,
        transition: &Transition,
        decision: &ExtensionDecision,
        today: NaiveDate,
    ) {
        self.response_due_on = decision.response_due_on;
        self.apply(transition, today);
    }

    /// The derived flags as of `as_of`, given its milestones' due days and
    /// statuses.
    pub fn flags(
        &self,
        milestones: impl IntoIterator<Item = (NaiveDate, MilestoneStatus)>,
        as_of: NaiveDate,
    ) -> AssignmentFlags {
        deadline::flags(
            &deadline::FlagInputs {
                status: self.status,
                issued_on: self.issued_on,
                response_due_on: self.response_due_on,
                closed_on: self.closed_on,
            },
            milestones,
            as_of,
        )
    }
}

/// The days a move to `to` on `on` stamps: the first day an assignment is
/// verified and the first day it reaches a final status, kept for good.
/// [`Assignment::apply`] and the status report's replay of past events
/// (`crate::status_report::AssignmentSnapshot`) both stamp through here.
pub(crate) fn stamp_days(
    to: AssignmentStatus,
    on: NaiveDate,
    verified_on: &mut Option<NaiveDate>,
    closed_on: &mut Option<NaiveDate>,
) {
    if to == AssignmentStatus::Verified {
        verified_on.get_or_insert(on);
    }
    if to.is_final() {
        closed_on.get_or_insert(on);
    }
}
