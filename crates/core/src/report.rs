//! Reports: the documents in which an oversight body makes recommendations.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::evidence::HttpUrl;
use crate::organisation::OrgCode;
use crate::text::{LongText, Slug, Title, optional_long_text};
use crate::validation::ValidationErrors;

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Its unique slug, e.g. `operation-hotton`.
    pub slug: Slug,
    /// Its title.
    pub title: Title,
    /// The oversight body that issued it.
    pub issued_by: OrgCode,
    /// The day it was published.
    pub published_on: NaiveDate,
    /// Where the public can read it.
    pub url: Option<HttpUrl>,
    /// A summary in rectrack's words.
    pub summary: Option<LongText>,
}

/// A report as a client describes it, not yet validated.
///
/// That `issued_by` names an existing oversight body is checked where
/// organisations are known (the store, the data set loader), not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDraft {
    /// Proposed slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Code of the issuing oversight body.
    pub issued_by: String,
    /// Publication day.
    pub published_on: NaiveDate,
    /// Optional public address (http or https).
    #[serde(default)]
    pub url: Option<String>,
    /// Optional summary.
    #[serde(default)]
    pub summary: Option<String>,
}

impl ReportDraft {
    /// Validates every field, reporting all that are invalid.
    pub fn parse(&self) -> Result<Report, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let slug = errors.check("slug", Slug::parse(&self.slug));
        let title = errors.check("title", Title::parse(&self.title));
        let issued_by = errors.check("issued_by", OrgCode::parse(&self.issued_by));
        let url = errors.check("url", self.url.as_deref().map(HttpUrl::parse).transpose());
        let summary = errors.check("summary", optional_long_text(self.summary.as_deref()));
        errors.check("published_on", crate::time::check_day(self.published_on));
        match (slug, title, issued_by, url, summary) {
            (Some(slug), Some(title), Some(issued_by), Some(url), Some(summary))
                if errors.is_empty() =>
            {
                Ok(Report {
                    slug,
                    title,
                    issued_by,
                    published_on: self.published_on,
                    url,
                    summary,
                })
            }
            _ => Err(errors),
        }
    }
}
