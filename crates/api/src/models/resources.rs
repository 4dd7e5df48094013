//! Response bodies for the resources of the contract.

use chrono::NaiveDate;
use poem_openapi::Object;
use rectrack_core as domain;
use rectrack_store::assignments::AssignmentRecord;
use rectrack_store::progress::ClaimOutcome;
use rectrack_store::recommendations::RecommendationView;
use rectrack_store::reviews::ReviewOutcomeView;
use uuid::Uuid;

use crate::http::{Located, Shows, Versioned};
use crate::models::bodies::Source;
use crate::models::enums::{
    AssignmentStatus, DatePrecision, Decision, EvidenceKind, ExtensionStatus, LegalBasis,
    MilestoneStatus, OrganisationKind, PersonState, PublicationState, ResponseTiming,
    ReviewOutcome, Role,
};
use crate::types::{Date, Timestamp};

/// An organisation.
#[derive(Debug, Clone, Object)]
pub struct Organisation {
    /// Unique code.
    pub code: String,
    /// Full name.
    pub name: String,
    /// What kind of body it is.
    pub kind: OrganisationKind,
}

impl From<domain::organisation::Organisation> for Organisation {
    fn from(o: domain::organisation::Organisation) -> Self {
        Self {
            code: o.code.to_string(),
            name: o.name.to_string(),
            kind: o.kind.into(),
        }
    }
}

/// A report that makes recommendations.
#[derive(Debug, Clone, Object)]
pub struct Report {
    /// Unique slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// The oversight body that issued it.
    pub issued_by: String,
    /// Day of publication.
    pub published_on: Date,
    /// Where the public can read it.
    #[oai(nullable)]
    pub url: Option<String>,
    /// Summary.
    #[oai(nullable)]
    pub summary: Option<String>,
}

impl From<domain::report::Report> for Report {
    fn from(r: domain::report::Report) -> Self {
        Self {
            slug: r.slug.to_string(),
            title: r.title.to_string(),
            issued_by: r.issued_by.to_string(),
            published_on: r.published_on.into(),
            url: r.url.map(|u| u.to_string()),
            summary: r.summary.map(|s| s.to_string()),
        }
    }
}

/// When a fact happened, beside when it was recorded.
#[derive(Debug, Clone, Object)]
pub struct Occurred {
    /// The day it happened (with `on_or_before`, the latest day it can have
    /// happened).
    pub occurred_on: Date,
    /// How exactly that day is known.
    pub occurred_on_precision: DatePrecision,
    /// Where it is documented (every backfilled fact cites one).
    #[oai(nullable)]
    pub source: Option<Source>,
    /// Whether it was entered from the record after it happened (an earlier
    /// day, or a bound), by the overseer.
    pub backfilled: bool,
}

impl Occurred {
    /// `occurred`, of a fact recorded at `recorded_at`.
    pub fn of(
        occurred: &domain::occurrence::Occurrence,
        recorded_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            occurred_on: occurred.occurred_on.into(),
            occurred_on_precision: occurred.occurred_on_precision.into(),
            source: occurred.source.as_ref().map(|s| Source {
                text: s.text.as_ref().map(|t| crate::types::Text(t.to_string())),
                url: s.url.as_ref().map(|u| crate::types::Text(u.to_string())),
            }),
            backfilled: occurred.is_backfill(recorded_at.date_naive()),
        }
    }
}

/// A recipient's response.
#[derive(Debug, Clone, Object)]
pub struct ResponseDto {
    /// The decision.
    pub decision: Decision,
    /// Why, and what will be done: the whole text for the recipient that
    /// gave it and for oversight bodies; for everyone else, the text the
    /// public may read (`publication.published_text`), null while it is
    /// pending or withheld.
    #[oai(nullable)]
    pub rationale: Option<String>,
    /// Whether its text is public, and since when or until when.
    pub publication: PublicationDto,
    /// Planned completion day (none when not accepted).
    #[oai(nullable)]
    pub planned_completion_on: Option<Date>,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Who submitted it.
    pub submitted_by: String,
    /// When it happened, beside when it was recorded.
    #[oai(flatten)]
    pub occurred: Occurred,
}

/// A response whose text is not yet public and not yet decided on.
#[derive(Debug, Clone, Object)]
pub struct AwaitingPublication {
    /// Its assignment.
    pub assignment_id: Uuid,
    /// The recipient that gave it.
    pub organisation: String,
    /// The recommendation's report.
    pub report: String,
    /// The recommendation's number.
    pub number: u32,
    /// 1 for a first response, then 2, 3, … for revisions.
    pub revision: u32,
    /// Its decision.
    pub decision: Decision,
    /// The day it was given.
    pub given_on: Date,
    /// The day its text becomes public by itself unless withheld.
    pub publish_by: Date,
}

