//! The formats a status report is served in, chosen from the request's
//! `Accept` header by proper content negotiation (RFC 9110 §12.5.1): media
//! ranges with quality values, the most specific range deciding a format's
//! quality, `q=0` ruling a format out, and 406 when no format is acceptable.

use crate::problem::{ApiError, Problem, ProblemKind};

/// A format of the status report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// The JSON document of the OpenAPI schema (the default).
    Json,
    /// One row per organisation and a row `all`, with a header row.
    Csv,
    /// Tables of figures and recommendations.
    Markdown,
}

impl ReportFormat {
    /// Every format, the default first: with nothing to choose between them
    /// (no `Accept`, or `*/*`), the first wins.
    pub const ALL: [Self; 3] = [Self::Json, Self::Csv, Self::Markdown];

    /// The media type, without parameters.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv",
            Self::Markdown => "text/markdown",
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Markdown => "text/markdown; charset=utf-8",
        }
    }

    /// The format an `Accept` header asks for. No header (or an empty one)
    /// accepts anything, so JSON. Otherwise each format takes the quality of
    /// the most specific range that matches it; the best quality wins, then
    /// an exact range over a wildcard, then the range the client listed
    /// first, then [`ReportFormat::ALL`]'s order. 406 when every format is
    /// unmatched or ruled out with `q=0`.
    pub fn negotiate(accept: Option<&str>) -> Result<Self, ApiError> {
        let offered = Self::ALL.map(Self::media_type);
        choose(accept, &offered)
            .map(|index| Self::ALL[index])
            .ok_or_else(|| {
                Problem::of(
                    ProblemKind::NotAcceptable,
                    "the status report is served as application/json, text/csv or text/markdown",
                )
                .into_error()
            })
    }
}

/// Which of `offered` (media types, the default first) an `Accept` header
/// asks for, by the rules of [`ReportFormat::negotiate`]; none when every
/// one is unmatched or ruled out.
pub fn choose(accept: Option<&str>, offered: &[&str]) -> Option<usize> {
    let ranges: Vec<Range> = accept
        .unwrap_or("")
        .split(',')
        .filter_map(Range::parse)
        .collect();
    if ranges.is_empty() {
        return Some(0);
    }
    offered
        .iter()
        .enumerate()
        .filter_map(|(preference, media_type)| {
            let (position, range) = ranges
                .iter()
                .enumerate()
                .filter(|(_, range)| range.matches(media_type))
                .max_by_key(|(position, range)| (range.specificity, usize::MAX - position))?;
            (range.quality > 0).then_some((
                range.quality,
                range.specificity,
                usize::MAX - position,
                usize::MAX - preference,
                preference,
            ))
        })
        .max_by_key(|&(quality, specificity, position, preference, _)| {
            (quality, specificity, position, preference)
        })
        .map(|(.., index)| index)
}

/// One media range of an `Accept` header, e.g. `text/*;q=0.5`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    /// `type/subtype` in lower case; either may be `*`.
    media_type: String,
    /// 0 for `*/*`, 1 for `type/*`, 2 for `type/subtype`.
    specificity: u8,
    /// The quality in thousandths (0 to 1000).
    quality: u16,
}

impl Range {
    /// Reads one range; `None` for an empty or malformed one, which is
    /// ignored as RFC 9110 lets a server do.
    fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split(';');
        let media_type = parts.next()?.trim().to_ascii_lowercase();
        let (kind, subtype) = media_type.split_once('/')?;
        if kind.is_empty() || subtype.is_empty() || (kind == "*" && subtype != "*") {
            return None;
        }
        let specificity = match (kind, subtype) {
            ("*", _) => 0,
            (_, "*") => 1,
            _ => 2,
        };
        let mut quality = 1000;
        for parameter in parts {
            if let Some((name, value)) = parameter.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                quality = parse_quality(value.trim())?;
            }
        }
        Some(Self {
            media_type,
            specificity,
            quality,
        })
    }

    fn matches(&self, media_type: &str) -> bool {
        match self.specificity {
            0 => true,
            1 => media_type.split('/').next() == self.media_type.split('/').next(),
            _ => media_type == self.media_type,
        }
    }
}

/// A quality value (`0`, `0.5`, `1.000`…) in thousandths; `None` when it is
/// not one.
fn parse_quality(raw: &str) -> Option<u16> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(accept: Option<&str>) -> Result<ReportFormat, u16> {
        ReportFormat::negotiate(accept).map_err(|e| e.0.status)
    }

    #[test]
    fn accept_headers_choose_the_formats_a_client_would_expect() {
        use ReportFormat::{Csv, Json, Markdown};
        let cases: [(Option<&str>, Result<ReportFormat, u16>); 17] = [
            (None, Ok(Json)),
            (Some(""), Ok(Json)),
            (Some("*/*"), Ok(Json)),
            (Some("application/json"), Ok(Json)),
            (Some("text/csv"), Ok(Csv)),
            (Some("TEXT/CSV; charset=utf-8"), Ok(Csv)),
            (Some("text/markdown"), Ok(Markdown)),
            // Quality decides, whatever the order.
            (Some("text/csv;q=0.5, text/markdown"), Ok(Markdown)),
            (Some("application/json;q=0.1, text/csv;q=0.9"), Ok(Csv)),
            // An exact range beats a wildcard of the same quality.
            (Some("*/*, text/markdown"), Ok(Markdown)),
            // A wildcard type picks the first listed... or the default order.
            (Some("text/*"), Ok(Csv)),
            (Some("text/markdown, text/csv"), Ok(Markdown)),
            // A browser's header: JSON through */*.
            (
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                Ok(Json),
            ),
            // q=0 rules a format out, even under a wildcard.
            (Some("application/json;q=0, */*"), Ok(Csv)),
            // Nothing acceptable: 406.
            (Some("text/html"), Err(406)),
            (Some("*/*;q=0"), Err(406)),
            // A malformed range is ignored, not obeyed.
            (Some("nonsense, text/csv;q=2"), Ok(Json)),
        ];
        for (accept, expected) in cases {
            assert_eq!(chosen(accept), expected, "{accept:?}");
        }
    }

    #[test]
    fn qualities_are_read_to_three_decimals() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.125"), Some(125));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("1.5"), None);
        assert_eq!(parse_quality("0.1234"), None);
        assert_eq!(parse_quality("2"), None);
        assert_eq!(parse_quality("-0"), None);
    }
}
