//! Rendered status reports, kept while the data they were made from is
//! unchanged.
//!
//! A report is a pure function of the stored data, its filters, its day and
//! its format; and every write appends one audit event. So a rendered report
//! tagged with the chain's `seq` at the moment its computation began is exact
//! for as long as the chain's `seq` is still that number: a hit costs one read
//! of the chain head, on any number of servers sharing the database. (A write
//! that lands after the `seq` was read may or may not be in the report; either
//! way the chain has moved past the tag, so the entry is never served again.)
//!
//! A report as of a past day is kept longer when the store says it is
//! settled (`Store::settles`): once an event recorded after that day's end
//! is in the chain, nothing written later can change what the day saw, so
//! the report is served whatever the chain's `seq` has become.
//!
//! Concurrent requests for the same report wait for the first one's result
//! instead of each scanning the database and holding its own copy in
//! memory; different reports are computed side by side, at most
//! `computations` at once, so that no report waits behind an unrelated one
//! for longer than those ahead of it in that bounded queue. Anonymous
//! clients may have only so many reports computed for them
//! ([`ReportCache::admit`]), and share all slots but one, so a crowd of
//! them never keeps a token holder waiting; what is cached costs them
//! nothing. Entries are bounded by total size.

use std::collections::VecDeque;
use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use bytes::Bytes;
use chrono::NaiveDate;
use rectrack_core::status_report::{Basis, ReportFilters};

/// The default bound on the bytes of reports kept.
pub const REPORT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Reports computed at once, by default.
pub const COMPUTATIONS: usize = 2;

/// Reports an anonymous client may have computed in a burst.
pub const ANONYMOUS_BURST: u32 = 10;

/// Reports an anonymous client may have computed per minute, after its burst.
pub const ANONYMOUS_PER_MINUTE: u32 = 20;

/// Everything a rendered report depends on besides the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    /// Its filters.
    pub filters: ReportFilters,
    /// The day it is as of.
    pub as_of: NaiveDate,
    /// Which facts it counts.
    pub basis: Basis,
    /// Whether that day had not ended when it was asked for (the live state
    /// rather than one rebuilt from events).
    pub live: bool,
    /// Whether it lists the recommendations.
    pub lines: bool,
    /// Its media type.
    pub content_type: &'static str,
}

/// A rendered report.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Its media type.
    pub content_type: &'static str,
    /// Its body.
    pub body: Bytes,
}

#[derive(Debug)]
struct Entry {
    key: ReportKey,
    seq: u64,
    /// Whether later writes leave it exact (see the module's documentation).
    settled: bool,
    body: Bytes,
}

impl Entry {
    fn serves(&self, key: &ReportKey, seq: u64) -> bool {
        self.key == *key && (self.seq == seq || self.settled)
    }
}

/// Who asks for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// A client with a token.
    Token,
    /// A client without one.
    Anonymous,
}

/// One report being computed, and who waits for it.
type Turn = Arc<tokio::sync::Mutex<()>>;

/// The cache; one per service.
pub struct ReportCache {
    entries: Mutex<VecDeque<Entry>>,
    in_flight: Mutex<Vec<(ReportKey, Turn)>>,
    computing: tokio::sync::Semaphore,
    /// Slots anonymous clients share: one fewer than `computing` has.
    anonymous_computing: tokio::sync::Semaphore,
    anonymous: DefaultKeyedRateLimiter<IpAddr>,
    budget: usize,
}

impl std::fmt::Debug for ReportCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportCache")
            .field("kept", &self.len())
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Default for ReportCache {
    fn default() -> Self {
        Self::new(REPORT_CACHE_BYTES)
    }
}

impl ReportCache {
    /// A cache keeping at most `budget` bytes of reports (a larger report is
    /// served but not kept), with the default limits.
    pub fn new(budget: usize) -> Self {
        Self::with_limits(budget, COMPUTATIONS, ANONYMOUS_BURST, ANONYMOUS_PER_MINUTE)
    }

