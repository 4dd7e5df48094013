//! What every page shares: the layout, the reading of query strings, the
//! error pages, and the path from a request to a cached, validated answer.
//!
//! A page handler reads its parameters, asks the store, builds its
//! template's values and renders; everything else (`--private`, `304`,
//! the page cache, security headers, error pages) happens here once.

pub mod audit;
pub mod feed;
pub mod home;
pub mod organisation;
pub mod recommendation;
pub mod report;
pub mod status;

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use chrono::NaiveDate;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response};
use rectrack_api::app::AppState;
use rectrack_store::Store;
use rectrack_store::audit::ChainMark;

use crate::headers::{Kept, PageCache, Validators};
use crate::words;

/// The templates and style sheet, whose digest is part of every page's
/// `ETag` (see `headers`).
pub(crate) const SOURCES: &[&str] = &[
    include_str!("../../templates/base.html"),
    include_str!("../../templates/error.html"),
    include_str!("../../templates/home.html"),
    include_str!("../../templates/report.html"),
    include_str!("../../templates/recommendation.html"),
    include_str!("../../templates/organisation.html"),
    include_str!("../../templates/status.html"),
    include_str!("../../templates/audit.html"),
    include_str!("../../templates/feed.xml"),
    include_str!("../../templates/changes.html"),
    include_str!("../../templates/figures.html"),
    include_str!("../../templates/chart.html"),
    include_str!("../../templates/source.html"),
    include_str!("../../templates/lines.html"),
    include_str!("../../templates/selects.html"),
    include_str!("../../assets/site.css"),
];

/// The media type of pages.
pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// What the site's handlers share.
#[derive(Debug)]
pub struct Site {
    /// The service's state: store, `--private`, the report cache.
    pub state: Arc<AppState>,
    /// Pages rendered from the record as it stands.
    pub pages: PageCache,
}

/// What a page is rendered from.
pub(crate) struct Ctx {
    /// The repository.
    pub store: Store,
    /// The service's state.
    pub state: Arc<AppState>,
    /// Today (UTC): what is overdue is counted against it.
    pub today: NaiveDate,
    /// The query string's parameters.
    pub params: Params,
    /// Where the chain stood when the request was read.
    pub mark: ChainMark,
    /// The client's address, for the allowance of reports computed for
    /// anonymous clients.
    pub client: Option<IpAddr>,
}

/// A link in the breadcrumbs.
#[derive(Debug, Clone)]
pub(crate) struct Crumb {
    pub label: String,
    pub href: String,
}

/// An Atom feed the page offers.
#[derive(Debug, Clone)]
pub(crate) struct FeedLink {
    pub label: String,
    pub href: String,
}

/// What the layout shows around every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The page's title (also its `<h1>`, usually).
    pub title: String,
    /// The part of the site it belongs to, for the navigation.
    pub section: &'static str,
    /// The way back up.
    pub crumbs: Vec<Crumb>,
    /// Feeds of the page's changes.
    pub feeds: Vec<FeedLink>,
    /// Today, in words.
    pub today: String,
}

impl Layout {
    pub(crate) fn new(title: impl Into<String>, section: &'static str, today: NaiveDate) -> Self {
        Self {
            title: title.into(),
            section,
            crumbs: vec![Crumb {
                label: "Reports".to_owned(),
                href: "/".to_owned(),
            }],
            feeds: Vec::new(),
            today: words::date(today),
        }
    }

    pub(crate) fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Self {
        self.crumbs.push(Crumb {
            label: label.into(),
            href: href.into(),
        });
        self
    }

    pub(crate) fn top(mut self) -> Self {
        self.crumbs.clear();
        self
    }

    pub(crate) fn feed(mut self, label: impl Into<String>, href: impl Into<String>) -> Self {
        self.feeds.push(FeedLink {
            label: label.into(),
            href: href.into(),
        });
        self
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// Nothing is at this address.
    NotFound(String),
    /// The address asks for something malformed.
    BadRequest(String),
    /// An anonymous client asked for more reports than may be computed
    /// for it; it may try again after this many seconds.
    TooManyRequests(u64),
    /// Something failed on our side (logged, never shown).
    Internal,
}

impl From<rectrack_store::Error> for PageError {
    fn from(error: rectrack_store::Error) -> Self {
        match error {
            rectrack_store::Error::NotFound { entity, .. } => {
                Self::NotFound(format!("There is no {entity} at this address."))
            }
            rectrack_store::Error::Domain(rectrack_core::Error::Validation(errors)) => {
                Self::BadRequest(
                    errors
                        .errors()
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            }
            other => {
                tracing::error!(error = %other, "a page could not be read");
                Self::Internal
            }
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        tracing::error!(%error, "a page could not be rendered");
        Self::Internal
    }
}

/// A page's rendered body.
pub(crate) fn html(template: &impl Template) -> Result<Kept, PageError> {
    Ok(Kept {
        content_type: HTML,
        body: Bytes::from(template.render()?),
        filename: None,
    })
}

/// The parameters of a query string (an empty value counts as absent).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn of(req: &Request) -> Self {
        let query = req.uri().query().unwrap_or_default();
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
                .collect(),
        )
    }

