//! The recipient's claim of implementation, the overseer's review of it, and
//! the overseer's withdrawal of a recommendation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::assignment::Assignment;
use crate::error::{Error, Refusal};
use crate::ids::{AssignmentId, ClaimId, EvidenceId, ReviewId};
use crate::lifecycle::{self, Command};
use crate::occurrence::{NotBefore, Occurrence, OccurrenceDraft};
use crate::organisation::OrgCode;
use crate::role::Principal;
use crate::text::{LongText, optional_long_text};
use crate::time::utc_micros;
use crate::validation::{ValidationErrors, no_duplicates};

/// What the overseer concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// The claim holds: the recommendation is implemented.
    Verified,
    /// The claim does not hold yet; work goes on.
    Returned,
    /// The recommendation will not be implemented; closed.
    ClosedNotImplemented,
    /// A remark that changes nothing.
    Comment,
}

impl ReviewOutcome {
    /// Every outcome, in declaration order.
    pub const ALL: [Self; 4] = [
        Self::Verified,
        Self::Returned,
        Self::ClosedNotImplemented,
        Self::Comment,
    ];

    /// The wire name, e.g. `closed_not_implemented`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Returned => "returned",
            Self::ClosedNotImplemented => "closed_not_implemented",
            Self::Comment => "comment",
        }
    }
}

/// A review as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Its id.
    pub id: ReviewId,
    /// The assignment reviewed.
    pub assignment_id: AssignmentId,
    /// The conclusion.
    pub outcome: ReviewOutcome,
    /// Why (always present unless verified).
    pub comment: Option<LongText>,
    /// The oversight body that reviewed.
    pub reviewer: OrgCode,
    /// When.
    #[serde(with = "utc_micros")]
    pub at: DateTime<Utc>,
    /// When it happened: `at`'s day, unless backfilled.
    #[serde(flatten)]
    pub occurred: Occurrence,
}

/// A review as a client sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDraft {
    /// The conclusion.
    pub outcome: ReviewOutcome,
    /// Why; required unless the outcome is `verified`.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A validated review, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewContent {
    /// The conclusion.
    pub outcome: ReviewOutcome,
    /// Why.
    pub comment: Option<LongText>,
}

impl ReviewDraft {
    /// Requires a comment for every outcome but `verified`.
    pub fn parse(&self) -> Result<ReviewContent, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let comment = errors.check("comment", optional_long_text(self.comment.as_deref()));
        if let Some(None) = comment
            && self.outcome != ReviewOutcome::Verified
        {
            errors.add(
                "comment",
                format!("is required for the outcome `{}`", self.outcome.as_str()),
            );
        }
        match comment {
            Some(comment) if errors.is_empty() => Ok(ReviewContent {
                outcome: self.outcome,
                comment,
            }),
            _ => Err(errors),
        }
    }
}

/// Most evidence items one claim or update may cite.
pub const MAX_CITED: usize = 100;

/// A claim of implementation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Its id.
    pub id: ClaimId,
    /// The assignment claimed implemented.
    pub assignment_id: AssignmentId,
    /// What was done.
    pub summary: LongText,
    /// The evidence it cites: at least one item of this assignment.
    pub evidence_ids: Vec<EvidenceId>,
    /// When.
    #[serde(with = "utc_micros")]
    pub submitted_at: DateTime<Utc>,
    /// The organisation that claimed.
    pub submitted_by: OrgCode,
    /// When it was made: `submitted_at`'s day, unless backfilled.
    #[serde(flatten)]
    pub occurred: Occurrence,
}

/// A claim as a client sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDraft {
    /// What was done.
    pub summary: String,
    /// The evidence it cites.
    #[serde(default)]
    pub evidence_ids: Vec<EvidenceId>,
}

/// A validated claim, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimContent {
    /// What was done.
    pub summary: LongText,
    /// The evidence it cites.
    pub evidence_ids: Vec<EvidenceId>,
}