impl From<rectrack_store::publication::AwaitingPublication> for AwaitingPublication {
    fn from(a: rectrack_store::publication::AwaitingPublication) -> Self {
        Self {
            assignment_id: a.assignment_id.as_uuid(),
            organisation: a.organisation,
            report: a.report,
            number: a.number,
            revision: a.revision,
            decision: a.decision.into(),
            given_on: a.given_on.into(),
            publish_by: a.due_on.into(),
        }
    }
}

/// Whether a response's text is public.
#[derive(Debug, Clone, Object)]
pub struct PublicationDto {
    /// `pending`, `published`, `redacted` or `withheld`.
    pub state: PublicationState,
    /// The day its text becomes public by itself unless withheld: 21 days
    /// after the response was given.
    pub publish_by: Date,
    /// The day it became public (`published`, `redacted`), or was withheld.
    #[oai(nullable)]
    pub since: Option<Date>,
    /// The text the public reads: the whole (`published`) or the redacted
    /// text (`redacted`); null otherwise.
    #[oai(nullable)]
    pub published_text: Option<String>,
    /// Why it is withheld, or redacted.
    #[oai(nullable)]
    pub reason: Option<String>,
}

impl PublicationDto {
    /// What the public reads of `response` on `today`.
    pub fn of(response: &domain::response::Response, today: NaiveDate) -> Self {
        use domain::publication::PublicText;
        let text = response.public_text(today);
        let publish_by = domain::publication::due_on(response.occurred.occurred_on).into();
        let (state, since, reason) = match text {
            PublicText::Pending { .. } => (PublicationState::Pending, None, None),
            PublicText::Published { since, .. } => (PublicationState::Published, Some(since), None),
            PublicText::Redacted { reason, since, .. } => (
                PublicationState::Redacted,
                Some(since),
                Some(reason.to_owned()),
            ),
            PublicText::Withheld { reason, since } => (
                PublicationState::Withheld,
                Some(since),
                Some(reason.to_owned()),
            ),
        };
        Self {
            state,
            publish_by,
            since: since.map(Into::into),
            published_text: text.text().map(str::to_owned),
            reason,
        }
    }
}

impl Recommendation {
    /// The recommendation as `viewer` may read it (see
    /// [`Assignment::seen_by`]).
    pub fn seen_by(mut self, viewer: Option<&domain::role::Principal>) -> Self {
        self.assignments = self
            .assignments
            .into_iter()
            .map(|a| a.seen_by(viewer))
            .collect();
        self
    }
}

impl Assignment {
    /// The assignment as `viewer` may read it: a response's whole text only
    /// for the recipient that gave it and for oversight bodies, the
    /// published text for everyone else.
    pub fn seen_by(mut self, viewer: Option<&domain::role::Principal>) -> Self {
        let entitled = match viewer {
            Some(domain::role::Principal::Console) => true,
            // Core's rule of who sees an organisation's data whole.
            Some(principal) => principal.actor().is_some_and(|actor| {
                domain::organisation::OrgCode::parse(&self.organisation)
                    .is_ok_and(|code| actor.sees(&code))
            }),
            None => false,
        };
        if !entitled && let Some(response) = self.response.as_mut() {
            response.rationale = response.publication.published_text.clone();
        }
        self
    }
}

/// One recommendation as made to one recipient, with flags derived as of today.
#[derive(Debug, Clone, Object)]
pub struct Assignment {
    /// Its id.
    pub id: Uuid,
    /// The recommendation it tracks.
    pub recommendation_id: Uuid,
    /// The recipient's code.
    pub organisation: String,
    /// Where it stands.
    pub status: AssignmentStatus,
    /// The current response, if any.
    #[oai(nullable)]
    pub response: Option<ResponseDto>,
    /// Day the recommendation was issued.
    pub issued_on: Date,
    /// Day a response is due.
    pub response_due_on: Date,
    /// Day its first response occurred, if it has one.
    #[oai(nullable)]
    pub first_response_on: Option<Date>,
    /// How exactly that day is known.
    #[oai(nullable)]
    pub first_response_on_precision: Option<DatePrecision>,
    /// Whether the first response came on time, late, or at a time known
    /// too loosely to say (`unknown`); none before a response.
    #[oai(nullable)]
    pub response_timing: Option<ResponseTiming>,
    /// Day it reached a final status, if it has.
    #[oai(nullable)]
    pub closed_on: Option<Date>,
    /// Bumped on every change; send it back in `If-Match`.
    pub version: i64,
    /// Awaiting a response after its due day.
    pub response_overdue: bool,
    /// Open milestones past their due day.
    pub overdue_milestones: u32,
    /// Days since issue (until closed).
    pub days_open: i64,
}

