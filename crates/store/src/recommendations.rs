//! Recommendations: creating one makes one assignment per recipient;
//! withdrawing one closes every open assignment of it.

use std::collections::HashMap;

use rectrack_core::assignment::{Assignment, AssignmentStatus};
use rectrack_core::audit::Action;
use rectrack_core::ids::{AssignmentId, RecommendationId};
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::recommendation::{Recommendation, RecommendationContent, RecommendationDraft};
use rectrack_core::review::{WithdrawalDraft, withdraw};
use rectrack_core::text::{LongText, Slug, Title};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::assignments::{AssignmentRecord, Held, new_row, records, summary};
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{from_wire, micros, wire};
use crate::entities::{assignments, recommendation_themes, recommendations};
use crate::error::{Error, Result, stored};
use crate::organisations::kinds_of;
use crate::page::{Page, PageRequest};
use crate::reports;
use crate::write::{Ctx, Tx, Written};

/// A recommendation with its assignments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendationView {
    /// The recommendation.
    pub recommendation: Recommendation,
    /// One assignment per recipient, by organisation code.
    pub assignments: Vec<AssignmentRecord>,
}

/// Filters of the recommendation list; absent ones match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecommendationFilter {
    /// Only this report's.
    pub report: Option<String>,
    /// Only those addressed to this organisation.
    pub recipient: Option<String>,
    /// Only those with an assignment in this status.
    pub status: Option<AssignmentStatus>,
    /// Only those with this theme.
    pub theme: Option<String>,
}

