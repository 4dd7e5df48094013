//! When a fact happened, beside when rectrack recorded it.
//!
//! Every fact a person reports (a response, an extension request or decision,
//! a milestone's change, a progress update, a claim, a review, a withdrawal)
//! happened on a day, its `occurred_on`. A fact reported as it happens
//! occurred on the day it is recorded. An oversight body that brings its
//! earlier record into rectrack records facts that happened before: a
//! *backfill*, which only the overseer may record and which must cite its
//! source. Where only a bound is known ("the force had accepted by 8 April"),
//! the precision says so, and nothing is concluded that the bound does not
//! prove.
//!
//! Facts on one assignment happened in the order they are recorded: a fact
//! cannot have occurred before the recommendation was issued, nor before the
//! latest fact already recorded on the same assignment. So the order of the
//! record is also the order of events, and a state "as it happened" on a day
//! is the state after the last fact that had occurred by then.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::evidence::HttpUrl;
use crate::text::{LongText, optional_long_text};
use crate::validation::ValidationErrors;

/// How exactly a fact's day is known.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    /// It happened on that day.
    #[default]
    Exact,
    /// It happened on that day or earlier; how much earlier is not known.
    OnOrBefore,
}

impl DatePrecision {
    /// True for `on_or_before`.
    pub fn is_bound(self) -> bool {
        self == Self::OnOrBefore
    }
}

/// Where a backfilled fact is documented: a citation, a link, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The citation, e.g. "IOPC news release, 8 April 2022".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<LongText>,
    /// Where it can be read (http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<HttpUrl>,
}

/// A source as a client sends it, not yet validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDraft {
    /// The citation.
    #[serde(default)]
    pub text: Option<String>,
    /// The link.
    #[serde(default)]
    pub url: Option<String>,
}

/// When a fact happened, how exactly that is known, and on what authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The day it happened (or the latest day it can have happened, with
    /// `on_or_before`).
    pub occurred_on: NaiveDate,
    /// How exactly the day is known.
    #[serde(default)]
    pub occurred_on_precision: DatePrecision,
    /// Where it is documented; every backfill has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl Occurrence {
    /// A fact that happened on the day it was recorded, `recorded_on`.
    pub fn on(recorded_on: NaiveDate) -> Self {
        Self {
            occurred_on: recorded_on,
            occurred_on_precision: DatePrecision::Exact,
            source: None,
        }
    }

    /// Whether the fact was recorded after it happened, or is known only as
    /// a bound: a backfill, shown as such wherever the fact is.
    pub fn is_backfill(&self, recorded_on: NaiveDate) -> bool {
        self.occurred_on < recorded_on || self.occurred_on_precision.is_bound()
    }

    /// Whether only a bound of the day is known.
    pub fn is_bound(&self) -> bool {
        self.occurred_on_precision.is_bound()
    }
}

/// When a fact happened, as a client sends it; every field may be left out,
/// for a fact happening as it is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceDraft {
    /// The day it happened; the day of recording by default.
    #[serde(default)]
    pub occurred_on: Option<NaiveDate>,
    /// How exactly the day is known; `exact` by default.
    #[serde(default)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where it is documented; required for a backfill.
    #[serde(default)]
    pub source: Option<SourceDraft>,
    /// Entered from a record kept elsewhere (an import), by the overseer on
    /// the party's behalf, whatever its day. Never read from a request.
    #[serde(skip)]
    pub on_record: bool,
}

/// The earliest day a new fact on an assignment can have happened, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotBefore {
    /// The day.
    pub day: NaiveDate,
    /// What happened on it, for the refusal: e.g. "the recommendation was
    /// issued".
    pub because: &'static str,
}

impl OccurrenceDraft {
    /// A draft for a fact happening as it is recorded.
    pub fn now() -> Self {
        Self::default()
    }

    /// A draft for a fact that happened on `day`, as documented by `source`.
    pub fn backfill(day: NaiveDate, precision: DatePrecision, source: SourceDraft) -> Self {
        Self {
            occurred_on: Some(day),
            occurred_on_precision: Some(precision),
            source: Some(source),
            on_record: false,
        }
    }

    /// The same draft, entered from a record kept elsewhere.
    pub fn from_record(self) -> Self {
        Self {
            on_record: true,
            ..self
        }
    }

    /// Whether it is entered on a party's behalf, which only the overseer
    /// may do: a backfill, or any fact entered from a record.
    pub fn for_the_party(&self, today: NaiveDate) -> bool {
        self.on_record || self.is_backfill(today)
    }

    /// Whether recording this on `today` is a backfill: an earlier day, or a
    /// bound.
    pub fn is_backfill(&self, today: NaiveDate) -> bool {
        self.occurred_on.is_some_and(|day| day < today)
            || self
                .occurred_on_precision
                .is_some_and(DatePrecision::is_bound)
    }