impl Shows<AssignmentRecord> for Assignment {
    /// The assignment with its flags as of `today`.
    fn shows(record: &AssignmentRecord, today: NaiveDate) -> Self {
        let a = &record.assignment;
        let flags = record.flags(today);
        Self {
            id: a.id.as_uuid(),
            recommendation_id: a.recommendation_id.as_uuid(),
            organisation: a.organisation.to_string(),
            status: a.status.into(),
            response: a.response.as_ref().map(|r| ResponseDto {
                decision: r.content.decision.into(),
                rationale: Some(r.content.rationale.to_string()),
                publication: PublicationDto::of(r, today),
                planned_completion_on: r.content.planned_completion_on.map(Into::into),
                submitted_at: r.submitted_at.into(),
                submitted_by: r.submitted_by.to_string(),
                occurred: Occurred::of(&r.occurred, r.submitted_at),
            }),
            issued_on: a.issued_on.into(),
            response_due_on: a.response_due_on.into(),
            first_response_on: a.first_response_on.map(Into::into),
            first_response_on_precision: a.first_response_on.map(|_| {
                if a.first_response_bound {
                    DatePrecision::OnOrBefore
                } else {
                    DatePrecision::Exact
                }
            }),
            response_timing: flags.response_timing.map(Into::into),
            closed_on: a.closed_on.map(Into::into),
            version: a.version,
            response_overdue: flags.response_overdue,
            overdue_milestones: flags.overdue_milestones,
            days_open: flags.days_open,
        }
    }
}

/// A recommendation and its assignments.
#[derive(Debug, Clone, Object)]
pub struct Recommendation {
    /// Its id.
    pub id: Uuid,
    /// The report that makes it.
    pub report: String,
    /// Its number in the report.
    pub number: u32,
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// Theme slugs.
    pub themes: Vec<String>,
    /// Codes of its recipients.
    pub recipients: Vec<String>,
    /// Day it was made.
    pub issued_on: Date,
    /// Day a response was first due.
    pub response_due_on: Date,
    /// The power it is made under.
    pub legal_basis: LegalBasis,
    /// Whether it was withdrawn.
    pub withdrawn: bool,
    /// One per recipient.
    pub assignments: Vec<Assignment>,
}

impl Shows<RecommendationView> for Recommendation {
    /// The recommendation with its assignments' flags as of `today`.
    fn shows(view: &RecommendationView, today: NaiveDate) -> Self {
        let r = &view.recommendation;
        Self {
            id: r.id.as_uuid(),
            report: r.report.to_string(),
            number: r.content.number,
            title: r.content.title.to_string(),
            body: r.content.body.to_string(),
            themes: r.content.themes.iter().map(ToString::to_string).collect(),
            recipients: r
                .content
                .recipients
                .iter()
                .map(ToString::to_string)
                .collect(),
            issued_on: r.content.issued_on.into(),
            response_due_on: r.content.response_due_on.into(),
            legal_basis: r.content.legal_basis.into(),
            withdrawn: r.withdrawn,
            assignments: view
                .assignments
                .iter()
                .map(|a| Assignment::shows(a, today))
                .collect(),
        }
    }
}

/// A milestone.
#[derive(Debug, Clone, Object)]
pub struct Milestone {
    /// Its id.
    pub id: Uuid,
    /// The assignment it belongs to.
    pub assignment_id: Uuid,
    /// What is to be done.
    pub title: String,
    /// By when.
    pub due_on: Date,
    /// Where it stands.
    pub status: MilestoneStatus,
    /// Day it was done.
    #[oai(nullable)]
    pub completed_on: Option<Date>,
}

impl From<domain::milestone::Milestone> for Milestone {
    fn from(m: domain::milestone::Milestone) -> Self {
        Self {
            id: m.id.as_uuid(),
            assignment_id: m.assignment_id.as_uuid(),
            title: m.title.to_string(),
            due_on: m.due_on.into(),
            status: m.status.into(),
            completed_on: m.completed_on.map(Into::into),
        }
    }
}

