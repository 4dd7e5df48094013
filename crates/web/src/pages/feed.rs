//! Atom feeds of published changes: one per report
//! (`/reports/{slug}/feed.atom`) and one per organisation
//! (`/organisations/{code}/feed.atom`), for journalists and watchers.
//! Links are relative to the feed's own address, so a feed never repeats a
//! host name a client sent.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use poem::{Request, Response};
use rectrack_core::organisation::OrgCode;
use rectrack_store::public::ChangeScope;

use super::{Ctx, PageError, Site, answer};
use crate::headers::Kept;
use crate::pages::home::{ChangeView, change_view};

/// Entries in a feed.
const ENTRIES: u64 = 50;

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed {
    title: String,
    id: String,
    self_href: String,
    page_href: String,
    updated: String,
    entries: Vec<Entry>,
}

/// One entry: a change and its feed id.
struct Entry {
    change: ChangeView,
    id: String,
}

/// A report's feed.
pub async fn report(site: Arc<Site>, req: Request) -> Response {
    let slug = req.raw_path_param("slug").unwrap_or_default().to_owned();
    answer(&site, &req, |ctx| async move {
        let report = ctx.store.report(&slug).await?;
        let scope = ChangeScope {
            report: Some(slug.clone()),
            organisation: None,
        };
        render(
            ctx,
            scope,
            format!("Changes to {}", report.title),
            format!("/reports/{slug}"),
        )
        .await
    })
    .await
}

/// An organisation's feed.
pub async fn organisation(site: Arc<Site>, req: Request) -> Response {
    let code = req.raw_path_param("code").unwrap_or_default().to_owned();
    answer(&site, &req, |ctx| async move {
        let not_found =
            || PageError::NotFound("There is no organisation at this address.".to_owned());
        let code = OrgCode::parse(&code).map_err(|_| not_found())?;
        let organisation = ctx.store.organisation(code.as_str()).await?;
        let scope = ChangeScope {
            report: None,
            organisation: Some(code.to_string()),
        };
        render(
            ctx,
            scope,
            format!("Changes to {}'s record", organisation.name),
            format!("/organisations/{code}"),
        )
        .await
    })
    .await
}

async fn render(
    ctx: Ctx,
    scope: ChangeScope,
    title: String,
    page_href: String,
) -> Result<Kept, PageError> {
    let names = ctx.store.organisation_names().await?;
    let titles: HashMap<String, String> = ctx
        .store
        .reports_with_counts()
        .await?
        .into_iter()
        .map(|(r, _)| (r.slug.to_string(), r.title.to_string()))
        .collect();
    let changes = ctx.store.public_changes(&scope, ENTRIES, ctx.today).await?;
    let updated = changes.first().map_or_else(
        || ctx.mark.at.to_rfc3339(),
        |c| c.entry.recorded_at.to_rfc3339(),
    );
    let feed = Feed {
        id: urn(&format!("feed:{page_href}")),
        self_href: format!("{page_href}/feed.atom"),
        entries: changes
            .iter()
            .map(|change| {
                let view = change_view(change, &titles, &names);
                Entry {
                    id: urn(&view.id),
                    change: view,
                }
            })
            .collect(),
        title,
        page_href,
        updated,
    };
    Ok(Kept {
        content_type: "application/atom+xml; charset=utf-8",
        body: Bytes::from(feed.render()?),
        filename: None,
    })
}

/// A stable `urn:uuid:` for `name`, the same on every server.
fn urn(name: &str) -> String {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"rectrack:feeds");
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&namespace, name.as_bytes())
    )
}
