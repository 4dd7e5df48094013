//! Request bodies. Shapes and types are checked by poem-openapi; content is
//! checked by core, which reports every invalid field at once.

use poem_openapi::Object;
use rectrack_core as domain;
use uuid::Uuid;

use crate::models::enums::{
    DatePrecision, Decision, LegalBasis, MilestoneStatus, OrganisationKind, ReviewOutcome, Role,
};
use crate::types::{Date, Text};

/// A new organisation.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Unique code: 2 to 64 of `a-z`, `0-9`, `-` (e.g. `mps`).
    pub code: Text,
    /// Full name.
    pub name: Text,
    /// What kind of body it is.
    pub kind: OrganisationKind,
}

impl From<NewOrganisation> for domain::organisation::OrganisationDraft {
    fn from(body: NewOrganisation) -> Self {
        Self {
            code: body.code.0,
            name: body.name.0,
            kind: body.kind.into(),
        }
    }
}

/// A new report.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewReport {
    /// Unique slug (e.g. `operation-hotton`).
    pub slug: Text,
    /// Title, at most 200 characters.
    pub title: Text,
    /// Code of the oversight body that issued it.
    pub issued_by: Text,
    /// Day of publication.
    pub published_on: Date,
    /// Where the public can read it (http or https).
    #[oai(nullable)]
    pub url: Option<Text>,
    /// Summary, at most 20,000 characters.
    #[oai(nullable)]
    pub summary: Option<Text>,
}

impl From<NewReport> for domain::report::ReportDraft {
    fn from(body: NewReport) -> Self {
        Self {
            slug: body.slug.0,
            title: body.title.0,
            issued_by: body.issued_by.0,
            published_on: body.published_on.0,
            url: body.url.map(String::from),
            summary: body.summary.map(String::from),
        }
    }
}

/// A new recommendation; one assignment is made per recipient.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewRecommendation {
    /// Its number in the report, from 1.
    pub number: i64,
    /// Title, at most 200 characters.
    pub title: Text,
    /// Full text, at most 20,000 characters.
    pub body: Text,
    /// Theme slugs.
    #[oai(default, nullable)]
    pub themes: Vec<Text>,
    /// Codes of the organisations it is made to.
    pub recipients: Vec<Text>,
    /// Day it was made.
    pub issued_on: Date,
    /// Day a response is due; 56 days after issue by default.
    #[oai(nullable)]
    pub response_due_on: Option<Date>,
    /// The power it is made under; `para_28a` by default.
    #[oai(nullable)]
    pub legal_basis: Option<LegalBasis>,
}

impl From<NewRecommendation> for domain::recommendation::RecommendationDraft {
    fn from(body: NewRecommendation) -> Self {
        Self {
            number: body.number,
            title: body.title.0,
            body: body.body.0,
            themes: body
                .themes
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>(),
            recipients: body
                .recipients
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>(),
            issued_on: body.issued_on.0,
            response_due_on: body.response_due_on.map(|d| d.0),
            legal_basis: body.legal_basis.map(Into::into),
        }
    }
}

/// Why a recommendation is withdrawn.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct Withdrawal {
    /// The reason, recorded in the audit chain.
    pub reason: Text,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

/// A response to a recommendation.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ResponseBody {
    /// Accepted, partially accepted or not accepted.
    pub decision: Decision,
    /// Why, and what will be done.
    pub rationale: Text,
    /// Planned completion day; required unless not accepted.
    #[oai(nullable)]
    pub planned_completion_on: Option<Date>,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

impl From<ResponseBody> for domain::response::ResponseDraft {
    fn from(body: ResponseBody) -> Self {
        Self {
            decision: body.decision.into(),
            rationale: body.rationale.0,
            planned_completion_on: body.planned_completion_on.map(|d| d.0),
        }
    }
}

/// A new milestone.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewMilestone {
    /// What is to be done.
    pub title: Text,
    /// By when.
    pub due_on: Date,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

