//! Reports: created by the overseer, issued by an oversight body, read by anyone.

use rectrack_core::audit::Action;
use rectrack_core::evidence::HttpUrl;
use rectrack_core::organisation::OrgCode;
use rectrack_core::report::{Report, ReportDraft};
use rectrack_core::text::{LongText, Slug, Title};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::Store;
use crate::audit::append::EventDraft;
use crate::convert::micros;
use crate::entities::reports;
use crate::error::{Error, Result, stored};
use crate::organisations::kind_of;
use crate::page::{Page, PageRequest};
use crate::write::{Ctx, Written};

impl Store {
    /// Creates a report. Its slug must be free (409) and `issued_by` must be
    /// an oversight body (422).
    pub async fn create_report(
        &self,
        ctx: &Ctx<'_, Report>,
        draft: &ReportDraft,
    ) -> Result<Written<Report>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("create_report")?;
            let report = draft.parse()?;
            match kind_of(tx.db().await?, report.issued_by.as_str()).await? {
                Some(kind) if kind.issues_reports() => {}
                Some(_) => {
                    return Err(Error::invalid(
                        "issued_by",
                        format!("`{}` is not an oversight body", report.issued_by),
                    ));
                }
                None => {
                    return Err(Error::invalid(
                        "issued_by",
                        format!("no organisation has the code `{}`", report.issued_by),
                    ));
                }
            }
            if find(tx.db().await?, report.slug.as_str()).await?.is_some() {
                return Err(Error::Conflict(format!(
                    "a report with slug `{}` already exists",
                    report.slug
                )));
            }
            tx.insert(reports::Model {
                slug: report.slug.to_string(),
                title: report.title.to_string(),
                issued_by: report.issued_by.to_string(),
                published_on: report.published_on,
                url: report.url.as_ref().map(ToString::to_string),
                summary: report.summary.as_ref().map(ToString::to_string),
                created_at_us: micros(tx.now),
            })?;
            let event = EventDraft {
                action: Action::ReportCreated,
                entity_type: "report",
                entity_id: report.slug.to_string(),
                payload: json!({ "report": report }),
                touches: vec![],
            };
            Ok((report, event))
        })
        .await
    }

    /// One report by slug (404 if none).
    pub async fn report(&self, slug: &str) -> Result<Report> {
        find(&self.db, slug)
            .await?
            .ok_or_else(|| Error::not_found("report", slug))
    }

    /// Reports in slug order.
    pub async fn reports(&self, page: &PageRequest) -> Result<Page<Report>> {
        let mut query = reports::Entity::find().order_by_asc(reports::Column::Slug);
        if let Some(after) = &page.after {
            query = query.filter(reports::Column::Slug.gt(after.as_str()));
        }
        let rows = query.limit(page.limit() + 1).all(&self.db).await?;
        Page::from_rows(rows, page.limit(), |row| row.slug.clone()).try_map(report)
    }
}

/// The report with `slug`, if any.
pub(crate) async fn find(db: &impl ConnectionTrait, slug: &str) -> Result<Option<Report>> {
    reports::Entity::find_by_id(slug.to_owned())
        .one(db)
        .await?
        .map(report)
        .transpose()
}

fn report(row: reports::Model) -> Result<Report> {
    Ok(Report {
        slug: stored("reports.slug", Slug::parse(&row.slug))?,
        title: stored("reports.title", Title::parse(&row.title))?,
        issued_by: stored("reports.issued_by", OrgCode::parse(&row.issued_by))?,
        published_on: row.published_on,
        url: stored(
            "reports.url",
            row.url.as_deref().map(HttpUrl::parse).transpose(),
        )?,
        summary: stored(
            "reports.summary",
            row.summary.as_deref().map(LongText::parse).transpose(),
        )?,
    })
}