impl Store {
    /// Creates a recommendation in report `slug` and one assignment per
    /// recipient, awaiting its response.
    pub async fn create_recommendation(
        &self,
        ctx: &Ctx<'_, RecommendationView>,
        slug: &str,
        draft: &RecommendationDraft,
    ) -> Result<Written<RecommendationView>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("create_recommendation")?;
            let report = reports::find(tx.db().await?, slug)
                .await?
                .ok_or_else(|| Error::not_found("report", slug))?;
            let content = draft.parse()?;
            let codes: Vec<&str> = content.recipients.iter().map(|c| c.as_str()).collect();
            let kinds = kinds_of(tx.db().await?, &codes).await?;
            for code in &content.recipients {
                match kinds.get(code.as_str()) {
                    None => {
                        return Err(Error::invalid(
                            "recipients",
                            format!("no organisation has the code `{code}`"),
                        ));
                    }
                    Some(kind) if !kind.receives_recommendations() => {
                        return Err(Error::invalid(
                            "recipients",
                            format!("`{code}` is an oversight body, not a recipient"),
                        ));
                    }
                    Some(_) => {}
                }
            }
            let taken = recommendations::Entity::find()
                .filter(recommendations::Column::ReportSlug.eq(slug))
                .filter(recommendations::Column::Number.eq(number(content.number)))
                .one(tx.db().await?)
                .await?;
            if taken.is_some() {
                return Err(Error::Conflict(format!(
                    "report `{slug}` already has a recommendation number {}",
                    content.number
                )));
            }
            let recommendation = Recommendation {
                id: RecommendationId::from_uuid(Uuid::new_v4()),
                report: report.slug.clone(),
                content,
                withdrawn: false,
            };
            insert_recommendation(tx, &recommendation, micros(tx.now))?;
            let mut assignments = Vec::new();
            for organisation in &recommendation.content.recipients {
                let assignment = Assignment::new(
                    AssignmentId::from_uuid(Uuid::new_v4()),
                    recommendation.id,
                    organisation.clone(),
                    recommendation.content.issued_on,
                    recommendation.content.response_due_on,
                );
                tx.insert(new_row(&assignment, tx.now))?;
                // A new assignment has no milestones yet.
                assignments.push(AssignmentRecord {
                    assignment,
                    milestones: Vec::new(),
                });
            }
            let summaries: Vec<_> = assignments.iter().map(|a| summary(&a.assignment)).collect();
            let event = EventDraft {
                action: Action::RecommendationCreated,
                entity_type: "recommendation",
                entity_id: recommendation.id.to_string(),
                payload: json!({
                    "recommendation": recommendation,
                    "assignments": summaries,
                }),
                touches: assignments
                    .iter()
                    .map(|a| Touch {
                        status: Some(a.assignment.status),
                        // An assignment exists, as it happened, from the day
                        // its recommendation was issued.
                        occurred: Some((a.assignment.issued_on, false)),
                        created: true,
                        ..Touch::of(a.assignment.id.as_uuid())
                    })
                    .collect(),
            };
            Ok((
                RecommendationView {
                    recommendation,
                    assignments,
                },
                event,
            ))
        })
        .await
    }

    /// Withdraws a recommendation, as withdrawn when `occurred` says: every
    /// assignment still open becomes `withdrawn`; those already final stay
    /// as they are.
    pub async fn withdraw_recommendation(
        &self,
        ctx: &Ctx<'_, RecommendationView>,
        id: RecommendationId,
        draft: &WithdrawalDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<RecommendationView>> {
        self.write(ctx, async |tx| {
            let mut row = recommendations::Entity::find_by_id(id.as_uuid())
                .one(tx.db().await?)
                .await?
                .ok_or_else(|| Error::not_found("recommendation", id))?;
            tx.principal.require_overseer("withdraw")?;
            let reason = draft.parse()?;
            let mut held = Vec::new();
            for read in assignments_of(tx.db().await?, id.as_uuid()).await? {
                held.push(Held::new(read, None)?);
            }
            let (withdrawn, occurrence) = withdraw(
                row.withdrawn,
                held.iter_mut().map(|h| &mut h.assignment),
                tx.principal,
                occurred,
                tx.today,
            )?;
            let mut closed = Vec::new();
            let mut touches = Vec::new();
            for held in held
                .into_iter()
                .filter(|h| withdrawn.contains(&h.assignment.id))
            {
                let assignment = held.save(tx)?;
                touches.push(
                    Touch {
                        status: Some(assignment.status),
                        ..Touch::of(assignment.id.as_uuid())
                    }
                    .occurred(&occurrence),
                );
                closed.push(summary(&assignment));
            }
            row.withdrawn = true;
            row.withdrawn_reason = Some(reason.to_string());
            tx.update(row.clone())?;
            let view = view(tx.db().await?, row).await?;
            let event = EventDraft {
                action: Action::RecommendationWithdrawn,
                entity_type: "recommendation",
                entity_id: id.to_string(),
                payload: json!({
                    "recommendation_id": id,
                    "reason": reason,
                    "assignments": closed,
                    "occurred": occurrence,
                }),
                touches,
            };
            Ok((view, event))
        })
        .await
    }

    /// One recommendation with its assignments (404 if none).
    pub async fn recommendation(&self, id: RecommendationId) -> Result<RecommendationView> {
        let row = recommendations::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::not_found("recommendation", id))?;
        view(&self.db, row).await
    }

    /// Recommendations by report and number, filtered.
    pub async fn recommendations(
        &self,
        filter: &RecommendationFilter,
        page: &PageRequest,
    ) -> Result<Page<RecommendationView>> {
        let mut query = recommendations::Entity::find()
            .order_by_asc(recommendations::Column::ReportSlug)
            .order_by_asc(recommendations::Column::Number);
        if let Some(report) = &filter.report {
            query = query.filter(recommendations::Column::ReportSlug.eq(report.as_str()));
        }
        if filter.recipient.is_some() || filter.status.is_some() {
            let mut having = Query::select();
            having
                .column(assignments::Column::RecommendationId)
                .from(assignments::Entity);
            if let Some(recipient) = &filter.recipient {
                having.and_where(assignments::Column::Organisation.eq(recipient.as_str()));
            }
            if let Some(status) = filter.status {
                having.and_where(assignments::Column::Status.eq(wire(&status)));
            }
            query = query.filter(recommendations::Column::Id.in_subquery(having.take()));
        }
        if let Some(theme) = &filter.theme {
            query = query.filter(
                recommendations::Column::Id.in_subquery(
                    Query::select()
                        .column(recommendation_themes::Column::RecommendationId)
                        .from(recommendation_themes::Entity)
                        .and_where(recommendation_themes::Column::Theme.eq(theme.as_str()))
                        .take(),
                ),
            );
        }
        if let Some(after) = &page.after {
            let (slug, number) = after
                .rsplit_once('/')
                .and_then(|(slug, number)| Some((slug.to_owned(), number.parse::<i32>().ok()?)))
                .ok_or_else(|| Error::invalid("cursor", "is not a cursor of this list"))?;
            query = query.filter(
                Condition::any()
                    .add(recommendations::Column::ReportSlug.gt(slug.as_str()))
                    .add(
                        Condition::all()
                            .add(recommendations::Column::ReportSlug.eq(slug.as_str()))
                            .add(recommendations::Column::Number.gt(number)),
                    ),
            );
        }
        let rows = query.limit(page.limit() + 1).all(&self.db).await?;
        let page = Page::from_rows(rows, page.limit(), |row| {
            format!("{}/{}", row.report_slug, row.number)
        });
        Ok(Page {
            items: views(&self.db, page.items).await?,
            next: page.next,
        })
    }
}