/// An evidence item: a document, a link or a statement.
#[derive(Debug, Clone, Object)]
pub struct Evidence {
    /// Its id.
    pub id: Uuid,
    /// The assignment it supports.
    pub assignment_id: Uuid,
    /// Document, link or statement.
    pub kind: EvidenceKind,
    /// Title.
    pub title: String,
    /// Description.
    #[oai(nullable)]
    pub description: Option<String>,
    /// A document's file name.
    #[oai(nullable)]
    pub filename: Option<String>,
    /// A document's media type.
    #[oai(nullable)]
    pub media_type: Option<String>,
    /// A document's length in bytes.
    #[oai(nullable)]
    pub size_bytes: Option<u64>,
    /// A document's SHA-256.
    #[oai(nullable)]
    pub sha256: Option<String>,
    /// A link's address.
    #[oai(nullable)]
    pub url: Option<String>,
    /// A statement's text.
    #[oai(nullable)]
    pub text: Option<String>,
    /// When it was stored.
    pub submitted_at: Timestamp,
    /// Who stored it.
    pub submitted_by: String,
}

impl From<domain::evidence::Evidence> for Evidence {
    fn from(e: domain::evidence::Evidence) -> Self {
        let mut dto = Self {
            id: e.id.as_uuid(),
            assignment_id: e.assignment_id.as_uuid(),
            kind: e.content.kind().into(),
            title: e.title.to_string(),
            description: e.description.map(|d| d.to_string()),
            filename: None,
            media_type: None,
            size_bytes: None,
            sha256: None,
            url: None,
            text: None,
            submitted_at: e.submitted_at.into(),
            submitted_by: e.submitted_by.to_string(),
        };
        match e.content {
            domain::evidence::EvidenceContent::Document {
                filename,
                media_type,
                size_bytes,
                sha256,
            } => {
                dto.filename = Some(filename.to_string());
                dto.media_type = Some(media_type.to_string());
                dto.size_bytes = Some(size_bytes);
                dto.sha256 = Some(sha256.to_string());
            }
            domain::evidence::EvidenceContent::Link { url } => dto.url = Some(url.to_string()),
            domain::evidence::EvidenceContent::Statement { text } => {
                dto.text = Some(text.to_string())
            }
        }
        dto
    }
}

/// A progress update.
#[derive(Debug, Clone, Object)]
pub struct ProgressUpdate {
    /// Its id.
    pub id: Uuid,
    /// The assignment it reports on.
    pub assignment_id: Uuid,
    /// What happened.
    pub narrative: String,
    /// Milestones it concerns.
    pub milestone_ids: Vec<Uuid>,
    /// Evidence it cites.
    pub evidence_ids: Vec<Uuid>,
    /// When.
    pub submitted_at: Timestamp,
    /// Who posted it.
    pub submitted_by: String,
    /// When it happened, beside when it was recorded.
    #[oai(flatten)]
    pub occurred: Occurred,
}

impl From<domain::progress::ProgressUpdate> for ProgressUpdate {
    fn from(u: domain::progress::ProgressUpdate) -> Self {
        Self {
            id: u.id.as_uuid(),
            assignment_id: u.assignment_id.as_uuid(),
            narrative: u.narrative.to_string(),
            milestone_ids: u.milestone_ids.iter().map(|m| m.as_uuid()).collect(),
            evidence_ids: u.evidence_ids.iter().map(|e| e.as_uuid()).collect(),
            occurred: Occurred::of(&u.occurred, u.submitted_at),
            submitted_at: u.submitted_at.into(),
            submitted_by: u.submitted_by.to_string(),
        }
    }
}

/// A claim of implementation.
#[derive(Debug, Clone, Object)]
pub struct Claim {
    /// Its id.
    pub id: Uuid,
    /// What was done.
    pub summary: String,
    /// The evidence it cites.
    pub evidence_ids: Vec<Uuid>,
    /// When.
    pub submitted_at: Timestamp,
    /// Who claimed.
    pub submitted_by: String,
    /// When it happened, beside when it was recorded.
    #[oai(flatten)]
    pub occurred: Occurred,
}

/// A claim and the assignment after it.
#[derive(Debug, Clone, Object)]
pub struct ClaimResult {
    /// The claim.
    pub claim: Claim,
    /// The assignment, now `implementation_claimed`.
    pub assignment: Assignment,
}

