//! The public record as a web site: server-rendered pages anyone may read,
//! share and check, mounted by `rectrack serve` beside the API.
//!
//! Pages read through the same store queries as the API and show exactly
//! its published view (core's `public` module): statuses, responses, the
//! response clock, extension decisions, claims' summaries, reviews and
//! withdrawals — never progress updates, milestones or evidence. They work
//! without JavaScript (there is none). With `--private` every page answers
//! 404. No rule lives here: a page only puts into words what core decided.
//!
//! | path | page |
//! |---|---|
//! | `/` | every report with its headline figures, and the latest changes |
//! | `/reports/{slug}` | a report's recommendations, filtered and searched |
//! | `/recommendations/{id}` | one recommendation, its responses and timeline |
//! | `/organisations/{code}` | one organisation's record, overdue first |
//! | `/status` | the status report as of a day, with downloads |
//! | `/audit` | the audit chain, verified now |
//! | `…/feed.atom` | a report's or an organisation's changes as Atom |
//! | `/workspace/…` | pages for signed-in people (`workspace`) |

#![forbid(unsafe_code)]

pub mod headers;
pub mod pages;
pub mod words;
pub mod workspace;

use std::future::Future;
use std::sync::Arc;

use poem::http::{HeaderValue, header};
use poem::{Endpoint, Request, Response, Route, get};
use rectrack_api::app::AppState;

pub use pages::Site;

/// The site's routes over `state`, to be mounted beside the API
/// (`rectrack_api::app::build_with`).
pub fn site(state: &Arc<AppState>) -> Route {
    let site = Arc::new(Site {
        state: state.clone(),
        pages: headers::PageCache::default(),
    });
    let route = Route::new()
        .at("/reports/:slug", page(&site, pages::report::page))
        .at("/reports/:slug/feed.atom", page(&site, pages::feed::report))
        .at(
            "/recommendations/:id",
            page(&site, pages::recommendation::page),
        )
        .at(
            "/organisations/:code",
            page(&site, pages::organisation::page),
        )
        .at(
            "/organisations/:code/feed.atom",
            page(&site, pages::feed::organisation),
        )
        .at("/status", page(&site, pages::status::page))
        .at("/status.csv", page(&site, pages::status::csv))
        .at("/status.json", page(&site, pages::status::json))
        .at("/status.md", page(&site, pages::status::markdown))
        .at("/status.xlsx", page(&site, pages::status::xlsx))
        .at("/audit", page(&site, pages::audit::page))
        .at(
            "/assets/site.css",
            get(poem::endpoint::make_sync(style_sheet)),
        )
        // The router prefers a catch-all to `/` itself, so the home page
        // is answered from the catch-all.
        .at("/*path", page(&site, pages::home_or_not_found));
    workspace::routes(route, state)
}

/// A `GET` (and `HEAD`) route answered by `handler` with the site's state.
fn page<F, Fut>(site: &Arc<Site>, handler: F) -> impl Endpoint<Output = Response> + use<F, Fut>
where
    F: Fn(Arc<Site>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let site = site.clone();
    get(poem::endpoint::make(move |req| handler(site.clone(), req)))
}

/// The style sheet: kept by browsers for a day, then checked.
fn style_sheet(_: Request) -> Response {
    let mut response = Response::builder()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../assets/site.css"));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