impl ClaimDraft {
    /// Requires a summary and 1 to 100 distinct evidence ids. That they belong
    /// to the assignment is checked where evidence is known.
    pub fn parse(&self) -> Result<ClaimContent, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let summary = errors.check("summary", LongText::parse(&self.summary));
        errors.check("evidence_ids", check_citations(&self.evidence_ids, true));
        match summary {
            Some(summary) if errors.is_empty() => Ok(ClaimContent {
                summary,
                evidence_ids: self.evidence_ids.clone(),
            }),
            _ => Err(errors),
        }
    }
}

impl ClaimContent {
    /// Refuses (422) a citation of an evidence item that is not among the
    /// assignment's own (`evidence`), naming the first.
    pub fn check_own(&self, evidence: &[EvidenceId]) -> Result<(), ValidationErrors> {
        check_own(&self.evidence_ids, evidence, "an evidence item")
            .map_err(|message| ValidationErrors::single("evidence_ids", message))
    }
}

/// Refuses cited ids that are not among `own`, the assignment's own items,
/// naming the first; `what` names their kind with its article ("an evidence
/// item"). An update or a claim may cite only its own assignment's items.
pub fn check_own<T: PartialEq + std::fmt::Display>(
    ids: &[T],
    own: &[T],
    what: &str,
) -> Result<(), String> {
    match ids.iter().find(|id| !own.contains(id)) {
        Some(id) => Err(format!("`{id}` is not {what} of this assignment")),
        None => Ok(()),
    }
}

/// Checks a list of cited ids: no repeats, at most [`MAX_CITED`], and at
/// least one when `required`.
pub fn check_citations<T: PartialEq + std::fmt::Display>(
    ids: &[T],
    required: bool,
) -> Result<(), String> {
    if required && ids.is_empty() {
        return Err("must cite at least one evidence item of this assignment".to_owned());
    }
    if ids.len() > MAX_CITED {
        return Err(format!(
            "must hold at most {MAX_CITED} ids (it holds {})",
            ids.len()
        ));
    }
    no_duplicates(ids)
}

/// The overseer's withdrawal of a recommendation, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalDraft {
    /// Why it is withdrawn.
    pub reason: String,
}

impl WithdrawalDraft {
    /// Requires a reason.
    pub fn parse(&self) -> Result<LongText, ValidationErrors> {
        LongText::parse(&self.reason).map_err(|message| ValidationErrors::single("reason", message))
    }
}

/// Withdraws a recommendation whose assignments are `assignments`, on
/// `today`, by `principal` (the overseer, or the console), as having occurred as `occurred` says: every
/// assignment still open moves to `withdrawn` as the lifecycle allows; those
/// already final (verified, closed or withdrawn) stay as they are. A
/// recommendation `already_withdrawn` cannot be withdrawn again (409), and a
/// withdrawal cannot have occurred before the latest fact on any assignment
/// it closes (422). Returns the ids of the assignments it closed, in order,
/// and when it occurred.
pub fn withdraw<'a>(
    already_withdrawn: bool,
    assignments: impl IntoIterator<Item = &'a mut Assignment>,
    principal: &Principal,
    occurred: &OccurrenceDraft,
    today: NaiveDate,
) -> Result<(Vec<AssignmentId>, Occurrence), Error> {
    if already_withdrawn {
        return Err(Refusal::Conflict {
            reason: "this recommendation is already withdrawn".to_owned(),
        }
        .into());
    }
    let open: Vec<&mut Assignment> = assignments
        .into_iter()
        .filter(|a| !a.status.is_final())
        .collect();
    let not_before = open
        .iter()
        .map(|a| a.not_before())
        .max_by_key(|n| n.day)
        .unwrap_or(NotBefore {
            day: crate::time::FIRST_DAY,
            because: "rectrack's first day",
        });
    let occurrence = occurred.parse(today, not_before)?;
    let mut closed = Vec::new();
    for assignment in open {
        // Only the overseer withdraws, so a backfilled withdrawal needs no
        // further permission.
        let transition =
            lifecycle::decide_backfill(assignment.status, principal, Command::Withdraw)?;
        assignment.apply(&transition, &occurrence);
        closed.push(assignment.id);
    }
    Ok((closed, occurrence))
}