impl Shows<ClaimOutcome> for ClaimResult {
    /// The claim and the assignment's flags as of `today`.
    fn shows(outcome: &ClaimOutcome, today: NaiveDate) -> Self {
        let claim = &outcome.claim;
        Self {
            claim: Claim {
                id: claim.id.as_uuid(),
                summary: claim.summary.to_string(),
                evidence_ids: claim.evidence_ids.iter().map(|e| e.as_uuid()).collect(),
                submitted_at: claim.submitted_at.into(),
                submitted_by: claim.submitted_by.to_string(),
                occurred: Occurred::of(&claim.occurred, claim.submitted_at),
            },
            assignment: Assignment::shows(&outcome.assignment, today),
        }
    }
}

/// A review by the overseer.
#[derive(Debug, Clone, Object)]
pub struct Review {
    /// Its id.
    pub id: Uuid,
    /// The conclusion.
    pub outcome: ReviewOutcome,
    /// Why.
    #[oai(nullable)]
    pub comment: Option<String>,
    /// The oversight body that reviewed.
    pub reviewer: String,
    /// When.
    pub at: Timestamp,
    /// When it happened, beside when it was recorded.
    #[oai(flatten)]
    pub occurred: Occurred,
}

impl From<domain::review::Review> for Review {
    fn from(r: domain::review::Review) -> Self {
        Self {
            id: r.id.as_uuid(),
            outcome: r.outcome.into(),
            comment: r.comment.map(|c| c.to_string()),
            reviewer: r.reviewer.to_string(),
            occurred: Occurred::of(&r.occurred, r.at),
            at: r.at.into(),
        }
    }
}

/// A review and the assignment after it.
#[derive(Debug, Clone, Object)]
pub struct ReviewResult {
    /// The review.
    pub review: Review,
    /// The assignment after it.
    pub assignment: Assignment,
}

impl Shows<ReviewOutcomeView> for ReviewResult {
    /// The review and the assignment's flags as of `today`.
    fn shows(outcome: &ReviewOutcomeView, today: NaiveDate) -> Self {
        Self {
            review: outcome.review.clone().into(),
            assignment: Assignment::shows(&outcome.assignment, today),
        }
    }
}

/// An extension request.
#[derive(Debug, Clone, Object)]
pub struct ExtensionRequest {
    /// Its id.
    pub id: Uuid,
    /// The assignment it concerns.
    pub assignment_id: Uuid,
    /// The day asked for.
    pub requested_due_on: Date,
    /// Why.
    pub reason: String,
    /// Pending, granted or refused.
    pub status: ExtensionStatus,
    /// When it was asked.
    pub requested_at: Timestamp,
    /// Who asked.
    pub requested_by: String,
    /// The overseer's comment.
    #[oai(nullable)]
    pub decision_comment: Option<String>,
    /// When it was decided.
    #[oai(nullable)]
    pub decided_at: Option<Timestamp>,
    /// When it was asked, beside when it was recorded.
    #[oai(flatten)]
    pub occurred: Occurred,
    /// When it was decided, beside when that was recorded.
    #[oai(nullable)]
    pub decision_occurred: Option<Occurred>,
}

impl From<domain::deadline::ExtensionRequest> for ExtensionRequest {
    fn from(r: domain::deadline::ExtensionRequest) -> Self {
        Self {
            id: r.id.as_uuid(),
            assignment_id: r.assignment_id.as_uuid(),
            requested_due_on: r.requested_due_on.into(),
            reason: r.reason.to_string(),
            status: r.status.into(),
            requested_at: r.requested_at.into(),
            requested_by: r.requested_by.to_string(),
            decision_comment: r.decision_comment.map(|c| c.to_string()),
            occurred: Occurred::of(&r.occurred, r.requested_at),
            decision_occurred: r
                .decision_occurred
                .as_ref()
                .zip(r.decided_at)
                .map(|(o, at)| Occurred::of(o, at)),
            decided_at: r.decided_at.map(Into::into),
        }
    }
}

/// A token, without its secret.
#[derive(Debug, Clone, Object)]
pub struct Token {
    /// Its id.
    pub id: Uuid,
    /// The organisation it acts for.
    pub organisation: String,
    /// What it may do.
    pub role: Role,
    /// Its label.
    #[oai(nullable)]
    pub label: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked.
    #[oai(nullable)]
    pub revoked_at: Option<Timestamp>,
    /// When it was last used (to the minute).
    #[oai(nullable)]
    pub last_used_at: Option<Timestamp>,
}

