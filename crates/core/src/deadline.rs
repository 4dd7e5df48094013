//! Deadlines: the response window, extension requests, and the flags derived
//! from dates (`response_overdue`, `overdue_milestones`, `days_open`).
//!
//! Time is a parameter here: every function takes `today` or `as_of`, so that
//! a report for a past day and a test for a leap year are plain calls.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::assignment::AssignmentStatus;
use crate::error::{Error, Refusal};
use crate::ids::{AssignmentId, ExtensionRequestId};
use crate::milestone::MilestoneStatus;
use crate::occurrence::Occurrence;
use crate::organisation::OrgCode;
use crate::recommendation::LegalBasis;
use crate::text::{LongText, optional_long_text};
use crate::time::{utc_micros, utc_micros_option};
use crate::validation::ValidationErrors;

/// Days a recipient has to respond under Schedule 3, paragraph 28A of the
/// Police Reform Act 2002.
pub const STATUTORY_RESPONSE_DAYS: u64 = 56;

/// The time a recipient has to respond, by the power the recommendation was
/// made under.
///
/// Paragraph 28A sets 56 days in law. The IOPC asks for learning
/// recommendations to be answered in the same 56 days, and HMICFRS
/// recommendations follow a parallel 56-day rule (Police Act 1996, s.55), so
/// `learning` and `other` default to it too; a recommendation may still set
/// its own due day.
pub fn response_window(legal_basis: LegalBasis) -> Days {
    match legal_basis {
        LegalBasis::Para28a | LegalBasis::Learning | LegalBasis::Other => {
            Days::new(STATUTORY_RESPONSE_DAYS)
        }
    }
}

/// The default due day: the window after the issue day (the last date
/// representable if that overflows, which no real date does).
pub fn default_response_due_on(issued_on: NaiveDate, legal_basis: LegalBasis) -> NaiveDate {
    issued_on
        .checked_add_days(response_window(legal_basis))
        .unwrap_or(NaiveDate::MAX)
}

/// Where an extension request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionStatus {
    /// Awaiting the overseer's decision.
    Pending,
    /// Granted: the assignment's due day moved.
    Granted,
    /// Refused: the due day stands.
    Refused,
}

/// An extension request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    /// Its id.
    pub id: ExtensionRequestId,
    /// The assignment whose response it concerns.
    pub assignment_id: AssignmentId,
    /// The later due day asked for.
    pub requested_due_on: NaiveDate,
    /// Why more time is needed.
    pub reason: LongText,
    /// Where it stands.
    pub status: ExtensionStatus,
    /// When it was asked.
    #[serde(with = "utc_micros")]
    pub requested_at: DateTime<Utc>,
    /// Who asked.
    pub requested_by: OrgCode,
    /// The overseer's comment on its decision.
    pub decision_comment: Option<LongText>,
    /// When it was decided.
    #[serde(with = "utc_micros_option")]
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was asked: `requested_at`'s day, unless backfilled.
    #[serde(flatten)]
    pub occurred: Occurrence,
    /// When it was decided: `decided_at`'s day, unless backfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_occurred: Option<Occurrence>,
}

impl ExtensionRequest {
    /// Records the overseer's `decision`, made at `at`, as having occurred as
    /// `occurred` says.
    pub fn record(&mut self, decision: ExtensionDecision, at: DateTime<Utc>, occurred: Occurrence) {
        self.status = decision.status;
        self.decision_comment = decision.comment;
        self.decided_at = Some(at);
        self.decision_occurred = Some(occurred);
    }
}

/// An extension request as a client sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionDraft {
    /// The later due day asked for.
    pub requested_due_on: NaiveDate,
    /// Why.
    pub reason: String,
}

/// A validated extension request, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionAsk {
    /// The later due day asked for.
    pub requested_due_on: NaiveDate,
    /// Why.
    pub reason: LongText,
}

impl ExtensionDraft {
    /// Validates a request against the assignment's current due day, asked
    /// on `asked_on` (the day it occurred). The lifecycle has already checked
    /// that the assignment awaits its response. Refuses (409) a request once
    /// the due day has passed or while another is pending; refuses (422) a
    /// day that is not later than the current one, and a missing reason.
    pub fn parse(
        &self,
        current_due_on: NaiveDate,
        asked_on: NaiveDate,
        pending_exists: bool,
    ) -> Result<ExtensionAsk, Error> {
        if asked_on > current_due_on {
            return Err(Refusal::Conflict {
                reason: format!(
                    "the response was due on {current_due_on}; an extension must be asked for before then"
                ),
            }
            .into());
        }
        if pending_exists {
            return Err(Refusal::Conflict {
                reason: "an extension request for this assignment is already awaiting a decision"
                    .to_owned(),
            }
            .into());
        }
        let mut errors = ValidationErrors::new();
        let reason = errors.check("reason", LongText::parse(&self.reason));
        if let Err(out_of_range) = crate::time::check_day(self.requested_due_on) {
            errors.add("requested_due_on", out_of_range);
        } else if self.requested_due_on <= current_due_on {
            errors.add(
                "requested_due_on",
                format!("must be later than the current due day {current_due_on}"),
            );
        }
        match reason {
            Some(reason) if errors.is_empty() => Ok(ExtensionAsk {
                requested_due_on: self.requested_due_on,
                reason,
            }),
            _ => Err(errors.into()),
        }
    }
}

