//! When a response's text becomes public.
//!
//! The IOPC publishes a recipient's response, normally within 21 days of
//! receiving it, and may need to hold part of it back (personal data, a
//! live investigation). So a response's decision, and the assignment's
//! status, are public at once; its text is public when the overseer
//! publishes it, or by itself 21 days after the response was given, unless
//! the overseer withholds it with a reason. Having withheld it, the
//! overseer may publish a redacted text instead (or, later, the whole).
//! The overseer's latest decision stands; there is no decision before it
//! takes effect, and none is needed for the text to become public on the
//! 21st day.
//!
//! The recipient that gave the response and oversight bodies always read
//! its text; this module says what everyone else reads.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::response::Response;
use crate::text::LongText;
use crate::time::utc_micros;
use crate::validation::ValidationErrors;

/// Days after a response is given by which its text is public.
pub const PUBLICATION_DAYS: u64 = 21;

/// What the overseer decides about a response's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationAction {
    /// Publish the whole text now.
    Publish,
    /// Publish a redacted text instead of the whole, saying why.
    PublishRedacted,
    /// Publish no text, saying why.
    Withhold,
}

impl PublicationAction {
    /// Every action.
    pub const ALL: [Self; 3] = [Self::Publish, Self::PublishRedacted, Self::Withhold];

    /// The wire name, e.g. `publish_redacted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "publish",
            Self::PublishRedacted => "publish_redacted",
            Self::Withhold => "withhold",
        }
    }
}

/// A decision as the overseer sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationDraft {
    /// What to do.
    pub action: PublicationAction,
    /// The redacted text (`publish_redacted` only).
    #[serde(default)]
    pub text: Option<String>,
    /// Why the text, or part of it, is held back (`publish_redacted` and
    /// `withhold`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A validated decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PublicationDecision {
    /// The whole text is public.
    Publish,
    /// This text is public instead of the whole.
    PublishRedacted {
        /// The text made public.
        text: LongText,
        /// Why part of the response is held back.
        reason: LongText,
    },
    /// No text is public.
    Withhold {
        /// Why.
        reason: LongText,
    },
}

impl PublicationDraft {
    /// Validates the draft: a redacted publication needs its text and its
    /// reason, a withholding its reason, a publication neither.
    pub fn parse(&self) -> Result<PublicationDecision, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let required =
            |field: &str, value: &Option<String>, errors: &mut ValidationErrors| match value {
                Some(value) => errors.check(field, LongText::parse(value)),
                None => {
                    errors.add(
                        field,
                        format!("is required to {}", self.action.as_str().replace('_', " ")),
                    );
                    None
                }
            };
        let absent = |field: &str, value: &Option<String>, errors: &mut ValidationErrors| {
            if value.is_some() {
                errors.add(
                    field,
                    format!(
                        "must be left out to {}",
                        self.action.as_str().replace('_', " ")
                    ),
                );
            }
        };
        let decision = match self.action {
            PublicationAction::Publish => {
                absent("text", &self.text, &mut errors);
                absent("reason", &self.reason, &mut errors);
                Some(PublicationDecision::Publish)
            }
            PublicationAction::PublishRedacted => {
                let text = required("text", &self.text, &mut errors);
                let reason = required("reason", &self.reason, &mut errors);
                text.zip(reason)
                    .map(|(text, reason)| PublicationDecision::PublishRedacted { text, reason })
            }
            PublicationAction::Withhold => {
                absent("text", &self.text, &mut errors);
                required("reason", &self.reason, &mut errors)
                    .map(|reason| PublicationDecision::Withhold { reason })
            }
        };
        errors.into_result()?;
        decision.ok_or_else(|| ValidationErrors::single("action", "could not be read"))
    }
}

/// The overseer's decision on a response's text, and when it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// What was decided.
    #[serde(flatten)]
    pub decision: PublicationDecision,
    /// The day it was decided: a published text is public from then.
    pub decided_on: NaiveDate,
    /// When it was recorded.
    #[serde(with = "utc_micros")]
    pub decided_at: DateTime<Utc>,
}