impl From<rectrack_store::tokens::TokenRecord> for Token {
    fn from(t: rectrack_store::tokens::TokenRecord) -> Self {
        Self {
            id: t.id.as_uuid(),
            organisation: t.organisation.to_string(),
            role: t.role.into(),
            label: t.label.map(|l| l.to_string()),
            created_at: t.created_at.into(),
            revoked_at: t.revoked_at.map(Into::into),
            last_used_at: t.last_used_at.map(Into::into),
        }
    }
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, Object)]
pub struct CreatedToken {
    /// Its id.
    pub id: Uuid,
    /// The token: `rtk_` and 43 base64url characters. Keep it secret.
    pub token: String,
    /// The organisation it acts for.
    pub organisation: String,
    /// What it may do.
    pub role: Role,
    /// Its label.
    #[oai(nullable)]
    pub label: Option<String>,
}

/// A person's account, without any secret.
#[derive(Debug, Clone, Object)]
pub struct Person {
    /// Its id.
    pub id: Uuid,
    /// The organisation the person acts for.
    pub organisation: String,
    /// What the person may do.
    pub role: Role,
    /// The address the person signs in with.
    pub email: String,
    /// The person's name.
    pub name: String,
    /// Where the account stands.
    pub state: PersonState,
    /// Whether a second factor (TOTP) is set up.
    pub two_factor: bool,
    /// When the person was invited.
    pub created_at: Timestamp,
}

impl From<rectrack_core::person::Person> for Person {
    fn from(p: rectrack_core::person::Person) -> Self {
        Self {
            id: p.id.as_uuid(),
            organisation: p.organisation.to_string(),
            role: p.role.into(),
            email: p.email.to_string(),
            name: p.name.to_string(),
            state: p.state.into(),
            two_factor: p.two_factor,
            created_at: p.created_at.into(),
        }
    }
}

/// An invitation just made or sent again: the only time its link is shown.
#[derive(Debug, Clone, Object)]
pub struct PersonInvitation {
    /// The account, `invited`.
    pub person: Person,
    /// The one-time link on which the person sets a password. Give it to
    /// them privately: whoever holds it can take the account.
    pub invitation_url: String,
    /// When the link stops working (seven days on).
    pub invitation_expires_at: Timestamp,
}

/// Whether the service is up.
#[derive(Debug, Clone, Object)]
pub struct Health {
    /// `ok` once the database answers.
    pub status: String,
}

/// Declares a page type: items and the cursor to the next page.
macro_rules! page {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Object)]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last.
            #[oai(nullable)]
            pub next_cursor: Option<String>,
        }
    };
}

page!(OrganisationPage, Organisation, "A page of organisations.");
page!(ReportPage, Report, "A page of reports.");
page!(
    RecommendationPage,
    Recommendation,
    "A page of recommendations."
);
page!(AssignmentPage, Assignment, "A page of assignments.");
page!(
    AwaitingPublicationPage,
    AwaitingPublication,
    "A page of responses whose text awaits publication."
);
page!(TokenPage, Token, "A page of tokens.");
page!(PersonPage, Person, "A page of people.");
page!(MilestoneList, Milestone, "An assignment's milestones.");
page!(EvidenceList, Evidence, "An assignment's evidence.");
page!(
    UpdateList,
    ProgressUpdate,
    "An assignment's progress updates."
);

impl Versioned for Assignment {
    fn version(&self) -> i64 {
        self.version
    }
}

impl Versioned for ClaimResult {
    fn version(&self) -> i64 {
        self.assignment.version
    }
}

impl Versioned for ReviewResult {
    fn version(&self) -> i64 {
        self.assignment.version
    }
}

impl Located for Organisation {
    fn location(&self) -> String {
        format!("/v1/organisations/{}", self.code)
    }
}

impl Located for Report {
    fn location(&self) -> String {
        format!("/v1/reports/{}", self.slug)
    }
}

impl Located for Recommendation {
    fn location(&self) -> String {
        format!("/v1/recommendations/{}", self.id)
    }
}

impl Located for ExtensionRequest {
    fn location(&self) -> String {
        format!(
            "/v1/assignments/{}/extension-requests/{}",
            self.assignment_id, self.id
        )
    }
}

impl Located for Milestone {
    fn location(&self) -> String {
        format!(
            "/v1/assignments/{}/milestones/{}",
            self.assignment_id, self.id
        )
    }
}

impl Located for Evidence {
    fn location(&self) -> String {
        format!("/v1/evidence/{}", self.id)
    }
}

impl Located for ProgressUpdate {
    fn location(&self) -> String {
        format!("/v1/assignments/{}/updates/{}", self.assignment_id, self.id)
    }
}
