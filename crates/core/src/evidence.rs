//! Evidence that a recipient offers for its progress and claims.
//!
//! Three kinds: a document (its bytes live in the blob store, named by their
//! SHA-256), a link (http or https only), or a written statement. Evidence is
//! immutable once stored. This file validates what describes evidence; it never
//! touches the bytes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AssignmentId, EvidenceId};
use crate::organisation::OrgCode;
use crate::text::{LongText, Title, optional_long_text, string_newtype};
use crate::time::utc_micros;
use crate::validation::ValidationErrors;

/// Longest URL accepted, in bytes.
pub const URL_MAX: usize = 2048;
/// Longest filename accepted, in bytes (the common filesystem limit).
pub const FILENAME_MAX: usize = 255;

/// An absolute `http` or `https` URL with a host and no credentials. Schemes
/// such as `javascript:`, `data:` and `file:` are refused, so a link can be
/// shown to the public as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Accepts absolute http(s) URLs of at most 2,048 bytes; keeps the URL as
    /// the `url` crate normalises it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if raw.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} bytes long"));
        }
        let url = url::Url::parse(raw).map_err(|e| format!("is not a valid URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "must use http or https (it uses `{}`)",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password".to_owned());
        }
        let normalised = String::from(url);
        if normalised.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} bytes long"));
        }
        Ok(Self(normalised))
    }
}
string_newtype!(HttpUrl);

/// A file's name with no path in it: no `/` or `\`, not `.` or `..`, no control
/// characters and no invisible direction or zero-width marks (which can
/// disguise an extension), at most 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SafeFilename(String);

impl SafeFilename {
    /// Refuses anything that is not a plain file name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err("must not be empty".to_owned());
        }
        if raw.trim() != raw {
            return Err("must not begin or end with white space".to_owned());
        }
        if raw.len() > FILENAME_MAX {
            return Err(format!("must be at most {FILENAME_MAX} bytes long"));
        }
        if raw.contains(['/', '\\']) || raw == "." || raw == ".." {
            return Err("must be a plain file name, without any path".to_owned());
        }
        if raw.chars().any(|c| c.is_control() || is_invisible_mark(c)) {
            return Err("must not contain control or invisible formatting characters".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }
}
string_newtype!(SafeFilename);

/// Zero-width and bidirectional formatting characters, and the joiners
/// (which have no place in a file name).
fn is_invisible_mark(c: char) -> bool {
    crate::text::is_hidden_format(c) || matches!(c, '\u{200C}' | '\u{200D}')
}

/// A media type such as `application/pdf`, lower-cased, without parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaType(String);

impl MediaType {
    /// Accepts `type/subtype` made of RFC 6838 name characters; drops any
    /// parameters (`; charset=…`) and lower-cases the rest.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let essence = raw.split(';').next().unwrap_or_default().trim();
        let valid_part = |part: &str| {
            (1..=127).contains(&part.len())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
        };
        match essence.split_once('/') {
            Some((kind, sub)) if valid_part(kind) && valid_part(sub) => {
                Ok(Self(essence.to_ascii_lowercase()))
            }
            _ => Err("must be a media type such as `application/pdf`".to_owned()),
        }
    }

    /// `application/octet-stream`, for uploads that name no type.
    pub fn octet_stream() -> Self {
        Self("application/octet-stream".to_owned())
    }
}
string_newtype!(MediaType);

/// A SHA-256 digest as 64 lower-case hexadecimal characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Accepts exactly 64 characters of `0-9a-f`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 64 lower-case hexadecimal characters".to_owned())
        }
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        Self(hex::encode(sha2::Sha256::digest(bytes)))
    }

    /// Wraps a finished digest.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(hex::encode(digest))
    }
}
string_newtype!(Sha256Hex);

/// The three kinds of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// An uploaded file.
    Document,
    /// A link to a public page.
    Link,
    /// A written statement.
    Statement,
}

impl EvidenceKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Document, Self::Link, Self::Statement];

    /// The wire name, e.g. `link`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Link => "link",
            Self::Statement => "statement",
        }
    }

    /// Reads a wire name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not a kind of evidence"))
    }
}