/// A change to a milestone: any of its fields.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct MilestonePatch {
    /// A new title.
    #[oai(nullable)]
    pub title: Option<Text>,
    /// A new due day.
    #[oai(nullable)]
    pub due_on: Option<Date>,
    /// A new status.
    #[oai(nullable)]
    pub status: Option<MilestoneStatus>,
    /// The day it was done (with `status: done`; today by default).
    #[oai(nullable)]
    pub completed_on: Option<Date>,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

impl From<MilestonePatch> for domain::milestone::MilestoneChange {
    fn from(body: MilestonePatch) -> Self {
        Self {
            title: body.title.map(String::from),
            due_on: body.due_on.map(|d| d.0),
            status: body.status.map(Into::into),
            completed_on: body.completed_on.map(|d| d.0),
        }
    }
}

/// A link or a statement offered as evidence (documents are uploaded as
/// `multipart/form-data`).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct EvidenceJson {
    /// `link` or `statement`.
    pub kind: Text,
    /// Title.
    pub title: Text,
    /// Optional description.
    #[oai(nullable)]
    pub description: Option<Text>,
    /// For a link: where it points (http or https).
    #[oai(nullable)]
    pub url: Option<Text>,
    /// For a statement: what it says.
    #[oai(nullable)]
    pub text: Option<Text>,
}

/// A progress update.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewUpdate {
    /// What happened.
    pub narrative: Text,
    /// Milestones it concerns.
    #[oai(default, nullable)]
    pub milestone_ids: Vec<Uuid>,
    /// Evidence it cites.
    #[oai(default, nullable)]
    pub evidence_ids: Vec<Uuid>,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

impl From<NewUpdate> for domain::progress::UpdateDraft {
    fn from(body: NewUpdate) -> Self {
        Self {
            narrative: body.narrative.0,
            milestone_ids: body.milestone_ids.into_iter().map(Into::into).collect(),
            evidence_ids: body.evidence_ids.into_iter().map(Into::into).collect(),
        }
    }
}

/// A claim of implementation.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewClaim {
    /// What was done.
    pub summary: Text,
    /// The evidence it cites: at least one item of this assignment.
    #[oai(default, nullable)]
    pub evidence_ids: Vec<Uuid>,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

impl From<NewClaim> for domain::review::ClaimDraft {
    fn from(body: NewClaim) -> Self {
        Self {
            summary: body.summary.0,
            evidence_ids: body.evidence_ids.into_iter().map(Into::into).collect(),
        }
    }
}

/// A request for a later response due day.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewExtensionRequest {
    /// The day asked for.
    pub requested_due_on: Date,
    /// Why.
    pub reason: Text,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

/// The overseer's decision on an extension request.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ExtensionDecisionBody {
    /// Whether it is granted.
    pub granted: bool,
    /// Why; required when refusing.
    #[oai(nullable)]
    pub comment: Option<Text>,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

/// The overseer's review.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewReview {
    /// The conclusion.
    pub outcome: ReviewOutcome,
    /// Why; required unless verified.
    #[oai(nullable)]
    pub comment: Option<Text>,
    /// The day it happened, when that was before today: a backfill, which
    /// only the overseer records and which must cite a `source`. Today by
    /// default; never later than today, nor before the latest fact already
    /// recorded on the assignment.
    #[oai(nullable)]
    pub occurred_on: Option<Date>,
    /// `exact` (the default) or `on_or_before`, when only the latest day it
    /// can have happened is known (also a backfill).
    #[oai(nullable)]
    pub occurred_on_precision: Option<DatePrecision>,
    /// Where a backfilled fact is documented.
    #[oai(nullable)]
    pub source: Option<Source>,
}

/// A new token.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewToken {
    /// The organisation it acts for.
    pub organisation: Text,
    /// What it may do.
    pub role: Role,
    /// A label to recognise it by.
    #[oai(nullable)]
    pub label: Option<Text>,
}

/// An invitation to a person.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewPerson {
    /// The organisation the person will act for.
    pub organisation: Text,
    /// What the person may do (as for tokens: overseers only in oversight
    /// bodies, recipients never).
    pub role: Role,
    /// The address the person will sign in with; one account per address.
    pub email: Text,
    /// The person's name, as the record will show it.
    pub name: Text,
}

impl From<Withdrawal> for domain::review::WithdrawalDraft {
    fn from(b: Withdrawal) -> Self {
        Self { reason: b.reason.0 }
    }
}

