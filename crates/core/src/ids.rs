//! Identifiers of the entities rectrack tracks.
//!
//! Each entity has its own UUID newtype so that an evidence id can never be passed
//! where a milestone id is expected. Ids are made at the edges (the store), never
//! here: core has no source of randomness and must not grow one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID made elsewhere (by the store, or read back from it).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(raw)
                    .map(Self)
                    .map_err(|_| format!("`{raw}` is not a UUID"))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

entity_id!(
    /// Identifies a recommendation.
    RecommendationId
);
entity_id!(
    /// Identifies an assignment: one recommendation as made to one recipient.
    AssignmentId
);
entity_id!(
    /// Identifies a milestone of an assignment.
    MilestoneId
);
entity_id!(
    /// Identifies an evidence item.
    EvidenceId
);
entity_id!(
    /// Identifies a progress update.
    UpdateId
);
entity_id!(
    /// Identifies an extension request.
    ExtensionRequestId
);
entity_id!(
    /// Identifies an overseer's review.
    ReviewId
);
entity_id!(
    /// Identifies an implementation claim.
    ClaimId
);
entity_id!(
    /// Identifies an API token (never the secret itself).
    TokenId
);
entity_id!(
    /// Identifies a person's account.
    PersonId
);
