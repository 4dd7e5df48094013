//! Recommendations: what an oversight body asks one or more recipients to do.
//!
//! A recommendation is addressed to one or more organisations; each pairing is
//! tracked as an assignment (see [`crate::assignment`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::deadline;
use crate::ids::RecommendationId;
use crate::organisation::OrgCode;
use crate::text::{LongText, Slug, Title};
use crate::validation::{ValidationErrors, no_duplicates};

/// The power under which a recommendation is made; it sets the response window.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Police Reform Act 2002, Schedule 3, paragraph 28A: a written response
    /// is required within 56 days.
    #[default]
    #[serde(rename = "para_28a")]
    Para28a,
    /// A learning recommendation.
    Learning,
    /// Any other basis.
    Other,
}

impl LegalBasis {
    /// Every basis, in declaration order.
    pub const ALL: [Self; 3] = [Self::Para28a, Self::Learning, Self::Other];

    /// The wire name, e.g. `para_28a`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Para28a => "para_28a",
            Self::Learning => "learning",
            Self::Other => "other",
        }
    }
}

/// Most themes one recommendation may carry.
pub const MAX_THEMES: usize = 32;
/// Most recipients one recommendation may be addressed to.
pub const MAX_RECIPIENTS: usize = 500;

/// The validated content of a recommendation, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationContent {
    /// Its number in its report, from 1.
    pub number: u32,
    /// Short title.
    pub title: Title,
    /// Full text.
    pub body: LongText,
    /// Theme slugs, without repeats.
    pub themes: Vec<Slug>,
    /// Organisations it is addressed to: at least one, without repeats.
    pub recipients: Vec<OrgCode>,
    /// The day it was made.
    pub issued_on: NaiveDate,
    /// The day a response is due (never before `issued_on`).
    pub response_due_on: NaiveDate,
    /// The power it was made under.
    pub legal_basis: LegalBasis,
}

/// A recommendation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Its id.
    pub id: RecommendationId,
    /// Slug of the report that makes it.
    pub report: Slug,
    /// What it says and to whom.
    #[serde(flatten)]
    pub content: RecommendationContent,
    /// Whether the overseer has withdrawn it.
    pub withdrawn: bool,
}

/// A recommendation as a client describes it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationDraft {
    /// Proposed number (signed, so that a negative number is reported, not mangled).
    pub number: i64,
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// Theme slugs.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Recipient organisation codes.
    pub recipients: Vec<String>,
    /// The day it was made.
    pub issued_on: NaiveDate,
    /// The day a response is due; by default the legal basis's window after `issued_on`.
    #[serde(default)]
    pub response_due_on: Option<NaiveDate>,
    /// The power it is made under; `para_28a` by default.
    #[serde(default)]
    pub legal_basis: Option<LegalBasis>,
}

impl RecommendationDraft {
    /// Validates every field, reporting all that are invalid. That the
    /// recipients exist, and that the number is free in its report, is checked
    /// where those are known.
    pub fn parse(&self) -> Result<RecommendationContent, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let number = errors.check("number", parse_number(self.number));
        let title = errors.check("title", Title::parse(&self.title));
        let body = errors.check("body", LongText::parse(&self.body));
        let themes = errors.check("themes", parse_list(&self.themes, MAX_THEMES, Slug::parse));
        let recipients = errors.check("recipients", parse_recipients(&self.recipients));
        let legal_basis = self.legal_basis.unwrap_or_default();
        errors.check("issued_on", crate::time::check_day(self.issued_on));
        let response_due_on = self
            .response_due_on
            .unwrap_or_else(|| deadline::default_response_due_on(self.issued_on, legal_basis));
        if let Err(out_of_range) = crate::time::check_day(response_due_on) {
            errors.add(
                if self.response_due_on.is_some() {
                    "response_due_on"
                } else {
                    "issued_on"
                },
                if self.response_due_on.is_some() {
                    out_of_range
                } else {
                    format!(
                        "is too late: a response would be due on {response_due_on}, after the last day rectrack records ({})",
                        crate::time::LAST_DAY
                    )
                },
            );
        } else if response_due_on < self.issued_on {
            errors.add(
                "response_due_on",
                format!(
                    "must not be before the issue date {} (it is {response_due_on})",
                    self.issued_on
                ),
            );
        }
        match (number, title, body, themes, recipients) {
            (Some(number), Some(title), Some(body), Some(themes), Some(recipients))
                if errors.is_empty() =>
            {
                Ok(RecommendationContent {
                    number,
                    title,
                    body,
                    themes,
                    recipients,
                    issued_on: self.issued_on,
                    response_due_on,
                    legal_basis,
                })
            }
            _ => Err(errors),
        }
    }
}

fn parse_number(raw: i64) -> Result<u32, String> {
    match u32::try_from(raw) {
        Ok(number) if number >= 1 => Ok(number),
        _ => Err(format!(
            "must be a whole number from 1 to {} (it is {raw})",
            u32::MAX
        )),
    }
}

fn parse_recipients(raw: &[String]) -> Result<Vec<OrgCode>, String> {
    if raw.is_empty() {
        return Err("must name at least one organisation".to_owned());
    }
    parse_list(raw, MAX_RECIPIENTS, OrgCode::parse)
}

/// Parses each item, refusing lists that are too long or repeat an item; the
/// message names the first bad item by its position.
fn parse_list<T: PartialEq + std::fmt::Display>(
    raw: &[String],
    max: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    if raw.len() > max {
        return Err(format!(
            "must hold at most {max} items (it holds {})",
            raw.len()
        ));
    }
    let items = raw
        .iter()
        .enumerate()
        .map(|(i, item)| parse(item).map_err(|message| format!("item {i}: {message}")))
        .collect::<Result<Vec<T>, String>>()?;
    no_duplicates(&items)?;
    Ok(items)
}
