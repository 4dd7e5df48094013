//! Assignments: one recommendation as made to one recipient — the unit that is
//! tracked. Status changes are decided by [`crate::lifecycle`] alone; this file
//! holds the state and is the only code that changes it: a move's status, the
//! days it stamps, the version it bumps and the flags derived from dates. The
//! store loads an [`Assignment`], calls one of its commands and writes what
//! changed; it sets no field itself.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::deadline::{self, AssignmentFlags, ExtensionDecision};
use crate::error::Refusal;
use crate::ids::{AssignmentId, RecommendationId};
use crate::lifecycle::Transition;
use crate::milestone::MilestoneStatus;
use crate::occurrence::{NotBefore, Occurrence};
use crate::organisation::OrgCode;
use crate::publication::Publication;
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
    /// The day its first response occurred, if it has one.
    pub first_response_on: Option<NaiveDate>,
    /// Whether that day is known only as a bound (`on_or_before`).
    pub first_response_bound: bool,
    /// The day it was verified, if it was.
    pub verified_on: Option<NaiveDate>,
    /// Whether that day is known only as a bound (`on_or_before`).
    pub verified_bound: bool,
    /// The day it reached a final status, if it has.
    pub closed_on: Option<NaiveDate>,
    /// The day the latest fact on it occurred (its issue day before any):
    /// no later fact can have occurred earlier.
    pub occurred_through: NaiveDate,
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
            first_response_bound: false,
            verified_on: None,
            verified_bound: false,
            closed_on: None,
            occurred_through: issued_on,
            version: 1,
        }
    }

    /// The earliest day the next fact on it can have occurred, and why.
    pub fn not_before(&self) -> NotBefore {
        NotBefore {
            day: self.occurred_through,
            because: if self.occurred_through == self.issued_on {
                "the recommendation was issued"
            } else {
                "the latest fact recorded on this assignment occurred"
            },
        }
    }

    /// Applies a move the lifecycle allowed (see [`crate::lifecycle::decide`])
    /// that occurred as `occurred` says: the new status, the days it stamps,
    /// the next version. Does not re-check the move, nor the day (see
    /// [`Assignment::not_before`]).
    pub fn apply(&mut self, transition: &Transition, occurred: &Occurrence) {
        self.status = transition.to;
        let mut stamps = Stamps {
            verified_on: self.verified_on,
            verified_bound: self.verified_bound,
            closed_on: self.closed_on,
        };
        stamps.stamp(transition.to, occurred.occurred_on, occurred.is_bound());
        self.verified_on = stamps.verified_on;
        self.verified_bound = stamps.verified_bound;
        self.closed_on = stamps.closed_on;
        self.occurred_through = self.occurred_through.max(occurred.occurred_on);
        self.version += 1;
    }

    /// Applies a move that reports no dated fact (adding evidence, whose
    /// rows never change the status): the next version only, so that a
    /// backfilled claim may still cite evidence added today.
    pub fn apply_undated(&mut self, transition: &Transition) {
        debug_assert_eq!(transition.from, transition.to);
        self.status = transition.to;
        self.version += 1;
    }

    /// Records `response` (a first one or a revision), which occurred as
    /// `occurred` says, then applies the move the lifecycle allowed for its
    /// decision.
    pub fn respond(&mut self, transition: &Transition, response: Response, occurred: &Occurrence) {
        if self.first_response_on.is_none() {
            self.first_response_on = Some(occurred.occurred_on);
            self.first_response_bound = occurred.is_bound();
        }
        self.response = Some(response);
        self.apply(transition, occurred);
    }

    /// Records the overseer's decision on publishing the current response's
    /// text (no status moves; the next version, since what the public reads
    /// changed). Refused when there is no response.
    pub fn decide_publication(&mut self, publication: Publication) -> Result<(), Refusal> {
        let response = self.response.as_mut().ok_or_else(|| Refusal::Conflict {
            reason: "there is no response to publish: the recipient has not responded".to_owned(),
        })?;
        response.publication = Some(publication);
        self.version += 1;
        Ok(())
    }

    /// Records the overseer's decision on an extension request (a grant moves
    /// the response due day), then applies the move the lifecycle allowed.
    pub fn decide_extension(
        &mut self,
        transition: &Transition,
        decision: &ExtensionDecision,
        occurred: &Occurrence,
    ) {
        self.response_due_on = decision.response_due_on;
        self.apply(transition, occurred);
    }

    /// The derived flags as of `as_of`, given its milestones' due days and
    /// statuses.
    pub fn flags(
        &self,
        milestones: impl IntoIterator<Item = (NaiveDate, MilestoneStatus)>,
        as_of: NaiveDate,
    ) -> AssignmentFlags {
        deadline::flags(&self.flag_inputs(), milestones, as_of)
    }

    /// The inputs of its flags and response clock, as it stands (nothing in
    /// it is in doubt: it is the record, not a rebuilt past).
    pub fn flag_inputs(&self) -> deadline::FlagInputs {
        deadline::FlagInputs {
            status: self.status,
            issued_on: self.issued_on,
            response_due_on: self.response_due_on,
            first_response: self
                .first_response_on
                .map(|day| (day, self.first_response_bound)),
            closed_on: self.closed_on,
            uncertain: false,
        }
    }
}

/// The days a move stamps: the first day an assignment is verified (and
/// whether that day is only a bound) and the first day it reaches a final
/// status, kept for good. [`Assignment::apply`] and the status report's
/// replay of past events (`crate::status_report::AssignmentSnapshot`) both
/// stamp through here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stamps {
    pub verified_on: Option<NaiveDate>,
    pub verified_bound: bool,
    pub closed_on: Option<NaiveDate>,
}

impl Stamps {
    /// Stamps a move to `to` that occurred on `on` (`bound`: on or before).
    pub(crate) fn stamp(&mut self, to: AssignmentStatus, on: NaiveDate, bound: bool) {
        if to == AssignmentStatus::Verified && self.verified_on.is_none() {
            self.verified_on = Some(on);
            self.verified_bound = bound;
        }
        if to.is_final() {
            self.closed_on.get_or_insert(on);
        }
    }
}