    /// A cache computing at most `computations` reports at once (at least
    /// two, one of them never for an anonymous client), and at most `burst`
    /// then `per_minute` for each anonymous client.
    pub fn with_limits(budget: usize, computations: usize, burst: u32, per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            entries: Mutex::new(VecDeque::new()),
            in_flight: Mutex::new(Vec::new()),
            computing: tokio::sync::Semaphore::new(computations.max(2)),
            anonymous_computing: tokio::sync::Semaphore::new(computations.max(2) - 1),
            anonymous: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            budget,
        }
    }

    /// Whether an anonymous client at `client` may have one more report
    /// computed; if not, how long until it may.
    pub fn admit(&self, client: IpAddr) -> Result<(), Duration> {
        if self.anonymous.len() > 100_000 {
            self.anonymous.retain_recent();
        }
        self.anonymous
            .check_key(&client)
            .map_err(|refused| refused.wait_time_from(DefaultClock::default().now()))
    }

    /// The report for `key` at chain position `seq`: kept, or made by
    /// `render` (which must read data at least as new as `seq`). `settled`
    /// says that no write after `seq` can change this report, so that it may
    /// be served at any later `seq` too. An anonymous `asker`'s computation
    /// takes one of the slots only anonymous clients share, so however many
    /// of them ask, a token holder always finds a slot.
    pub async fn get_or_render<E, F>(
        &self,
        key: ReportKey,
        seq: u64,
        settled: bool,
        asker: Asker,
        render: F,
    ) -> Result<Rendered, E>
    where
        F: Future<Output = Result<Bytes, E>>,
    {
        if let Some(hit) = self.cached(&key, seq) {
            return Ok(hit);
        }
        let turn = self.turn(&key);
        let made = async {
            let _mine = turn.lock().await;
            // Whoever held the turn may have made this very report.
            if let Some(hit) = self.cached(&key, seq) {
                return Ok(hit);
            }
            // Never closed: without a permit the report is still made.
            let _anonymous = match asker {
                Asker::Anonymous => self.anonymous_computing.acquire().await.ok(),
                Asker::Token => None,
            };
            let _slot = self.computing.acquire().await.ok();
            let body = render.await?;
            self.keep(Entry {
                key: key.clone(),
                seq,
                settled,
                body: body.clone(),
            });
            Ok(Rendered {
                content_type: key.content_type,
                body,
            })
        }
        .await;
        self.leave(&key, turn);
        made
    }

    /// The turn of everyone asking for `key`.
    fn turn(&self, key: &ReportKey) -> Turn {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, turn)) = in_flight.iter().find(|(k, _)| k == key) {
            return turn.clone();
        }
        let turn = Turn::default();
        in_flight.push((key.clone(), turn.clone()));
        turn
    }

    /// Forgets `key`'s turn once no one else waits on it.
    fn leave(&self, key: &ReportKey, turn: Turn) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        // Ours and the list's: no one else holds it.
        if Arc::strong_count(&turn) == 2 {
            in_flight.retain(|(k, _)| k != key);
        }
    }

    /// The report for `key` at chain position `seq`, if kept.
    pub fn cached(&self, key: &ReportKey, seq: u64) -> Option<Rendered> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|entry| entry.serves(key, seq))
            .map(|entry| Rendered {
                content_type: entry.key.content_type,
                body: entry.body.clone(),
            })
    }

    fn keep(&self, entry: Entry) {
        if entry.body.len() > self.budget {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Entries made before `seq` can never be served again, unless settled.
        entries.retain(|kept| (kept.seq >= entry.seq || kept.settled) && kept.key != entry.key);
        entries.push_back(entry);
        let mut total: usize = entries.iter().map(|entry| entry.body.len()).sum();
        while total > self.budget {
            match entries.pop_front() {
                Some(oldest) => total -= oldest.body.len(),
                None => break,
            }
        }
    }

    /// How many reports are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(lines: bool) -> ReportKey {
        ReportKey {
            filters: ReportFilters::default(),
            as_of: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            basis: Basis::Recorded,
            live: true,
            lines,
            content_type: "application/json; charset=utf-8",
        }
    }

    fn past_key(day: u32) -> ReportKey {
        ReportKey {
            as_of: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            live: false,
            ..key(true)
        }
    }

    async fn get(cache: &ReportCache, key: ReportKey, seq: u64, body: &'static str) -> String {
        get_settled(cache, key, seq, false, body).await
    }

    async fn get_settled(
        cache: &ReportCache,
        key: ReportKey,
        seq: u64,
        settled: bool,
        body: &'static str,
    ) -> String {
        let rendered = cache
            .get_or_render::<(), _>(key, seq, settled, Asker::Token, async move {
                Ok(Bytes::from_static(body.as_bytes()))
            })
            .await
            .unwrap();
        String::from_utf8(rendered.body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn serves_a_report_only_while_the_chain_stands_still() {
        let cache = ReportCache::default();
        assert_eq!(get(&cache, key(true), 7, "first").await, "first");
        assert_eq!(get(&cache, key(true), 7, "second").await, "first");
        assert_eq!(get(&cache, key(false), 7, "figures").await, "figures");
        // One more event: nothing made before it is served, and it is dropped.
        assert_eq!(get(&cache, key(true), 8, "third").await, "third");
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn serves_a_settled_report_after_later_writes_too() {
        let cache = ReportCache::default();
        assert_eq!(
            get_settled(&cache, past_key(1), 7, true, "settled").await,
            "settled"
        );
        assert_eq!(
            get_settled(&cache, past_key(2), 7, false, "open").await,
            "open"
        );
        // Writes move the chain: the settled report is still served, and kept
        // when another report is made; the unsettled one is made again.
        assert_eq!(get(&cache, past_key(1), 9, "made again").await, "settled");
        assert_eq!(
            get(&cache, past_key(2), 9, "made again").await,
            "made again"
        );
        assert_eq!(get(&cache, key(true), 12, "live").await, "live");
        assert_eq!(cache.len(), 2);
        assert_eq!(get(&cache, past_key(1), 12, "made again").await, "settled");
        // Only for its own key.
        assert_eq!(
            get(&cache, past_key(3), 12, "another day").await,
            "another day"
        );
    }

    #[tokio::test]
    async fn keeps_no_more_than_its_budget() {
        let cache = ReportCache::new(8);
        assert_eq!(get(&cache, key(true), 1, "12345").await, "12345");
        assert_eq!(get(&cache, key(false), 1, "6789").await, "6789");
        assert_eq!(cache.len(), 1);
        assert_eq!(get(&cache, key(false), 1, "other").await, "6789");
        assert_eq!(
            get(&cache, key(true), 1, "too large to keep").await,
            "too large to keep"
        );
        assert_eq!(get(&cache, key(true), 1, "again").await, "again");
    }

    #[tokio::test]
    async fn different_reports_are_made_side_by_side_and_the_same_one_once() {
        let cache = std::sync::Arc::new(ReportCache::with_limits(1024, 2, 1, 1));
        let (release, gate) = tokio::sync::watch::channel(false);
        let renders = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let slow = |day: u32| {
            let cache = cache.clone();
            let mut gate = gate.clone();
            let renders = renders.clone();
            tokio::spawn(async move {
                cache
                    .get_or_render::<(), _>(past_key(day), 1, false, Asker::Token, async move {
                        renders.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let _ = gate.wait_for(|open| *open).await;
                        Ok(Bytes::from_static(b"slow"))
                    })
                    .await
            })
        };
        // Two requests for day 1 share one computation, day 2 is made beside it.
        let (first, again, other) = (slow(1), slow(1), slow(2));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 2);
        // A third day waits for a slot; a kept report is served meanwhile.
        let queued = slow(3);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 2);
        release.send(true).unwrap();
        for task in [first, again, other, queued] {
            assert!(task.await.unwrap().is_ok());
        }
        assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_crowd_of_anonymous_reports_leaves_a_slot_for_a_token_holder() {
        let cache = std::sync::Arc::new(ReportCache::with_limits(1024, 2, 10, 10));
        let (release, gate) = tokio::sync::watch::channel(false);
        let mut crowd = Vec::new();
        for day in 1..=5 {
            let cache = cache.clone();
            let mut gate = gate.clone();
            crowd.push(tokio::spawn(async move {
                cache
                    .get_or_render::<(), _>(past_key(day), 1, false, Asker::Anonymous, async move {
                        let _ = gate.wait_for(|open| *open).await;
                        Ok(Bytes::from_static(b"anonymous"))
                    })
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // The anonymous reports hold their one slot; a token holder's is made.
        let made = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            cache.get_or_render::<(), _>(past_key(20), 1, false, Asker::Token, async {
                Ok(Bytes::from_static(b"token"))
            }),
        )
        .await
        .expect("a token holder waited behind anonymous reports");
        assert_eq!(&made.unwrap().body[..], b"token");
        release.send(true).unwrap();
        for task in crowd {
            assert!(task.await.unwrap().is_ok());
        }
    }

    #[test]
    fn an_anonymous_client_is_admitted_up_to_its_burst() {
        let cache = ReportCache::with_limits(1024, 2, 3, 1);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(cache.admit(client).is_ok());
        }
        let wait = cache.admit(client).unwrap_err();
        assert!(wait > Duration::from_secs(1), "{wait:?}");
        assert!(cache.admit("192.0.2.2".parse().unwrap()).is_ok());
    }

    #[tokio::test]
    async fn a_failed_render_keeps_nothing() {
        let cache = ReportCache::default();
        let failed = cache
            .get_or_render(key(true), 1, true, Asker::Token, async {
                Err::<Bytes, _>("no database")
            })
            .await;
        assert_eq!(failed.unwrap_err(), "no database");
        assert!(cache.is_empty());
    }
}