/// What an evidence item is, by kind. Serialised flat, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceContent {
    /// An uploaded file, stored in the blob store under its SHA-256.
    Document {
        /// Its name as uploaded.
        filename: SafeFilename,
        /// Its declared media type.
        media_type: MediaType,
        /// Its length in bytes.
        size_bytes: u64,
        /// The SHA-256 of its bytes.
        sha256: Sha256Hex,
    },
    /// A link to a public page.
    Link {
        /// Where it points.
        url: HttpUrl,
    },
    /// A written statement.
    Statement {
        /// What it says.
        text: LongText,
    },
}

impl EvidenceContent {
    /// Which kind this is.
    pub fn kind(&self) -> EvidenceKind {
        match self {
            Self::Document { .. } => EvidenceKind::Document,
            Self::Link { .. } => EvidenceKind::Link,
            Self::Statement { .. } => EvidenceKind::Statement,
        }
    }
}

/// An evidence item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Its id.
    pub id: EvidenceId,
    /// The assignment it supports.
    pub assignment_id: AssignmentId,
    /// Short title.
    pub title: Title,
    /// Optional description.
    pub description: Option<LongText>,
    /// The document, link or statement.
    #[serde(flatten)]
    pub content: EvidenceContent,
    /// When it was stored.
    #[serde(with = "utc_micros")]
    pub submitted_at: DateTime<Utc>,
    /// The organisation that submitted it.
    pub submitted_by: OrgCode,
}

/// The part of an evidence item a client describes, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceDraft {
    /// An uploaded file; the blob store supplies `size_bytes` and `sha256`.
    Document {
        /// Title.
        title: String,
        /// Optional description.
        #[serde(default)]
        description: Option<String>,
        /// The name the file was uploaded under.
        filename: String,
        /// The declared media type, if any.
        #[serde(default)]
        media_type: Option<String>,
        /// Length in bytes, as measured while storing.
        size_bytes: u64,
        /// SHA-256, as computed while storing.
        sha256: String,
    },
    /// A link.
    Link {
        /// Title.
        title: String,
        /// Optional description.
        #[serde(default)]
        description: Option<String>,
        /// Where it points.
        url: String,
    },
    /// A statement.
    Statement {
        /// Title.
        title: String,
        /// Optional description.
        #[serde(default)]
        description: Option<String>,
        /// What it says.
        text: String,
    },
}

/// A validated evidence description, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceParts {
    /// Title.
    pub title: Title,
    /// Optional description.
    pub description: Option<LongText>,
    /// The document, link or statement.
    pub content: EvidenceContent,
}

impl EvidenceDraft {
    /// Checks that evidence entered from the record (an import's claim)
    /// is a statement or a link: a document's bytes come only by upload.
    pub fn check_from_record(&self) -> Result<(), ValidationErrors> {
        match self {
            Self::Document { .. } => Err(ValidationErrors::single(
                "kind",
                "evidence entered from the record is a statement or a link",
            )),
            Self::Link { .. } | Self::Statement { .. } => Ok(()),
        }
    }

    /// Validates every field, reporting all that are invalid.
    pub fn parse(&self) -> Result<EvidenceParts, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let (title, description) = match self {
            Self::Document {
                title, description, ..
            }
            | Self::Link {
                title, description, ..
            }
            | Self::Statement {
                title, description, ..
            } => (title, description),
        };
        let title = errors.check("title", Title::parse(title));
        let description = errors.check("description", optional_long_text(description.as_deref()));
        let content = match self {
            Self::Document {
                filename,
                media_type,
                size_bytes,
                sha256,
                ..
            } => {
                let filename = errors.check("filename", SafeFilename::parse(filename));
                let media_type = errors.check(
                    "media_type",
                    media_type
                        .as_deref()
                        .map_or_else(|| Ok(MediaType::octet_stream()), MediaType::parse),
                );
                let sha256 = errors.check("sha256", Sha256Hex::parse(sha256));
                match (filename, media_type, sha256) {
                    (Some(filename), Some(media_type), Some(sha256)) => {
                        Some(EvidenceContent::Document {
                            filename,
                            media_type,
                            size_bytes: *size_bytes,
                            sha256,
                        })
                    }
                    _ => None,
                }
            }
            Self::Link { url, .. } => errors
                .check("url", HttpUrl::parse(url))
                .map(|url| EvidenceContent::Link { url }),
            Self::Statement { text, .. } => errors
                .check("text", LongText::parse(text))
                .map(|text| EvidenceContent::Statement { text }),
        };
        match (title, description, content) {
            (Some(title), Some(description), Some(content)) => Ok(EvidenceParts {
                title,
                description,
                content,
            }),
            _ => Err(errors),
        }
    }
}