/// The overseer's decision on an extension request, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionDecisionDraft {
    /// Whether the extension is granted.
    pub granted: bool,
    /// Why; required when refusing.
    #[serde(default)]
    pub comment: Option<String>,
}

/// What a decision does: the request's new status, the assignment's due day
/// after it, and the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionDecision {
    /// `granted` or `refused`.
    pub status: ExtensionStatus,
    /// The assignment's due day after the decision.
    pub response_due_on: NaiveDate,
    /// The overseer's comment.
    pub comment: Option<LongText>,
}

impl ExtensionDecisionDraft {
    /// Decides `request` for an assignment now due on `current_due_on`.
    /// A grant moves the due day to the requested one; a refusal needs a
    /// comment; a request already decided cannot be decided again (409).
    pub fn decide(
        &self,
        request: &ExtensionRequest,
        current_due_on: NaiveDate,
    ) -> Result<ExtensionDecision, Error> {
        if request.status != ExtensionStatus::Pending {
            return Err(Refusal::Conflict {
                reason: format!(
                    "this extension request was already {}",
                    if request.status == ExtensionStatus::Granted {
                        "granted"
                    } else {
                        "refused"
                    }
                ),
            }
            .into());
        }
        let comment = optional_long_text(self.comment.as_deref())
            .map_err(|message| ValidationErrors::single("comment", message))?;
        if !self.granted && comment.is_none() {
            return Err(ValidationErrors::single(
                "comment",
                "is required when refusing an extension",
            )
            .into());
        }
        Ok(if self.granted {
            ExtensionDecision {
                status: ExtensionStatus::Granted,
                response_due_on: request.requested_due_on.max(current_due_on),
                comment,
            }
        } else {
            ExtensionDecision {
                status: ExtensionStatus::Refused,
                response_due_on: current_due_on,
                comment,
            }
        })
    }
}

/// Figures derived from dates on every assignment read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentFlags {
    /// Awaiting a response after its due day.
    pub response_overdue: bool,
    /// Whether its first response came on time, late, or at a time not
    /// known well enough to say; none before a response.
    pub response_timing: Option<ResponseTiming>,
    /// Milestones neither done nor dropped whose due day has passed.
    pub overdue_milestones: u32,
    /// Days from issue to `as_of`, or to the day it closed if it has.
    pub days_open: i64,
}

/// Whether a response came in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseTiming {
    /// On or before its due day.
    OnTime,
    /// After its due day.
    Late,
    /// Known only as on or before a day after the due day: it may have come
    /// in time or not, and rectrack does not say which.
    Unknown,
}

/// Where an assignment stands against its response clock on a day: the one
/// classification behind `response_overdue`, `response_timing` and the
/// report's response figures. The store states it in SQL by [`Self::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseClock {
    /// No response, and none owed yet (or none owed any more: closed or
    /// withdrawn without one).
    Running,
    /// Awaiting a response past its due day.
    Overdue,
    /// Awaiting a response past its due day, as far as the record shows; but
    /// the next fact is known only as on or before a later day, so the
    /// response may already have come.
    MaybeOverdue,
    /// Its first response came on or before the due day.
    OnTime,
    /// Its first response came after the due day.
    Late,
    /// Its first response is known only as on or before a day after the due
    /// day.
    MaybeLate,
}

impl ResponseClock {
    /// Every value, in [`Self::code`] order.
    pub const ALL: [Self; 6] = [
        Self::Running,
        Self::Overdue,
        Self::MaybeOverdue,
        Self::OnTime,
        Self::Late,
        Self::MaybeLate,
    ];

    /// The number the store's SQL gives this value.
    pub fn code(self) -> i64 {
        match self {
            Self::Running => 0,
            Self::Overdue => 1,
            Self::MaybeOverdue => 2,
            Self::OnTime => 3,
            Self::Late => 4,
            Self::MaybeLate => 5,
        }
    }