fn number(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn insert_recommendation(tx: &Tx<'_>, recommendation: &Recommendation, at_us: i64) -> Result<()> {
    let content = &recommendation.content;
    tx.insert(recommendations::Model {
        id: recommendation.id.as_uuid(),
        report_slug: recommendation.report.to_string(),
        number: number(content.number),
        title: content.title.to_string(),
        body: content.body.to_string(),
        legal_basis: wire(&content.legal_basis),
        issued_on: content.issued_on,
        response_due_on: content.response_due_on,
        withdrawn: false,
        withdrawn_reason: None,
        created_at_us: at_us,
    })?;
    for (position, theme) in content.themes.iter().enumerate() {
        tx.insert(recommendation_themes::Model {
            recommendation_id: recommendation.id.as_uuid(),
            theme: theme.to_string(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
        })?;
    }
    Ok(())
}

async fn assignments_of(
    db: &impl ConnectionTrait,
    recommendation: Uuid,
) -> Result<Vec<assignments::Model>> {
    Ok(assignments::Entity::find()
        .filter(assignments::Column::RecommendationId.eq(recommendation))
        .order_by_asc(assignments::Column::Organisation)
        .all(db)
        .await?)
}

async fn view(
    db: &impl ConnectionTrait,
    row: recommendations::Model,
) -> Result<RecommendationView> {
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| Error::Corrupt("recommendations".to_owned()))
}

/// Recommendations with their themes and assignments, in the order of
/// `rows`: three queries however many rows there are.
pub(crate) async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<recommendations::Model>,
) -> Result<Vec<RecommendationView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut themes: HashMap<Uuid, Vec<Slug>> = HashMap::new();
    let mut assigned: HashMap<Uuid, Vec<AssignmentRecord>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        for theme in recommendation_themes::Entity::find()
            .filter(recommendation_themes::Column::RecommendationId.is_in(chunk.to_vec()))
            .order_by_asc(recommendation_themes::Column::Position)
            .all(db)
            .await?
        {
            themes
                .entry(theme.recommendation_id)
                .or_default()
                .push(stored(
                    "recommendation_themes.theme",
                    Slug::parse(&theme.theme),
                )?);
        }
        let rows = assignments::Entity::find()
            .filter(assignments::Column::RecommendationId.is_in(chunk.to_vec()))
            .order_by_asc(assignments::Column::Organisation)
            .all(db)
            .await?;
        for record in records(db, rows).await? {
            assigned
                .entry(record.assignment.recommendation_id.as_uuid())
                .or_default()
                .push(record);
        }
    }
    rows.into_iter()
        .map(|row| {
            let assignments = assigned.remove(&row.id).unwrap_or_default();
            let themes = themes.remove(&row.id).unwrap_or_default();
            recommendation_view(row, themes, assignments)
        })
        .collect()
}

fn recommendation_view(
    row: recommendations::Model,
    themes: Vec<Slug>,
    assignments: Vec<AssignmentRecord>,
) -> Result<RecommendationView> {
    let recipients = assignments
        .iter()
        .map(|a| a.assignment.organisation.clone())
        .collect();
    let recommendation = Recommendation {
        id: RecommendationId::from_uuid(row.id),
        report: stored("recommendations.report_slug", Slug::parse(&row.report_slug))?,
        content: RecommendationContent {
            number: u32::try_from(row.number)
                .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?,
            title: stored("recommendations.title", Title::parse(&row.title))?,
            body: stored("recommendations.body", LongText::parse(&row.body))?,
            themes,
            recipients,
            issued_on: row.issued_on,
            response_due_on: row.response_due_on,
            legal_basis: from_wire("recommendations.legal_basis", &row.legal_basis)?,
        },
        withdrawn: row.withdrawn,
    };
    Ok(RecommendationView {
        recommendation,
        assignments,
    })
}
