//! Progress updates: what a recipient reports as it implements a
//! recommendation. Append-only: an update is never edited or removed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AssignmentId, EvidenceId, MilestoneId, UpdateId};
use crate::organisation::OrgCode;
use crate::review::{check_citations, check_own};
use crate::text::LongText;
use crate::time::utc_micros;
use crate::validation::ValidationErrors;

/// A progress update as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressUpdate {
    /// Its id.
    pub id: UpdateId,
    /// The assignment it reports on.
    pub assignment_id: AssignmentId,
    /// What happened.
    pub narrative: LongText,
    /// Milestones it concerns (of the same assignment).
    pub milestone_ids: Vec<MilestoneId>,
    /// Evidence it cites (of the same assignment).
    pub evidence_ids: Vec<EvidenceId>,
    /// When.
    #[serde(with = "utc_micros")]
    pub submitted_at: DateTime<Utc>,
    /// The organisation that posted it.
    pub submitted_by: OrgCode,
    /// When it happened: `submitted_at`'s day, unless backfilled.
    #[serde(flatten)]
    pub occurred: crate::occurrence::Occurrence,
}

/// An update as a client sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateDraft {
    /// What happened.
    pub narrative: String,
    /// Milestones it concerns.
    #[serde(default)]
    pub milestone_ids: Vec<MilestoneId>,
    /// Evidence it cites.
    #[serde(default)]
    pub evidence_ids: Vec<EvidenceId>,
}

/// A validated update, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateContent {
    /// What happened.
    pub narrative: LongText,
    /// Milestones it concerns.
    pub milestone_ids: Vec<MilestoneId>,
    /// Evidence it cites.
    pub evidence_ids: Vec<EvidenceId>,
}

impl UpdateDraft {
    /// Requires a narrative; the id lists may be empty but hold no repeats.
    /// That the ids belong to the assignment is checked where they are known.
    pub fn parse(&self) -> Result<UpdateContent, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let narrative = errors.check("narrative", LongText::parse(&self.narrative));
        errors.check("milestone_ids", check_citations(&self.milestone_ids, false));
        errors.check("evidence_ids", check_citations(&self.evidence_ids, false));
        match narrative {
            Some(narrative) if errors.is_empty() => Ok(UpdateContent {
                narrative,
                milestone_ids: self.milestone_ids.clone(),
                evidence_ids: self.evidence_ids.clone(),
            }),
            _ => Err(errors),
        }
    }
}

impl UpdateContent {
    /// Refuses (422) a citation of a milestone or evidence item that is not
    /// among the assignment's own (`milestones`, `evidence`), naming the
    /// first of each list.
    pub fn check_own(
        &self,
        milestones: &[MilestoneId],
        evidence: &[EvidenceId],
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        errors.check(
            "milestone_ids",
            check_own(&self.milestone_ids, milestones, "a milestone"),
        );
        errors.check(
            "evidence_ids",
            check_own(&self.evidence_ids, evidence, "an evidence item"),
        );
        errors.into_result()
    }
}