/// What the public may read of a response's text on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicText<'a> {
    /// Not yet public: the overseer has until `due_on` to decide.
    Pending {
        /// The day it becomes public unless withheld.
        due_on: NaiveDate,
    },
    /// The whole text, public since `since`.
    Published {
        /// The text.
        text: &'a str,
        /// The day it became public.
        since: NaiveDate,
        /// Whether it became public by itself, 21 days after it was given.
        by_itself: bool,
    },
    /// A redacted text, public since `since`, and why part is held back.
    Redacted {
        /// The redacted text.
        text: &'a str,
        /// Why.
        reason: &'a str,
        /// The day it became public.
        since: NaiveDate,
    },
    /// No text is public, and why.
    Withheld {
        /// Why.
        reason: &'a str,
        /// The day it was withheld.
        since: NaiveDate,
    },
}

impl PublicText<'_> {
    /// The state's wire name: `pending`, `published`, `redacted` or
    /// `withheld`.
    pub fn state(&self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Published { .. } => "published",
            Self::Redacted { .. } => "redacted",
            Self::Withheld { .. } => "withheld",
        }
    }

    /// The text the public reads, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Published { text, .. } | Self::Redacted { text, .. } => Some(text),
            Self::Pending { .. } | Self::Withheld { .. } => None,
        }
    }
}

/// [`PublicText`] holding its own strings, for what outlives the response
/// it was read from (a page's published history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedText {
    /// Not yet public; public by itself on `due_on` unless withheld.
    Pending {
        /// The day it becomes public unless withheld.
        due_on: NaiveDate,
    },
    /// The whole text.
    Published {
        /// The text.
        text: String,
        /// The day it became public.
        since: NaiveDate,
        /// Whether it became public by itself.
        by_itself: bool,
    },
    /// A redacted text, and why part is held back.
    Redacted {
        /// The redacted text.
        text: String,
        /// Why.
        reason: String,
        /// The day it became public.
        since: NaiveDate,
    },
    /// No text, and why.
    Withheld {
        /// Why.
        reason: String,
        /// The day it was withheld.
        since: NaiveDate,
    },
}

impl From<PublicText<'_>> for PublishedText {
    fn from(text: PublicText<'_>) -> Self {
        match text {
            PublicText::Pending { due_on } => Self::Pending { due_on },
            PublicText::Published {
                text,
                since,
                by_itself,
            } => Self::Published {
                text: text.to_owned(),
                since,
                by_itself,
            },
            PublicText::Redacted {
                text,
                reason,
                since,
            } => Self::Redacted {
                text: text.to_owned(),
                reason: reason.to_owned(),
                since,
            },
            PublicText::Withheld { reason, since } => Self::Withheld {
                reason: reason.to_owned(),
                since,
            },
        }
    }
}

impl PublishedText {
    /// The text the public reads, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Published { text, .. } | Self::Redacted { text, .. } => Some(text),
            Self::Pending { .. } | Self::Withheld { .. } => None,
        }
    }
}

/// The day a response given on `given_on` becomes public by itself.
pub fn due_on(given_on: NaiveDate) -> NaiveDate {
    given_on
        .checked_add_days(Days::new(PUBLICATION_DAYS))
        .unwrap_or(NaiveDate::MAX)
}

/// What the public reads of a response whose text is `text`, given on
/// `given_on`, under the overseer's `publication` (if any), on `today`.
pub fn public_text<'a>(
    text: &'a str,
    given_on: NaiveDate,
    publication: Option<&'a Publication>,
    today: NaiveDate,
) -> PublicText<'a> {
    match publication.map(|p| (&p.decision, p.decided_on)) {
        Some((PublicationDecision::Publish, since)) => PublicText::Published {
            text,
            since,
            by_itself: false,
        },
        Some((PublicationDecision::PublishRedacted { text, reason }, since)) => {
            PublicText::Redacted {
                text: text.as_str(),
                reason: reason.as_str(),
                since,
            }
        }
        Some((PublicationDecision::Withhold { reason }, since)) => PublicText::Withheld {
            reason: reason.as_str(),
            since,
        },
        None => {
            let due_on = due_on(given_on);
            if today >= due_on {
                PublicText::Published {
                    text,
                    since: due_on,
                    by_itself: true,
                }
            } else {
                PublicText::Pending { due_on }
            }
        }
    }
}

