//! Timestamps, written one way only.
//!
//! Every timestamp rectrack records is UTC with microsecond precision (what
//! PostgreSQL, MariaDB and SQLite all keep exactly) and is written as RFC 3339
//! with six fractional digits and `Z`. One spelling matters: audit events are
//! hashed over their text, so a timestamp must read back byte for byte as it
//! was written. Core never asks the clock; callers pass the time in.

use chrono::{DateTime, NaiveDate, SubsecRound, TimeZone, Utc};

/// The first day rectrack records: nothing it tracks happened earlier.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(day) => day,
    None => NaiveDate::MIN,
};

/// The last day rectrack records. Every day it accepts, and every day it
/// derives from them (a due day 56 days after an issue), lies between
/// [`FIRST_DAY`] and this, so a day is always written with four digits
/// and its text sorts as the day does on every database.
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2999, 12, 31) {
    Some(day) => day,
    None => NaiveDate::MAX,
};

/// The shape of a day within [`FIRST_DAY`]..=[`LAST_DAY`] (years 1900 to
/// 2999), as the OpenAPI document states it beside `format: date`.
pub const DAY_PATTERN: &str = "^(?:19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$";

/// Refuses a day outside [`FIRST_DAY`]..=[`LAST_DAY`].
pub fn check_day(day: NaiveDate) -> Result<(), String> {
    if (FIRST_DAY..=LAST_DAY).contains(&day) {
        Ok(())
    } else {
        Err(format!(
            "must be a day from {FIRST_DAY} to {LAST_DAY} (it is {day})"
        ))
    }
}

/// The format of every timestamp: `2022-02-01T09:30:00.000000Z`.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Drops precision finer than a microsecond, so a timestamp survives a round
/// trip through any supported database unchanged.
pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// Writes a timestamp in [`TIMESTAMP_FORMAT`].
pub fn format_timestamp(at: &DateTime<Utc>) -> String {
    at.format(TIMESTAMP_FORMAT).to_string()
}

/// The first instant after the end of `day` (UTC): events recorded before it
/// belong to the state "as of" that day.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(NaiveDate::MAX);
    Utc.from_utc_datetime(&next.and_time(chrono::NaiveTime::MIN))
}

/// Serde for timestamps in [`TIMESTAMP_FORMAT`]; reading accepts any RFC 3339.
pub mod utc_micros {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `2022-02-01T09:30:00.000000Z`.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_timestamp(at))
    }

    /// Reads any RFC 3339 timestamp and converts it to UTC.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&raw)
            .map(|at| at.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Serde for optional timestamps in [`TIMESTAMP_FORMAT`].
pub mod utc_micros_option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the timestamp, or `null`.
    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::utc_micros::serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an RFC 3339 timestamp or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let raw = Option::<String>::deserialize(deserializer)?;
        raw.map(|raw| {
            DateTime::parse_from_rfc3339(&raw)
                .map(|at| at.with_timezone(&Utc))
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}
