//! The status report as JSON.
//!
//! These types also derive `Serialize`, giving the same JSON as their OpenAPI
//! form (a test compares the two) without building a `serde_json::Value` tree
//! first: a report over 100k assignments is written straight to bytes.

use poem_openapi::Object;
use rectrack_core::assignment::AssignmentStatus as CoreStatus;
use rectrack_core::status_report;
use serde::Serialize;

use crate::models::enums::{AssignmentStatus, Basis};
use crate::types::Date;

/// How many assignments stand in each status; every status is present.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ByStatus {
    /// Awaiting a response.
    pub awaiting_response: u64,
    /// Accepted.
    pub accepted: u64,
    /// Partially accepted.
    pub partially_accepted: u64,
    /// Not accepted.
    pub not_accepted: u64,
    /// In progress.
    pub in_progress: u64,
    /// Implementation claimed.
    pub implementation_claimed: u64,
    /// Verified.
    pub verified: u64,
    /// Closed as not implemented.
    pub closed_not_implemented: u64,
    /// Withdrawn.
    pub withdrawn: u64,
}

/// The figures of a set of assignments.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Figures {
    /// How many assignments.
    pub assignments: u64,
    /// How many in each status.
    pub by_status: ByStatus,
    /// How many await a response past their due day.
    pub response_overdue: u64,
    /// How many first responses came on or before their due day.
    pub responses_on_time: u64,
    /// How many first responses came after their due day.
    pub responses_late: u64,
    /// How many are counted neither as overdue or late nor as on time,
    /// because their day is known only as on or before a day that cannot
    /// prove either (left out of `response_overdue` and `responses_late`).
    pub response_timing_unknown: u64,
    /// Open milestones past their due day.
    pub overdue_milestones: u64,
    /// Of assignments with a response, the share accepting it (fully or in part).
    #[oai(nullable)]
    pub accepted_rate: Option<f64>,
    /// Of assignments not withdrawn, the share verified.
    #[oai(nullable)]
    pub verified_rate: Option<f64>,
    /// Median days from issue to the first response (of those whose day is
    /// known exactly).
    #[oai(nullable)]
    pub median_days_to_response: Option<f64>,
    /// First responses left out of the median: their day is known only as
    /// on or before a day.
    pub days_to_response_unknown: u64,
    /// Median days from issue to verification (of those whose day is known
    /// exactly).
    #[oai(nullable)]
    pub median_days_to_verification: Option<f64>,
    /// Verifications left out of the median: their day is known only as on
    /// or before a day.
    pub days_to_verification_unknown: u64,
}

impl From<&status_report::Figures> for Figures {
    fn from(f: &status_report::Figures) -> Self {
        let n = |s: CoreStatus| f.by_status.get(&s).copied().unwrap_or(0);
        Self {
            assignments: f.assignments,
            by_status: ByStatus {
                awaiting_response: n(CoreStatus::AwaitingResponse),
                accepted: n(CoreStatus::Accepted),
                partially_accepted: n(CoreStatus::PartiallyAccepted),
                not_accepted: n(CoreStatus::NotAccepted),
                in_progress: n(CoreStatus::InProgress),
                implementation_claimed: n(CoreStatus::ImplementationClaimed),
                verified: n(CoreStatus::Verified),
                closed_not_implemented: n(CoreStatus::ClosedNotImplemented),
                withdrawn: n(CoreStatus::Withdrawn),
            },
            response_overdue: f.response_overdue,
            responses_on_time: f.responses_on_time,
            responses_late: f.responses_late,
            response_timing_unknown: f.response_timing_unknown,
            overdue_milestones: f.overdue_milestones,
            accepted_rate: f.accepted_rate,
            verified_rate: f.verified_rate,
            median_days_to_response: f.median_days_to_response,
            days_to_response_unknown: f.days_to_response_unknown,
            median_days_to_verification: f.median_days_to_verification,
            days_to_verification_unknown: f.days_to_verification_unknown,
        }
    }
}

/// One organisation's figures.
#[derive(Debug, Clone, Object, Serialize)]
pub struct OrganisationFigures {
    /// The recipient.
    pub organisation: String,
    /// Its figures.
    #[oai(flatten)]
    #[serde(flatten)]
    pub figures: Figures,
}

/// A recipient's status on one recommendation.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RecipientStatus {
    /// The recipient.
    pub organisation: String,
    /// Where its assignment stands.
    pub status: AssignmentStatus,
}

/// One recommendation and each recipient's status.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RecommendationLine {
    /// The report.
    pub report: String,
    /// Its number.
    pub number: u32,
    /// Its title.
    pub title: String,
    /// Each recipient's status.
    pub recipients: Vec<RecipientStatus>,
}

/// What a report covers.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ReportFilters {
    /// Only this report.
    #[oai(nullable)]
    pub report: Option<String>,
    /// Only this recipient.
    #[oai(nullable)]
    pub organisation: Option<String>,
    /// Only this theme.
    #[oai(nullable)]
    pub theme: Option<String>,
}