impl Response {
    /// What the public reads of this response's text on `today`.
    pub fn public_text(&self, today: NaiveDate) -> PublicText<'_> {
        public_text(
            self.content.rationale.as_str(),
            self.occurred.occurred_on,
            self.publication.as_ref(),
            today,
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn decided(decision: PublicationDecision, on: NaiveDate) -> Publication {
        Publication {
            decision,
            decided_on: on,
            decided_at: on.and_hms_opt(12, 0, 0).unwrap().and_utc(),
        }
    }

    fn draft(
        action: PublicationAction,
        text: Option<&str>,
        reason: Option<&str>,
    ) -> PublicationDraft {
        PublicationDraft {
            action,
            text: text.map(str::to_owned),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn a_text_is_public_by_itself_on_the_twenty_first_day_after_it_was_given() {
        let given = day(2022, 4, 8);
        assert_eq!(due_on(given), day(2022, 4, 29));
        assert_eq!(
            public_text("We accept.", given, None, day(2022, 4, 28)),
            PublicText::Pending {
                due_on: day(2022, 4, 29)
            }
        );
        assert_eq!(
            public_text("We accept.", given, None, day(2022, 4, 29)),
            PublicText::Published {
                text: "We accept.",
                since: day(2022, 4, 29),
                by_itself: true
            }
        );
    }

    #[test]
    fn the_overseer_may_publish_early_redact_or_withhold() {
        let given = day(2022, 4, 8);
        let early = decided(PublicationDecision::Publish, day(2022, 4, 10));
        assert_eq!(
            public_text("All of it.", given, Some(&early), day(2022, 4, 10)).text(),
            Some("All of it.")
        );
        let redacted = decided(
            PublicationDecision::PublishRedacted {
                text: LongText::parse("Part of it.").unwrap(),
                reason: LongText::parse("Personal data.").unwrap(),
            },
            day(2022, 4, 12),
        );
        let shown = public_text("All of it.", given, Some(&redacted), day(2023, 1, 1));
        assert_eq!(shown.text(), Some("Part of it."));
        assert_eq!(shown.state(), "redacted");
        let withheld = decided(
            PublicationDecision::Withhold {
                reason: LongText::parse("A live investigation.").unwrap(),
            },
            day(2022, 4, 12),
        );
        // Withheld stays withheld past the 21 days.
        let shown = public_text("All of it.", given, Some(&withheld), day(2030, 1, 1));
        assert_eq!(shown.text(), None);
        assert_eq!(
            shown,
            PublicText::Withheld {
                reason: "A live investigation.",
                since: day(2022, 4, 12)
            }
        );
    }

    #[test]
    fn each_action_takes_exactly_the_fields_it_needs() {
        use PublicationAction::*;
        assert_eq!(
            draft(Publish, None, None).parse().unwrap(),
            PublicationDecision::Publish
        );
        assert!(draft(Publish, Some("x"), None).parse().is_err());
        assert!(draft(Publish, None, Some("why")).parse().is_err());
        assert!(
            draft(PublishRedacted, Some("Part."), Some("Why."))
                .parse()
                .is_ok()
        );
        let missing = draft(PublishRedacted, None, None).parse().unwrap_err();
        let fields: Vec<_> = missing.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["text", "reason"]);
        assert!(draft(Withhold, None, Some("Why.")).parse().is_ok());
        assert!(draft(Withhold, None, None).parse().is_err());
        assert!(draft(Withhold, Some("x"), Some("Why.")).parse().is_err());
        assert!(
            draft(Withhold, None, Some("   ")).parse().is_err(),
            "a blank reason is no reason"
        );
    }

    #[test]
    fn a_decision_is_stored_as_it_reads() {
        let publication = decided(
            PublicationDecision::Withhold {
                reason: LongText::parse("Personal data.").unwrap(),
            },
            day(2022, 4, 12),
        );
        let json = serde_json::to_value(&publication).unwrap();
        assert_eq!(json["action"], "withhold");
        assert_eq!(json["reason"], "Personal data.");
        assert_eq!(json["decided_on"], "2022-04-12");
        let back: Publication = serde_json::from_value(json).unwrap();
        assert_eq!(back, publication);
    }
}
