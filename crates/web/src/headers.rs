//! Caching of pages: validators, `304 Not Modified`, and the pages kept in
//! memory while the record is unchanged.
//!
//! A page is a pure function of the stored record, the day (what is
//! overdue changes at midnight), its URL and the build that renders it.
//! Every write appends one audit event, so the chain's `seq` names the
//! record: a page's `ETag` is `seq`, day and build, computed from one read
//! of the chain head before anything is rendered. A client that holds the
//! page gets `304` for the price of that read; any server sharing the
//! database gives the same tag for the same page.

use std::collections::VecDeque;
use std::sync::{LazyLock, Mutex};

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response};
use sha2::{Digest, Sha256};

/// The bytes of pages kept, at most.
const KEPT_BYTES: usize = 32 * 1024 * 1024;

/// What makes one build's pages differ from another's: a digest of its
/// templates and style sheet, so that a new release never answers `304`
/// for a page the old one rendered.
static BUILD: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    digest.update(env!("CARGO_PKG_VERSION"));
    for source in crate::pages::SOURCES {
        digest.update(source);
    }
    hex::encode(&digest.finalize()[..6])
});

/// The validators of one page as the record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The entity tag, quoted.
    pub etag: String,
    /// When the record last changed, or the day began, whichever is later.
    pub last_modified: DateTime<Utc>,
}

impl Validators {
    /// The validators of a page rendered from the record at chain position
    /// `seq`, last written at `written`, on `today`.
    pub fn new(seq: u64, written: DateTime<Utc>, today: NaiveDate) -> Self {
        let midnight = today.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        Self {
            etag: format!("\"{seq}.{}.{}\"", today.format("%Y%m%d"), *BUILD),
            last_modified: midnight.map_or(written, |m| m.max(written)),
        }
    }

    /// Whether the client's copy is current: its `If-None-Match` names this
    /// tag, or (without one) its `If-Modified-Since` is not before the last
    /// change.
    pub fn fresh(&self, req: &Request) -> bool {
        if let Some(tags) = req.headers().get(header::IF_NONE_MATCH) {
            return tags.to_str().is_ok_and(|tags| {
                tags.split(',').any(|tag| {
                    let tag = tag.trim();
                    tag == "*" || tag.trim_start_matches("W/") == self.etag
                })
            });
        }
        req.headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| since.timestamp() >= self.last_modified.timestamp())
    }

    /// Adds the validators and the caching policy to `response`: anyone may
    /// keep the page, but must check it is current before showing it again.
    pub fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, value);
        }
        let http_date = self
            .last_modified
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        if let Ok(value) = HeaderValue::from_str(&http_date) {
            headers.insert(header::LAST_MODIFIED, value);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, no-cache"),
        );
    }

    /// `304 Not Modified` with these validators.
    pub fn not_modified(&self) -> Response {
        let mut response = Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .finish();
        self.apply(&mut response);
        response
    }
}

/// A rendered page.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Its media type.
    pub content_type: &'static str,
    /// Its body.
    pub body: Bytes,
    /// The file name it is saved under, for downloads.
    pub filename: Option<String>,
}

/// Pages rendered while the record stood at a given tag, by URL.
#[derive(Debug, Default)]
pub struct PageCache {
    entries: Mutex<VecDeque<(String, String, Kept)>>,
}

impl PageCache {
    /// The page at `url` rendered under `etag`, if kept.
    pub fn get(&self, url: &str, etag: &str) -> Option<Kept> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|(u, t, _)| u == url && t == etag)
            .map(|(_, _, kept)| kept.clone())
    }

    /// Keeps the page at `url` rendered under `etag`, dropping pages
    /// rendered under other tags of the same URL and the oldest pages past
    /// the budget.
    pub fn keep(&self, url: &str, etag: &str, kept: Kept) {
        if kept.body.len() > KEPT_BYTES {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(u, _, _)| u != url);
        entries.push_back((url.to_owned(), etag.to_owned(), kept));
        let mut total: usize = entries.iter().map(|(_, _, k)| k.body.len()).sum();
        while total > KEPT_BYTES {
            match entries.pop_front() {
                Some((_, _, oldest)) => total -= oldest.body.len(),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn request(name: &str, value: &str) -> Request {
        Request::builder().header(name, value).finish()
    }

    #[test]
    fn the_tag_changes_with_the_record_and_with_the_day() {
        let written = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let now = Validators::new(7, written, day(1));
        assert_eq!(now, Validators::new(7, written, day(1)));
        assert_ne!(now.etag, Validators::new(8, written, day(1)).etag);
        assert_ne!(now.etag, Validators::new(7, written, day(2)).etag);
    }

    #[test]
    fn a_matching_tag_or_a_late_enough_date_is_fresh() {
        let written = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let v = Validators::new(7, written, day(1));
        assert!(v.fresh(&request("if-none-match", &v.etag)));
        assert!(v.fresh(&request("if-none-match", &format!("\"x\", W/{}", v.etag))));
        assert!(!v.fresh(&request("if-none-match", "\"7.20261201.other\"")));
        let later = (v.last_modified + chrono::Duration::seconds(1))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let earlier = (v.last_modified - chrono::Duration::seconds(1))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        assert!(v.fresh(&request("if-modified-since", &later)));
        assert!(!v.fresh(&request("if-modified-since", &earlier)));
        assert!(!v.fresh(&Request::builder().finish()));
    }

    #[test]
    fn a_kept_page_is_served_only_under_its_tag() {
        let cache = PageCache::default();
        let page = Kept {
            content_type: "text/html",
            body: Bytes::from_static(b"page"),
            filename: None,
        };
        cache.keep("/", "\"1\"", page.clone());
        assert!(cache.get("/", "\"1\"").is_some());
        assert!(cache.get("/", "\"2\"").is_none());
        cache.keep("/", "\"2\"", page);
        assert!(cache.get("/", "\"1\"").is_none());
    }
}