/// A status report.
#[derive(Debug, Clone, Object, Serialize)]
pub struct StatusReport {
    /// The day whose end it describes.
    pub as_of: Date,
    /// Which facts it counts: those recorded by the end of `as_of`, or those
    /// that had occurred by then.
    pub basis: Basis,
    /// What it covers.
    pub filters: ReportFilters,
    /// Figures over every covered assignment.
    pub totals: Figures,
    /// The same per recipient.
    pub by_organisation: Vec<OrganisationFigures>,
    /// Every covered recommendation.
    pub recommendations: Vec<RecommendationLine>,
}

/// By value: the report's text moves into the JSON form instead of being
/// copied, so a large report is not held twice while it is written.
impl From<status_report::StatusReport> for StatusReport {
    fn from(r: status_report::StatusReport) -> Self {
        Self {
            as_of: r.as_of.into(),
            basis: r.basis.into(),
            filters: ReportFilters {
                report: r.filters.report.map(String::from),
                organisation: r.filters.organisation.map(String::from),
                theme: r.filters.theme.map(String::from),
            },
            totals: (&r.totals).into(),
            by_organisation: r
                .by_organisation
                .into_iter()
                .map(|o| OrganisationFigures {
                    figures: (&o.figures).into(),
                    organisation: o.organisation.into(),
                })
                .collect(),
            recommendations: r
                .recommendations
                .into_iter()
                .map(|l| RecommendationLine {
                    report: l.report.into(),
                    number: l.number,
                    title: l.title.into(),
                    recipients: l
                        .recipients
                        .into_iter()
                        .map(|s| RecipientStatus {
                            organisation: s.organisation.into(),
                            status: s.status.into(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use poem_openapi::types::ToJSON;
    use rectrack_core::organisation::OrgCode;
    use rectrack_core::response::ResponseDecision;
    use rectrack_core::text::{Slug, Title};

    fn snapshot(
        n: u32,
        organisation: &str,
        status: CoreStatus,
    ) -> status_report::AssignmentSnapshot {
        let day = |d: u32| NaiveDate::from_ymd_opt(2022, 3, d).unwrap();
        let responded = status != CoreStatus::AwaitingResponse;
        status_report::AssignmentSnapshot {
            assignment_id: uuid::Uuid::from_u128(u128::from(n)).into(),
            report: Slug::parse("operation-hotton").unwrap(),
            number: n,
            title: Title::parse(&format!("Recommendation \"{n}\" — ünïcode")).unwrap(),
            themes: vec![],
            organisation: OrgCode::parse(organisation).unwrap(),
            issued_on: day(1),
            response_due_on: day(29),
            status,
            decision: responded.then_some(ResponseDecision::Accepted),
            first_response_on: responded.then(|| day(20)),
            verified_on: (status == CoreStatus::Verified).then(|| day(28)),
            closed_on: (status == CoreStatus::Verified).then(|| day(28)),
            milestones: vec![],
            first_response_bound: false,
            verified_bound: false,
            uncertain: false,
        }
    }

    #[test]
    fn serde_writes_the_same_json_as_the_openapi_form() {
        let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        let snapshots = vec![
            snapshot(1, "mps", CoreStatus::AwaitingResponse),
            snapshot(1, "college-of-policing", CoreStatus::Verified),
            snapshot(2, "mps", CoreStatus::InProgress),
        ];
        let filters = status_report::ReportFilters {
            organisation: Some(OrgCode::parse("mps").unwrap()),
            ..status_report::ReportFilters::default()
        };
        for filters in [status_report::ReportFilters::default(), filters] {
            let report = status_report::status_report(
                snapshots.clone(),
                &filters,
                as_of,
                status_report::Basis::Recorded,
            );
            let model = StatusReport::from(report);
            assert_eq!(
                serde_json::to_value(&model).unwrap(),
                model.to_json().unwrap()
            );
        }
        // With no assignment the rates and medians are absent: null in both.
        let model = StatusReport::from(status_report::status_report(
            vec![],
            &status_report::ReportFilters::default(),
            as_of,
            status_report::Basis::Recorded,
        ));
        assert_eq!(
            serde_json::to_value(&model).unwrap(),
            model.to_json().unwrap()
        );
    }

    /// The JSON status report clients read, reviewed like code: every field
    /// name, every status present even at 0, rates to 4 decimals, medians.
    #[test]
    fn the_json_status_report_is_the_documented_shape() {
        let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        let report = status_report::status_report(
            vec![
                snapshot(1, "mps", CoreStatus::AwaitingResponse),
                snapshot(1, "college-of-policing", CoreStatus::Verified),
                snapshot(2, "mps", CoreStatus::InProgress),
            ],
            &status_report::ReportFilters::default(),
            as_of,
            status_report::Basis::Recorded,
        );
        let json = serde_json::to_string_pretty(&StatusReport::from(report)).unwrap();
        insta::assert_snapshot!(json);
    }
}
