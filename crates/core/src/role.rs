//! Roles and the actor behind a request.
//!
//! A token is bound to one organisation and one role; the [`Actor`] carries both
//! (and the organisation's kind) into every decision core makes about access.

use serde::{Deserialize, Serialize};

use crate::organisation::{OrgCode, OrganisationKind};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Of an oversight body: everything.
    Overseer,
    /// Of a recipient organisation: acts on its own assignments only.
    Recipient,
    /// Read-only, limited to its organisation's data (an oversight body's
    /// observer reads everything).
    Observer,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Self; 3] = [Self::Overseer, Self::Recipient, Self::Observer];

    /// The wire name, e.g. `overseer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Overseer => "overseer",
            Self::Recipient => "recipient",
            Self::Observer => "observer",
        }
    }

    /// Whether a token of this role may be issued to an organisation of `kind`:
    /// overseers only to oversight bodies, recipients never to them.
    pub fn fits(self, kind: OrganisationKind) -> bool {
        match self {
            Self::Overseer => kind == OrganisationKind::OversightBody,
            Self::Recipient => kind != OrganisationKind::OversightBody,
            Self::Observer => true,
        }
    }
}

/// Who is acting: the organisation and role of the token presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The token's organisation.
    pub organisation: OrgCode,
    /// That organisation's kind.
    pub organisation_kind: OrganisationKind,
    /// The token's role.
    pub role: Role,
}

impl Actor {
    /// True for overseers and for observers of an oversight body, who may read
    /// every organisation's data.
    pub fn sees_everything(&self) -> bool {
        match self.role {
            Role::Overseer => true,
            Role::Observer => self.organisation_kind == OrganisationKind::OversightBody,
            Role::Recipient => false,
        }
    }

    /// Whether this actor may see data (even token-only data) of `organisation`.
    /// Data it may not see must be answered as if it did not exist.
    pub fn sees(&self, organisation: &OrgCode) -> bool {
        self.sees_everything() || &self.organisation == organisation
    }
}