    /// The value of `name`, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `name` parsed by `parse`; a 400 page naming the parameter if it does
    /// not parse.
    pub(crate) fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, PageError> {
        self.get(name)
            .map(|value| {
                parse(value).map_err(|e| {
                    PageError::BadRequest(format!("The {name} “{value}” is not valid: {e}."))
                })
            })
            .transpose()
    }
}

/// The error page for `error`, outside any cache.
pub(crate) fn error_page(error: &PageError, today: NaiveDate) -> Response {
    #[derive(Template)]
    #[template(path = "error.html")]
    struct ErrorPage {
        layout: Layout,
        message: String,
    }
    let (status, title, message) = match error {
        PageError::NotFound(message) => (StatusCode::NOT_FOUND, "Page not found", message.clone()),
        PageError::BadRequest(message) => (
            StatusCode::BAD_REQUEST,
            "There is a problem with this address",
            message.clone(),
        ),
        PageError::TooManyRequests(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many reports asked for",
            format!(
                "This address has asked for more status reports than can be worked out for it. Try again in {seconds} seconds."
            ),
        ),
        PageError::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem with the service",
            "The page could not be shown. Try again later.".to_owned(),
        ),
    };
    let page = ErrorPage {
        layout: Layout::new(title, "", today),
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("<!DOCTYPE html><title>{}</title>", status.as_u16()));
    let mut response = Response::builder()
        .status(status)
        .content_type(HTML)
        .body(body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let PageError::TooManyRequests(seconds) = error {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
    }
    secure(&mut response);
    response
}

/// Headers every page carries: no script runs and nothing is loaded from
/// elsewhere, the page is never framed, and types are not sniffed.
pub(crate) fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// Answers a request for a page: 404 when the site is off (`--private`),
/// `304` when the client's copy is current, the kept page if there is one,
/// else what `render` makes (kept for the next asker).
pub(crate) async fn answer<F, Fut>(site: &Site, req: &Request, render: F) -> Response
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = Result<Kept, PageError>>,
{
    let store = &site.state.store;
    let today = store.now().date_naive();
    if site.state.private {
        return error_page(
            &PageError::NotFound("The public record is not published here.".to_owned()),
            today,
        );
    }
    let mark = match store.chain_mark().await {
        Ok(mark) => mark,
        Err(error) => return error_page(&PageError::from(error), today),
    };
    let validators = Validators::new(mark.seq, mark.at, today);
    if validators.fresh(req) {
        let mut response = validators.not_modified();
        secure(&mut response);
        return response;
    }
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), ToString::to_string);
    let kept = match site.pages.get(&url, &validators.etag) {
        Some(kept) => kept,
        None => {
            let ctx = Ctx {
                store: store.clone(),
                state: site.state.clone(),
                today,
                params: Params::of(req),
                mark,
                client: req.remote_addr().as_socket_addr().map(|a| a.ip()),
            };
            match render(ctx).await {
                Ok(kept) => {
                    site.pages.keep(&url, &validators.etag, kept.clone());
                    kept
                }
                Err(error) => return error_page(&error, today),
            }
        }
    };
    let mut response = Response::builder()
        .content_type(kept.content_type)
        .body(kept.body);
    if let Some(name) = kept.filename
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    validators.apply(&mut response);
    secure(&mut response);
    response
}

/// The home page at `/`; at any other address not routed elsewhere, a page
/// saying there is nothing here (404), with a way back to the reports.
pub async fn home_or_not_found(site: Arc<Site>, req: Request) -> Response {
    if req.uri().path() == "/" {
        return home::page(site, req).await;
    }
    let today = site.state.store.now().date_naive();
    error_page(
        &PageError::NotFound(
            "There is nothing at this address. If you typed it, check it is right.".to_owned(),
        ),
        today,
    )
}