impl From<NewMilestone> for domain::milestone::MilestoneDraft {
    fn from(b: NewMilestone) -> Self {
        Self {
            title: b.title.0,
            due_on: b.due_on.0,
        }
    }
}

impl From<NewExtensionRequest> for domain::deadline::ExtensionDraft {
    fn from(b: NewExtensionRequest) -> Self {
        Self {
            requested_due_on: b.requested_due_on.0,
            reason: b.reason.0,
        }
    }
}

impl From<ExtensionDecisionBody> for domain::deadline::ExtensionDecisionDraft {
    fn from(b: ExtensionDecisionBody) -> Self {
        Self {
            granted: b.granted,
            comment: b.comment.map(String::from),
        }
    }
}

impl From<NewReview> for domain::review::ReviewDraft {
    fn from(b: NewReview) -> Self {
        Self {
            outcome: b.outcome.into(),
            comment: b.comment.map(String::from),
        }
    }
}

/// Where a fact is documented: a citation, a link, or both.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct Source {
    /// The citation, e.g. "IOPC news release, 8 April 2022".
    #[oai(nullable)]
    pub text: Option<Text>,
    /// Where it can be read (http or https).
    #[oai(nullable)]
    pub url: Option<Text>,
}

/// A body that reports a fact, and so says when it happened.
pub trait Dated {
    /// When the fact happened, as the client says.
    fn occurred(&self) -> domain::occurrence::OccurrenceDraft;
}

macro_rules! dated {
    ($($body:ty),* $(,)?) => {
        $(impl Dated for $body {
            fn occurred(&self) -> domain::occurrence::OccurrenceDraft {
                domain::occurrence::OccurrenceDraft {
                    occurred_on: self.occurred_on.as_ref().map(|d| d.0),
                    occurred_on_precision: self.occurred_on_precision.map(Into::into),
                    source: self.source.as_ref().map(|s| domain::occurrence::SourceDraft {
                        text: s.text.as_ref().map(|t| t.0.clone()),
                        url: s.url.as_ref().map(|u| u.0.clone()),
                    }),
                    on_record: false,
                }
            }
        })*
    };
}

dated!(
    Withdrawal,
    ResponseBody,
    NewMilestone,
    MilestonePatch,
    NewUpdate,
    NewClaim,
    NewExtensionRequest,
    ExtensionDecisionBody,
    NewReview,
);

/// Converts a dated body into its core draft and when it happened, for the
/// store command that takes both.
macro_rules! dated_draft {
    ($($body:ty => $draft:ty),* $(,)?) => {
        $(impl From<$body> for ($draft, domain::occurrence::OccurrenceDraft) {
            fn from(body: $body) -> Self {
                let occurred = body.occurred();
                (body.into(), occurred)
            }
        })*
    };
}

dated_draft!(
    Withdrawal => domain::review::WithdrawalDraft,
    ResponseBody => domain::response::ResponseDraft,
    NewMilestone => domain::milestone::MilestoneDraft,
    MilestonePatch => domain::milestone::MilestoneChange,
    NewUpdate => domain::progress::UpdateDraft,
    NewClaim => domain::review::ClaimDraft,
    NewExtensionRequest => domain::deadline::ExtensionDraft,
    ExtensionDecisionBody => domain::deadline::ExtensionDecisionDraft,
    NewReview => domain::review::ReviewDraft,
);

/// The overseer's decision on publishing the current response's text.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct PublicationBody {
    /// `publish`, `publish_redacted` or `withhold`.
    pub action: crate::models::PublicationAction,
    /// The redacted text to publish (`publish_redacted` only).
    #[oai(nullable)]
    pub text: Option<Text>,
    /// Why the text, or part of it, is held back (`publish_redacted` and
    /// `withhold`); shown to the public.
    #[oai(nullable)]
    pub reason: Option<Text>,
}

impl From<PublicationBody> for rectrack_core::publication::PublicationDraft {
    fn from(body: PublicationBody) -> Self {
        Self {
            action: body.action.into(),
            text: body.text.map(|t| t.0),
            reason: body.reason.map(|t| t.0),
        }
    }
}
