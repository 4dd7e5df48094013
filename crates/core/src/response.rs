//! A recipient's response to a recommendation: whether it accepts it, why, and
//! by when it plans to have implemented it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::assignment::AssignmentStatus;
use crate::occurrence::Occurrence;
use crate::organisation::OrgCode;
use crate::publication::Publication;
use crate::text::LongText;
use crate::time::utc_micros;
use crate::validation::ValidationErrors;

/// The recipient's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseDecision {
    /// It accepts the recommendation.
    Accepted,
    /// It accepts part of the recommendation.
    PartiallyAccepted,
    /// It does not accept the recommendation.
    NotAccepted,
}

impl ResponseDecision {
    /// Every decision, in declaration order.
    pub const ALL: [Self; 3] = [Self::Accepted, Self::PartiallyAccepted, Self::NotAccepted];

    /// The assignment status this decision leads to.
    pub fn status(self) -> AssignmentStatus {
        match self {
            Self::Accepted => AssignmentStatus::Accepted,
            Self::PartiallyAccepted => AssignmentStatus::PartiallyAccepted,
            Self::NotAccepted => AssignmentStatus::NotAccepted,
        }
    }

    /// True for `accepted` and `partially_accepted`.
    pub fn accepts(self) -> bool {
        self != Self::NotAccepted
    }

    /// The wire name, e.g. `partially_accepted`.
    pub fn as_str(self) -> &'static str {
        self.status().as_str()
    }
}

/// The validated content of a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseContent {
    /// Accepted, partially accepted or not accepted.
    pub decision: ResponseDecision,
    /// Why, and what the recipient will do.
    pub rationale: LongText,
    /// When it plans to have implemented it (none when not accepted).
    pub planned_completion_on: Option<NaiveDate>,
}

/// A response as stored: each revision is a new one, the old stay in history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// What was answered.
    #[serde(flatten)]
    pub content: ResponseContent,
    /// When it was submitted.
    #[serde(with = "utc_micros")]
    pub submitted_at: DateTime<Utc>,
    /// The organisation that submitted it.
    pub submitted_by: OrgCode,
    /// When it was given: `submitted_at`'s day, unless backfilled.
    #[serde(flatten)]
    pub occurred: Occurrence,
    /// The overseer's decision on publishing its text, if any
    /// (`publication`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
}

/// A response as a client sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseDraft {
    /// The decision.
    pub decision: ResponseDecision,
    /// Why.
    pub rationale: String,
    /// Planned completion day; required unless not accepted.
    #[serde(default)]
    pub planned_completion_on: Option<NaiveDate>,
}

impl ResponseDraft {
    /// Validates every field against the recommendation's issue date,
    /// reporting all that are invalid. A `backfill` (a response of the past,
    /// entered from the record) may leave out the planned completion day,
    /// which the record may not state.
    pub fn parse(
        &self,
        issued_on: NaiveDate,
        backfill: bool,
    ) -> Result<ResponseContent, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let rationale = errors.check("rationale", LongText::parse(&self.rationale));
        match (self.decision, self.planned_completion_on) {
            (ResponseDecision::NotAccepted, Some(_)) => errors.add(
                "planned_completion_on",
                "must be left out when the recommendation is not accepted",
            ),
            (ResponseDecision::NotAccepted, None) => {}
            (_, None) if backfill => {}
            (_, None) => errors.add(
                "planned_completion_on",
                "is required when the recommendation is accepted or partially accepted",
            ),
            (_, Some(planned)) => {
                if let Err(out_of_range) = crate::time::check_day(planned) {
                    errors.add("planned_completion_on", out_of_range);
                } else if planned < issued_on {
                    errors.add(
                        "planned_completion_on",
                        format!("must not be before the recommendation was issued ({issued_on})"),
                    );
                }
            }
        }
        match rationale {
            Some(rationale) if errors.is_empty() => Ok(ResponseContent {
                decision: self.decision,
                rationale,
                planned_completion_on: self.planned_completion_on,
            }),
            _ => Err(errors),
        }
    }
}
