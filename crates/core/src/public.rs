//! The published history of an assignment: the facts anyone may read, in
//! the order they happened.
//!
//! The published view of an assignment is its status, its response clock
//! and these facts: every response (the first and each revision; its text
//! only once published, see `publication`), every
//! extension decision, every claim's summary, every review's outcome and
//! comment, and a withdrawal. Progress updates, milestones, evidence, the
//! reasons given for an extension request and who acted stay with token
//! holders; nothing here carries them, so no page built from this can leak
//! them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::AssignmentId;
use crate::occurrence::Occurrence;
use crate::publication::PublishedText;
use crate::response::ResponseDecision;
use crate::review::ReviewOutcome;

/// One published fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicFact {
    /// A response: the first (`revision` 1) or a revision of it.
    Response {
        /// 1 for the first response, then 2, 3, …
        revision: u32,
        /// The decision.
        decision: ResponseDecision,
        /// Its text as the public may read it on the day asked
        /// (`publication::public_text`): never the whole text before it is
        /// published.
        text: PublishedText,
        /// When the recipient plans to have it implemented.
        planned_completion_on: Option<NaiveDate>,
    },
    /// The overseer's decision on a request for more time to respond.
    ExtensionDecided {
        /// Whether it was granted.
        granted: bool,
        /// The due day asked for (the new due day, if granted).
        requested_due_on: NaiveDate,
        /// The overseer's comment.
        comment: Option<String>,
    },
    /// A claim that the recommendation is implemented.
    Claim {
        /// What the recipient says was done.
        summary: String,
    },
    /// The overseer's review.
    Review {
        /// Its outcome.
        outcome: ReviewOutcome,
        /// Its comment.
        comment: Option<String>,
    },
    /// The overseer withdrew the recommendation.
    Withdrawal {
        /// Why.
        reason: Option<String>,
    },
}

/// A published fact about one assignment, with when it happened and when it
/// was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEntry {
    /// The assignment it concerns.
    pub assignment_id: AssignmentId,
    /// When rectrack recorded it.
    pub recorded_at: DateTime<Utc>,
    /// When it happened, and on what authority if it was backfilled.
    pub occurred: Occurrence,
    /// What happened.
    pub fact: PublicFact,
}

impl PublicEntry {
    /// Whether it was entered after it happened (or only a bound of its day
    /// is known): shown with its source wherever it is shown.
    pub fn is_backfill(&self) -> bool {
        self.occurred.is_backfill(self.recorded_at.date_naive())
    }
}

/// Puts entries in the order they happened: by day, then (within a day, or
/// where days tie) by when they were recorded, which is the order of the
/// record on each assignment.
pub fn in_order_of_occurrence(entries: &mut [PublicEntry]) {
    entries.sort_by(|a, b| {
        (a.occurred.occurred_on, a.recorded_at).cmp(&(b.occurred.occurred_on, b.recorded_at))
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test

    use chrono::TimeZone;

    use super::*;
    use crate::occurrence::DatePrecision;

    fn entry(occurred_on: (i32, u32, u32), recorded: (i32, u32, u32)) -> PublicEntry {
        PublicEntry {
            assignment_id: AssignmentId::from_uuid(uuid::Uuid::nil()),
            recorded_at: Utc
                .with_ymd_and_hms(recorded.0, recorded.1, recorded.2, 12, 0, 0)
                .unwrap(),
            occurred: Occurrence {
                occurred_on: NaiveDate::from_ymd_opt(occurred_on.0, occurred_on.1, occurred_on.2)
                    .unwrap(),
                occurred_on_precision: DatePrecision::Exact,
                source: None,
            },
            fact: PublicFact::Claim {
                summary: "done".to_owned(),
            },
        }
    }

    #[test]
    fn a_fact_entered_after_its_day_is_a_backfill() {
        assert!(entry((2022, 4, 8), (2026, 11, 1)).is_backfill());
        assert!(!entry((2026, 11, 1), (2026, 11, 1)).is_backfill());
    }

    #[test]
    fn a_fact_known_only_by_a_bound_is_a_backfill_even_on_its_day() {
        let mut bound = entry((2026, 11, 1), (2026, 11, 1));
        bound.occurred.occurred_on_precision = DatePrecision::OnOrBefore;
        assert!(bound.is_backfill());
    }

    #[test]
    fn entries_are_ordered_by_the_day_they_happened_then_by_recording() {
        let late_backfill = entry((2022, 4, 8), (2026, 11, 2));
        let earlier = entry((2022, 4, 1), (2026, 11, 3));
        let same_day_first = entry((2022, 4, 8), (2026, 11, 1));
        let mut entries = vec![
            late_backfill.clone(),
            earlier.clone(),
            same_day_first.clone(),
        ];
        in_order_of_occurrence(&mut entries);
        assert_eq!(entries, vec![earlier, same_day_first, late_backfill]);
    }
}
