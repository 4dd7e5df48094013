//! Data sets: organisations, reports, recommendations and the responses on
//! record, in one JSON file, validated by the same parsers as API input. The
//! Operation Hotton data set ships inside the crate
//! (`data/operation-hotton.json`) for demos and tests.
//!
//! A response on record is a backfill: it happened before the data set is
//! loaded, on a day (or by a day) its source gives, and is entered by the
//! console as the oversight body would enter it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::occurrence::OccurrenceDraft;
use crate::organisation::{OrgCode, Organisation, OrganisationDraft, OrganisationKind};
use crate::recommendation::{RecommendationContent, RecommendationDraft};
use crate::report::{Report, ReportDraft};
use crate::response::ResponseDraft;
use crate::text::Slug;
use crate::validation::ValidationErrors;

/// The Operation Hotton data set: the IOPC, the MPS, the report and its 15
/// recommendations, in rectrack's own words.
pub const OPERATION_HOTTON_JSON: &str = include_str!("../data/operation-hotton.json");

/// A validated data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Every organisation, in file order.
    pub organisations: Vec<Organisation>,
    /// Every report with its recommendations, in file order.
    pub reports: Vec<DatasetReport>,
    /// The responses on record, in file order.
    pub responses: Vec<DatasetResponse>,
}

/// A response on record: one organisation's response, the same to each of
/// some recommendations of one report, as the record gives it.
// (Unknown fields cannot be refused here: serde does not combine that with
// `flatten`.)
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DatasetResponse {
    /// The report whose recommendations it answers.
    pub report: Slug,
    /// The numbers of the recommendations it answers.
    pub numbers: Vec<u32>,
    /// The organisation that responded.
    pub organisation: OrgCode,
    /// The response.
    #[serde(flatten)]
    pub response: ResponseDraft,
    /// When it was given, and on what authority.
    #[serde(flatten)]
    pub occurred: OccurrenceDraft,
}

/// A report of a data set and the recommendations it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetReport {
    /// The report.
    pub report: Report,
    /// Its recommendations, in file order.
    pub recommendations: Vec<RecommendationContent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    organisations: Vec<OrganisationDraft>,
    reports: Vec<RawReport>,
    #[serde(default)]
    responses: Vec<DatasetResponse>,
}

#[derive(Deserialize)]
struct RawReport {
    #[serde(flatten)]
    report: ReportDraft,
    recommendations: Vec<RecommendationDraft>,
}

impl Dataset {
    /// The Operation Hotton data set, validated.
    pub fn operation_hotton() -> Result<Self, ValidationErrors> {
        Self::from_json(OPERATION_HOTTON_JSON)
    }

    /// Parses and validates a data set, reporting every invalid field by its
    /// path (`reports[0].recommendations[3].title`). Beyond each item's own
    /// rules: codes, slugs and numbers are unique; reports are issued by an
    /// oversight body of the set; recipients are organisations of the set
    /// that are not oversight bodies.
    pub fn from_json(json: &str) -> Result<Self, ValidationErrors> {
        let raw: RawDataset = serde_json::from_str(json)
            .map_err(|e| ValidationErrors::single("", format!("is not a valid data set: {e}")))?;
        let mut errors = ValidationErrors::new();
        let mut kinds: BTreeMap<OrgCode, OrganisationKind> = BTreeMap::new();
        let mut organisations = Vec::new();
        for (i, draft) in raw.organisations.iter().enumerate() {
            match draft.parse() {
                Ok(organisation) => {
                    if kinds
                        .insert(organisation.code.clone(), organisation.kind)
                        .is_some()
                    {
                        errors.add(format!("organisations[{i}].code"), "is used twice");
                    }
                    organisations.push(organisation);
                }
                Err(nested) => errors.absorb(&format!("organisations[{i}]"), nested),
            }
        }
        let mut slugs = BTreeSet::new();
        let mut reports = Vec::new();
        for (i, raw_report) in raw.reports.iter().enumerate() {
            let path = format!("reports[{i}]");
            let report = match raw_report.report.parse() {
                Ok(report) => report,
                Err(nested) => {
                    errors.absorb(&path, nested);
                    continue;
                }
            };
            if !slugs.insert(report.slug.clone()) {
                errors.add(format!("{path}.slug"), "is used twice");
            }
            if !kinds
                .get(&report.issued_by)
                .is_some_and(|k| k.issues_reports())
            {
                errors.add(
                    format!("{path}.issued_by"),
                    "must be an oversight body of this data set",
                );
            }
            let mut numbers = BTreeSet::new();
            let mut recommendations = Vec::new();
            for (j, draft) in raw_report.recommendations.iter().enumerate() {
                let rec_path = format!("{path}.recommendations[{j}]");
                match draft.parse() {
                    Ok(content) => {
                        if !numbers.insert(content.number) {
                            errors
                                .add(format!("{rec_path}.number"), "is used twice in this report");
                        }
                        for code in &content.recipients {
                            match kinds.get(code) {
                                None => errors.add(
                                    format!("{rec_path}.recipients"),
                                    format!("`{code}` is not an organisation of this data set"),
                                ),
                                Some(kind) if !kind.receives_recommendations() => errors.add(
                                    format!("{rec_path}.recipients"),
                                    format!("`{code}` is an oversight body, not a recipient"),
                                ),
                                Some(_) => {}
                            }
                        }
                        recommendations.push(content);
                    }
                    Err(nested) => errors.absorb(&rec_path, nested),
                }
            }
            reports.push(DatasetReport {
                report,
                recommendations,
            });
        }
        for (i, on_record) in raw.responses.iter().enumerate() {
            let path = format!("responses[{i}]");
            let Some(report) = reports.iter().find(|r| r.report.slug == on_record.report) else {
                errors.add(format!("{path}.report"), "is not a report of this data set");
                continue;
            };
            if on_record.numbers.is_empty() {
                errors.add(
                    format!("{path}.numbers"),
                    "must name at least one recommendation",
                );
            }
            for number in &on_record.numbers {
                match report.recommendations.iter().find(|r| r.number == *number) {
                    None => errors.add(
                        format!("{path}.numbers"),
                        format!("{number} is not a recommendation of this report"),
                    ),
                    Some(recommendation) => {
                        if !recommendation.recipients.contains(&on_record.organisation) {
                            errors.add(
                                format!("{path}.organisation"),
                                format!("is not a recipient of recommendation {number}"),
                            );
                        }
                        if let Err(nested) =
                            on_record.response.parse(recommendation.issued_on, true)
                        {
                            errors.absorb(&path, nested);
                        }
                    }
                }
            }
            // What the record says happened is a backfill, and cites its source.
            if on_record.occurred.occurred_on.is_none() || on_record.occurred.source.is_none() {
                errors.add(
                    format!("{path}.occurred_on"),
                    "a response on record needs the day it was given (occurred_on) and its source",
                );
            }
        }
        errors.into_result()?;
        Ok(Self {
            organisations,
            reports,
            responses: raw.responses,
        })
    }
}
