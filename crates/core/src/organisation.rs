//! Organisations: the oversight body that makes recommendations and the
//! recipients (forces, national bodies) that answer them.

use serde::{Deserialize, Serialize};

use crate::text::{Name, check_slug, string_newtype};
use crate::validation::ValidationErrors;

/// An organisation's code, e.g. `iopc` or `mps`: 2 to 64 of `a-z`, `0-9`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgCode(String);

impl OrgCode {
    /// Accepts 2 to 64 characters from `a-z`, `0-9` and `-`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_slug(raw)?;
        Ok(Self(raw.to_owned()))
    }
}
string_newtype!(OrgCode);

/// What kind of body an organisation is; only an oversight body issues reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// Sets recommendations and verifies their implementation (e.g. the IOPC).
    OversightBody,
    /// A territorial police force (e.g. the MPS).
    PoliceForce,
    /// A national body such as the College of Policing.
    NationalBody,
    /// Any other recipient.
    Other,
}

impl OrganisationKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 4] = [
        Self::OversightBody,
        Self::PoliceForce,
        Self::NationalBody,
        Self::Other,
    ];

    /// Whether a body of this kind may issue reports: only an oversight body.
    pub fn issues_reports(self) -> bool {
        self == Self::OversightBody
    }

    /// Whether recommendations may be made to a body of this kind: to any
    /// but an oversight body.
    pub fn receives_recommendations(self) -> bool {
        self != Self::OversightBody
    }

    /// The wire name, e.g. `oversight_body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OversightBody => "oversight_body",
            Self::PoliceForce => "police_force",
            Self::NationalBody => "national_body",
            Self::Other => "other",
        }
    }
}

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Its unique code.
    pub code: OrgCode,
    /// Its full name.
    pub name: Name,
    /// What kind of body it is.
    pub kind: OrganisationKind,
}

/// An organisation as a client describes it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationDraft {
    /// Proposed code.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Kind of body.
    pub kind: OrganisationKind,
}

impl OrganisationDraft {
    /// Validates every field, reporting all that are invalid.
    pub fn parse(&self) -> Result<Organisation, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = errors.check("code", OrgCode::parse(&self.code));
        let name = errors.check("name", Name::parse(&self.name));
        match (code, name) {
            (Some(code), Some(name)) => Ok(Organisation {
                code,
                name,
                kind: self.kind,
            }),
            _ => Err(errors),
        }
    }
}
