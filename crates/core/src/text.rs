//! Validated text: slugs and bounded, non-empty text.
//!
//! Holding one of these types means the text is valid: the only ways in are
//! `parse` and serde (which calls `parse`). Lengths count characters (Unicode
//! scalar values), not bytes, so that a limit means the same in every script.
//! Surrounding whitespace is trimmed; nothing else is rewritten.
//!
//! **The text rule.** Text is what it shows: no field may hold a character
//! that changes how the text around it is displayed without being seen
//! itself ([`is_hidden_format`]): the bidirectional controls (U+061C,
//! U+200E–U+200F, U+202A–U+202E, U+2066–U+2069), which can make
//! `txt.exe` read `exe.txt`, and the invisible formatting characters
//! (U+00AD soft hyphen, U+180E, U+200B zero width space, U+2060–U+2064,
//! U+FEFF, U+FFF9–U+FFFB). Single-line text also refuses every control
//! character; long text keeps line breaks and tabs, what a person types, and
//! refuses the other controls. The zero-width joiner and non-joiner
//! (U+200C, U+200D) are allowed: scripts such as Persian and Devanagari and
//! emoji sequences need them, and they reorder nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Implements the conversions shared by every string newtype whose `parse`
/// takes `&str` and returns `Result<Self, String>`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The text itself.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = String;

            fn try_from(raw: &str) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}
pub(crate) use string_newtype;

/// Checks the slug rule shared by report slugs, themes and organisation codes:
/// 2 to 64 characters from `a-z`, `0-9` and `-`.
pub(crate) fn check_slug(raw: &str) -> Result<(), String> {
    if !(2..=64).contains(&raw.len()) {
        return Err("must be 2 to 64 characters long".to_owned());
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("may hold only lower-case letters a-z, digits and hyphens".to_owned());
    }
    Ok(())
}

/// The characters that change how text displays without being seen
/// themselves, as inclusive ranges: the bidirectional controls and the
/// invisible formatting characters (see the module's text rule). The OpenAPI
/// document states the rule from this same list.
pub const HIDDEN_FORMAT: [(char, char); 10] = [
    ('\u{00AD}', '\u{00AD}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200B}'),
    ('\u{200E}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
];

/// Whether `c` is one of [`HIDDEN_FORMAT`].
pub fn is_hidden_format(c: char) -> bool {
    HIDDEN_FORMAT
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&c))
}

/// Refuses text holding a hidden formatting character, naming it.
fn check_shown(text: &str) -> Result<(), String> {
    match text.chars().find(|c| is_hidden_format(*c)) {
        Some(c) => Err(format!(
            "must not contain invisible or text-direction characters (it contains U+{:04X})",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// A URL-safe name: a report's slug (`operation-hotton`) or a theme (`vetting`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Accepts 2 to 64 characters from `a-z`, `0-9` and `-`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_slug(raw)?;
        Ok(Self(raw.to_owned()))
    }
}
string_newtype!(Slug);

/// Refuses empty text and text longer than `max` characters; returns it trimmed.
fn bounded(raw: &str, max: usize) -> Result<&str, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let length = trimmed.chars().count();
    if length > max {
        return Err(format!(
            "must be at most {max} characters long (it is {length})"
        ));
    }
    Ok(trimmed)
}

/// One line of text of at most `MAX` characters: no line breaks or other
/// control characters. Used for titles and names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SingleLine<const MAX: usize>(String);

impl<const MAX: usize> SingleLine<MAX> {
    /// Trims, then accepts 1 to `MAX` characters with no control character.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = bounded(raw, MAX)?;
        if text.chars().any(char::is_control) {
            return Err("must be one line, without control characters".to_owned());
        }
        check_shown(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The text itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text of at most `MAX` characters: line breaks and tabs are kept, other
/// control characters are refused. Used for bodies, narratives and comments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MultiLine<const MAX: usize>(String);

impl<const MAX: usize> MultiLine<MAX> {
    /// Trims, then accepts 1 to `MAX` characters; `\n`, `\r` and `\t` are allowed.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = bounded(raw, MAX)?;
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(
                "must not contain control characters other than line breaks and tabs".to_owned(),
            );
        }
        check_shown(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The text itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! generic_text_impls {
    ($name:ident) => {
        impl<const MAX: usize> fmt::Display for $name<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<const MAX: usize> TryFrom<String> for $name<MAX> {
            type Error = String;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl<const MAX: usize> From<$name<MAX>> for String {
            fn from(value: $name<MAX>) -> String {
                value.0
            }
        }
    };
}
generic_text_impls!(SingleLine);
generic_text_impls!(MultiLine);

/// Longest title of a recommendation, milestone or evidence item, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest body, narrative, rationale or comment, in characters.
pub const LONG_TEXT_MAX: usize = 20_000;

/// A title: one line, at most 200 characters.
pub type Title = SingleLine<TITLE_MAX>;
/// A name (of an organisation, a token's label): one line, at most 200 characters.
pub type Name = SingleLine<TITLE_MAX>;
/// Free text: at most 20,000 characters.
pub type LongText = MultiLine<LONG_TEXT_MAX>;

/// Parses optional free text: absent or blank is `None`, anything else must be valid.
pub fn optional_long_text(raw: Option<&str>) -> Result<Option<LongText>, String> {
    match raw {
        Some(text) if !text.trim().is_empty() => LongText::parse(text).map(Some),
        _ => Ok(None),
    }
}