    /// The value of a code written by [`Self::code`].
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|clock| clock.code() == code)
    }

    /// How a response came, if one has: on time, late, or unknown.
    pub fn timing(self) -> Option<ResponseTiming> {
        match self {
            Self::Running | Self::Overdue | Self::MaybeOverdue => None,
            Self::OnTime => Some(ResponseTiming::OnTime),
            Self::Late => Some(ResponseTiming::Late),
            Self::MaybeLate => Some(ResponseTiming::Unknown),
        }
    }
}

/// What the flags are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagInputs {
    /// Current status.
    pub status: AssignmentStatus,
    /// Issue day of the recommendation.
    pub issued_on: NaiveDate,
    /// Current response due day.
    pub response_due_on: NaiveDate,
    /// The day the first response occurred, and whether that day is only a
    /// bound (`on_or_before`).
    pub first_response: Option<(NaiveDate, bool)>,
    /// Day it reached a final status, if it has.
    pub closed_on: Option<NaiveDate>,
    /// Whether the next fact after the day asked about is known only as on
    /// or before a later day, so that it may already have happened. Only a
    /// state rebuilt "as it happened" on a past day can be uncertain.
    pub uncertain: bool,
}

impl FlagInputs {
    /// Where the assignment stands against its response clock on `as_of`.
    ///
    /// Lateness is asserted only where it is proved: a response known only
    /// as on or before a day after its due day is [`ResponseClock::MaybeLate`],
    /// and an assignment awaiting a response past its due day whose next
    /// fact may have come earlier is [`ResponseClock::MaybeOverdue`].
    pub fn response_clock(&self, as_of: NaiveDate) -> ResponseClock {
        response_clock(
            self.status,
            self.response_due_on,
            self.first_response,
            self.uncertain,
            as_of,
        )
    }
}

/// Where an assignment in `status`, due to respond by `response_due_on`,
/// stands against its response clock on `as_of`: [`FlagInputs::response_clock`]
/// from only what it reads. Days may be given in any ordered form (dates,
/// or day numbers as the store keeps them).
pub fn response_clock<Day: Ord>(
    status: AssignmentStatus,
    response_due_on: Day,
    first_response: Option<(Day, bool)>,
    uncertain: bool,
    as_of: Day,
) -> ResponseClock {
    if owes_response(status) && as_of > response_due_on {
        return if uncertain {
            ResponseClock::MaybeOverdue
        } else {
            ResponseClock::Overdue
        };
    }
    match first_response {
        None => ResponseClock::Running,
        Some((day, _)) if day <= response_due_on => ResponseClock::OnTime,
        Some((_, true)) => ResponseClock::MaybeLate,
        Some((_, false)) => ResponseClock::Late,
    }
}

/// Whether an assignment in `status` owes its response: only while it awaits
/// one. Only such an assignment can have its response overdue.
pub fn owes_response(status: AssignmentStatus) -> bool {
    status == AssignmentStatus::AwaitingResponse
}

/// Whether an assignment in `status` can have overdue milestones: not once it
/// is final, for nothing more is owed on it.
pub fn owes_milestones(status: AssignmentStatus) -> bool {
    !status.is_final()
}

/// The statuses for which `rule` holds, in lifecycle order: how the store
/// states a rule of this file in SQL without restating it.
pub fn statuses_where(rule: fn(AssignmentStatus) -> bool) -> Vec<AssignmentStatus> {
    AssignmentStatus::ALL
        .into_iter()
        .filter(|s| rule(*s))
        .collect()
}

/// The flags of an assignment as of `as_of`.
///
/// A milestone is overdue when open and due before `as_of`. An assignment in
/// a final status has no overdue milestones: once verified, closed or
/// withdrawn, nothing more is owed on it. `days_open` stops counting when the
/// assignment closes and is never negative.
pub fn flags(
    inputs: &FlagInputs,
    milestones: impl IntoIterator<Item = (NaiveDate, MilestoneStatus)>,
    as_of: NaiveDate,
) -> AssignmentFlags {
    let clock = inputs.response_clock(as_of);
    let overdue_milestones = if !owes_milestones(inputs.status) {
        0
    } else {
        let count = milestones
            .into_iter()
            .filter(|(due_on, status)| status.is_open() && *due_on < as_of)
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    };
    let end = inputs.closed_on.map_or(as_of, |closed| closed.min(as_of));
    let days_open = (end - inputs.issued_on).num_days().max(0);
    AssignmentFlags {
        response_overdue: clock == ResponseClock::Overdue,
        response_timing: clock.timing(),
        overdue_milestones,
        days_open,
    }
}
