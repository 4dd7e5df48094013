//! Roles and the actor behind a request.
//!
//! A token is bound to one organisation and one role; the [`Actor`] carries both
//! (and the organisation's kind) into every decision core makes about access.

use serde::{Deserialize, Serialize};

use crate::audit::AuditActor;
use crate::error::Refusal;
use crate::ids::{PersonId, TokenId};
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

    /// The role whose wire name is `name`, if any.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
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

/// Who is behind a change: a token, a signed-in person, or the operator at
/// the console running `rectrack init`, `seed` or `token` (who holds the
/// database itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The operator at the console; audited with no token.
    Console,
    /// A client presenting a token.
    Token {
        /// The token's id.
        token_id: TokenId,
        /// The token's organisation and role.
        actor: Actor,
    },
    /// A person signed in to the workspace.
    Person {
        /// The person's id.
        person_id: PersonId,
        /// The person's organisation and role.
        actor: Actor,
    },
}

impl Principal {
    /// The actor of a token or person; none for the console.
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            Self::Console => None,
            Self::Token { actor, .. } | Self::Person { actor, .. } => Some(actor),
        }
    }

    /// How this principal is recorded in the audit chain.
    pub fn audit_actor(&self) -> AuditActor {
        match self {
            Self::Console => AuditActor::default(),
            Self::Token { token_id, actor } => AuditActor {
                token_id: Some(*token_id),
                person_id: None,
                organisation: Some(actor.organisation.clone()),
                role: Some(actor.role),
            },
            Self::Person { person_id, actor } => AuditActor {
                token_id: None,
                person_id: Some(*person_id),
                organisation: Some(actor.organisation.clone()),
                role: Some(actor.role),
            },
        }
    }

    /// Creating organisations, reports and recommendations, and managing
    /// tokens and people, is for the overseer (or the console); `action`
    /// names the refused action, e.g. `create_report`.
    pub fn require_overseer(&self, action: &str) -> Result<(), Refusal> {
        match self.actor() {
            None => Ok(()),
            Some(actor) if actor.role == Role::Overseer => Ok(()),
            Some(actor) => Err(Refusal::NotPermitted {
                action: action.to_owned(),
                role: Some(actor.role),
            }),
        }
    }

    /// Reading what spans every organisation (the audit chain) is for those
    /// who see everything: the overseer, an oversight body's observer, and
    /// the console.
    pub fn require_sees_everything(&self, action: &str) -> Result<(), Refusal> {
        match self.actor() {
            None => Ok(()),
            Some(actor) if actor.sees_everything() => Ok(()),
            Some(actor) => Err(Refusal::NotPermitted {
                action: action.to_owned(),
                role: Some(actor.role),
            }),
        }
    }

    /// The actor for a lifecycle command; the console gives none.
    pub fn require_actor(&self, action: &str) -> Result<&Actor, Refusal> {
        self.actor().ok_or_else(|| Refusal::NotPermitted {
            action: action.to_owned(),
            role: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn every_role_is_named_by_its_wire_name_and_nothing_else_is() {
        for role in Role::ALL {
            assert_eq!(Role::named(role.as_str()), Some(role));
        }
        assert_eq!(Role::named("Overseer"), None);
        assert_eq!(Role::named(""), None);
    }
}
