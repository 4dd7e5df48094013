//! Keyset pagination: a page of items and the key to continue after.
//! The API wraps the key in an opaque cursor; the store only compares keys.

/// Most items one page may hold.
pub const MAX_LIMIT: u64 = 500;
/// Items on a page when the client names no limit.
pub const DEFAULT_LIMIT: u64 = 50;

/// Which page to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Continue after this key (the last key of the previous page).
    pub after: Option<String>,
    /// How many items at most (clamped to 1..=500).
    pub limit: u64,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u64) -> Self {
        Self { after: None, limit }
    }

    /// The limit, clamped to 1..=[`MAX_LIMIT`].
    pub fn limit(&self) -> u64 {
        self.limit.clamp(1, MAX_LIMIT)
    }
}

/// One page of items.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// The key to continue after, when more items follow.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in key order: the
    /// extra row only tells that more follow.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(key) } else { None };
        Self { items: rows, next }
    }

    /// The same page with each item converted.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}

/// The key of an item ordered by creation time, then id: `micros:uuid`.
pub(crate) fn time_id_key(at_us: i64, id: uuid::Uuid) -> String {
    format!("{at_us}:{id}")
}

/// Reads a key written by [`time_id_key`] (422 if it is not one).
fn parse_time_id_key(key: &str) -> crate::Result<(i64, uuid::Uuid)> {
    key.split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.parse().ok()?)))
        .ok_or_else(|| crate::Error::invalid("cursor", "is not a cursor of this list"))
}

/// The rows after `key` (written by [`time_id_key`]) in the order of
/// `at` (creation time in microseconds), then `id`: `at > t OR (at = t AND
/// id > i)`. 422 if `key` is not such a key.
pub(crate) fn after_time_id(
    key: &str,
    at: impl sea_orm::ColumnTrait,
    id: impl sea_orm::ColumnTrait,
) -> crate::Result<sea_orm::Condition> {
    let (after_at, after_id) = parse_time_id_key(key)?;
    Ok(sea_orm::Condition::any().add(at.gt(after_at)).add(
        sea_orm::Condition::all()
            .add(at.eq(after_at))
            .add(id.gt(after_id)),
    ))
}