    /// Refuses (422) a day later than `today`, for anyone: a fact is
    /// recorded on or after the day it happens. Checked before permissions,
    /// since it depends on nothing stored.
    pub fn check_not_later(&self, today: NaiveDate) -> Result<(), ValidationErrors> {
        match self.occurred_on {
            Some(day) if day > today => Err(ValidationErrors::single(
                "occurred_on",
                format!(
                    "must not be later than today ({today}): a fact is recorded on or after the day it happens"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Validates the draft, recorded on `today` after facts that happened on
    /// or after `not_before`. Refuses (422) a day outside rectrack's range,
    /// later than today, or before `not_before`; a backfill without a
    /// source; and a source with neither text nor link.
    pub fn parse(
        &self,
        today: NaiveDate,
        not_before: NotBefore,
    ) -> Result<Occurrence, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let occurred_on = self.occurred_on.unwrap_or(today);
        if let Err(out_of_range) = crate::time::check_day(occurred_on) {
            errors.add("occurred_on", out_of_range);
        } else if occurred_on > today {
            errors.add(
                "occurred_on",
                format!(
                    "must not be later than today ({today}): a fact is recorded on or after the day it happens"
                ),
            );
        } else if occurred_on < not_before.day {
            errors.add(
                "occurred_on",
                format!(
                    "must not be before {}, when {}: facts on an assignment are recorded in the order they happened",
                    not_before.day, not_before.because
                ),
            );
        }
        let source = match &self.source {
            None => None,
            Some(draft) => parse_source(draft, &mut errors),
        };
        let occurrence = Occurrence {
            occurred_on,
            occurred_on_precision: self.occurred_on_precision.unwrap_or_default(),
            source,
        };
        if occurrence.is_backfill(today) && occurrence.source.is_none() && self.source.is_none() {
            errors.add(
                "source",
                "is required for a fact that happened before today or is known only as on or before a day: cite where it is documented (text, an http(s) url, or both)",
            );
        }
        errors.into_result()?;
        Ok(occurrence)
    }
}

fn parse_source(draft: &SourceDraft, errors: &mut ValidationErrors) -> Option<Source> {
    let text = errors.check("source.text", optional_long_text(draft.text.as_deref()));
    let url = errors.check(
        "source.url",
        draft
            .url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
            .map(HttpUrl::parse)
            .transpose(),
    );
    match (text, url) {
        (Some(None), Some(None)) => {
            errors.add(
                "source",
                "must give a citation (text), a link (url), or both",
            );
            None
        }
        (Some(text), Some(url)) => Some(Source { text, url }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a day")
    }

    const ISSUED: NotBefore = NotBefore {
        day: match NaiveDate::from_ymd_opt(2022, 2, 1) {
            Some(day) => day,
            None => NaiveDate::MIN,
        },
        because: "the recommendation was issued",
    };

    fn release() -> SourceDraft {
        SourceDraft {
            text: Some("IOPC news release".to_owned()),
            url: Some("https://www.policeconduct.gov.uk/news".to_owned()),
        }
    }

    #[test]
    fn a_fact_reported_as_it_happens_occurred_today() {
        let today = day(2026, 11, 30);
        let occurrence = OccurrenceDraft::now().parse(today, ISSUED).expect("valid");
        assert_eq!(occurrence, Occurrence::on(today));
        assert!(!occurrence.is_backfill(today));
    }

    #[test]
    fn a_backfill_needs_a_source_and_a_lawful_day() {
        let today = day(2026, 11, 30);
        let draft = OccurrenceDraft {
            occurred_on: Some(day(2022, 4, 8)),
            ..OccurrenceDraft::default()
        };
        let Err(errors) = draft.parse(today, ISSUED) else {
            panic!("a backfill without a source must be refused");
        };
        assert_eq!(errors.errors()[0].field, "source");

        for (occurred_on, field) in [
            (day(2022, 1, 31), "occurred_on"),
            (day(2026, 12, 1), "occurred_on"),
        ] {
            let draft = OccurrenceDraft::backfill(occurred_on, DatePrecision::Exact, release());
            let Err(errors) = draft.parse(today, ISSUED) else {
                panic!("{occurred_on} must be refused");
            };
            assert_eq!(errors.errors()[0].field, field);
        }
        let bound =
            OccurrenceDraft::backfill(day(2022, 4, 8), DatePrecision::OnOrBefore, release())
                .parse(today, ISSUED)
                .expect("valid");
        assert!(bound.is_backfill(today) && bound.is_bound());
    }

    #[test]
    fn an_empty_source_is_refused() {
        let draft = OccurrenceDraft::backfill(
            day(2022, 4, 8),
            DatePrecision::Exact,
            SourceDraft {
                text: Some("  ".to_owned()),
                url: None,
            },
        );
        let Err(errors) = draft.parse(day(2026, 11, 30), ISSUED) else {
            panic!("an empty source must be refused");
        };
        assert_eq!(errors.errors()[0].field, "source");
    }

    #[test]
    fn a_bound_on_today_is_a_backfill_too() {
        let today = day(2026, 11, 30);
        let draft = OccurrenceDraft {
            occurred_on_precision: Some(DatePrecision::OnOrBefore),
            ..OccurrenceDraft::default()
        };
        assert!(draft.is_backfill(today));
    }
}
