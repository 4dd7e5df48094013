//! `/audit`: the audit chain's length and head hash, verified now, and how
//! anyone can check the record themselves.

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};

use super::{Ctx, Layout, PageError, Site, answer, html};
use crate::headers::Kept;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    valid: bool,
    length: u64,
    head_hash: String,
    first_invalid_seq: Option<u64>,
    detail: Option<String>,
}

/// The audit page.
pub async fn page(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, render).await
}

async fn render(ctx: Ctx) -> Result<Kept, PageError> {
    let verdict = ctx.store.verify_chain().await?;
    html(&AuditPage {
        layout: Layout::new("The audit chain", "audit", ctx.today).top(),
        valid: verdict.valid,
        length: verdict.length,
        head_hash: verdict.head_hash,
        first_invalid_seq: verdict.first_invalid_seq,
        detail: verdict.detail,
    })
}
