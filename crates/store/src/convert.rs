//! Conversions between stored columns and domain values: timestamps as
//! microseconds since the Unix epoch, days as whole days since 1970-01-01,
//! and enums by their wire names.

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::occurrence::Occurrence;
use rectrack_core::time::truncate_to_micros;

use crate::error::{Error, Result};

/// A timestamp as stored.
pub fn micros(at: DateTime<Utc>) -> i64 {
    truncate_to_micros(at).timestamp_micros()
}

/// A stored timestamp.
pub fn from_micros(us: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| Error::Corrupt(format!("timestamp {us} is out of range")))
}

/// Whole days since 1970-01-01 (negative before).
pub fn day_number(day: NaiveDate) -> i32 {
    let days = (day - NaiveDate::default()).num_days();
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// A serde-serialisable enum's wire name (`"in_progress"`).
pub fn wire<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// An enum from its stored wire name.
pub fn from_wire<T: serde::de::DeserializeOwned>(column: &str, name: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| Error::Corrupt(format!("{column}: `{name}` is not a known value")))
}

/// A fact's occurrence as stored: JSON in an `occurred` column.
pub fn occurrence_json(occurred: &Occurrence) -> Option<String> {
    serde_json::to_string(occurred).ok()
}

/// A fact's stored occurrence; a row written before occurrences were kept
/// (none stored) occurred on the day it was recorded, `recorded_at`.
pub fn occurrence(
    column: &str,
    stored: Option<&str>,
    recorded_at: DateTime<Utc>,
) -> Result<Occurrence> {
    match stored {
        None => Ok(Occurrence::on(recorded_at.date_naive())),
        Some(json) => {
            serde_json::from_str(json).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
        }
    }
}
