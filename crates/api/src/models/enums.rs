//! The enums of the contract, as the OpenAPI document lists them; each maps
//! one to one onto its core enum.

use poem_openapi::Enum;
use rectrack_core as domain;

/// Declares an API enum mirroring a core enum variant for variant.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident => $core:path { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
        #[oai(rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(
                #[allow(missing_docs)]
                $variant,
            )*
        }

        impl From<$core> for $name {
            fn from(value: $core) -> Self {
                match value {
                    $(<$core>::$variant => Self::$variant,)*
                }
            }
        }

        impl From<$name> for $core {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => <$core>::$variant,)*
                }
            }
        }
    };
}

wire_enum!(
    /// What kind of body an organisation is.
    OrganisationKind => domain::organisation::OrganisationKind { OversightBody, PoliceForce, NationalBody, Other }
);
wire_enum!(
    /// Where an assignment stands.
    AssignmentStatus => domain::assignment::AssignmentStatus {
        AwaitingResponse, Accepted, PartiallyAccepted, NotAccepted, InProgress,
        ImplementationClaimed, Verified, ClosedNotImplemented, Withdrawn,
    }
);
wire_enum!(
    /// A recipient's decision.
    Decision => domain::response::ResponseDecision { Accepted, PartiallyAccepted, NotAccepted }
);
wire_enum!(
    /// Where a milestone stands.
    MilestoneStatus => domain::milestone::MilestoneStatus { Planned, InProgress, Done, Dropped }
);
wire_enum!(
    /// The kinds of evidence.
    EvidenceKind => domain::evidence::EvidenceKind { Document, Link, Statement }
);
wire_enum!(
    /// What the overseer concluded.
    ReviewOutcome => domain::review::ReviewOutcome { Verified, Returned, ClosedNotImplemented, Comment }
);
wire_enum!(
    /// What a token may do.
    Role => domain::role::Role { Overseer, Recipient, Observer }
);
wire_enum!(
    /// Where a person's account stands: `invited` (no password set yet),
    /// `active`, or `disabled`.
    PersonState => domain::person::PersonState { Invited, Active, Disabled }
);
wire_enum!(
    /// Where an extension request stands.
    ExtensionStatus => domain::deadline::ExtensionStatus { Pending, Granted, Refused }
);

wire_enum!(
    /// How exactly the day a fact happened is known: `exact`, or
    /// `on_or_before` when only the latest day it can have happened is.
    DatePrecision => domain::occurrence::DatePrecision { Exact, OnOrBefore }
);
wire_enum!(
    /// Whether a first response came in time: `on_time`, `late`, or
    /// `unknown` when its day is known only as on or before a day after the
    /// due day.
    ResponseTiming => domain::deadline::ResponseTiming { OnTime, Late, Unknown }
);
wire_enum!(
    /// Which facts a report as of a past day counts: those `recorded` by the
    /// end of the day (what was known then), or those that had `occurred` by
    /// then, as known now.
    Basis => domain::status_report::Basis { Recorded, Occurred }
);

/// The power a recommendation is made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum LegalBasis {
    /// Police Reform Act 2002, Schedule 3, paragraph 28A.
    #[oai(rename = "para_28a")]
    Para28a,
    /// A learning recommendation.
    #[oai(rename = "learning")]
    Learning,
    /// Any other basis.
    #[oai(rename = "other")]
    Other,
}

impl From<domain::recommendation::LegalBasis> for LegalBasis {
    fn from(value: domain::recommendation::LegalBasis) -> Self {
        match value {
            domain::recommendation::LegalBasis::Para28a => Self::Para28a,
            domain::recommendation::LegalBasis::Learning => Self::Learning,
            domain::recommendation::LegalBasis::Other => Self::Other,
        }
    }
}

impl From<LegalBasis> for domain::recommendation::LegalBasis {
    fn from(value: LegalBasis) -> Self {
        match value {
            LegalBasis::Para28a => Self::Para28a,
            LegalBasis::Learning => Self::Learning,
            LegalBasis::Other => Self::Other,
        }
    }
}

wire_enum!(
    /// What the overseer decides about a response's text: `publish` it
    /// whole now, `publish_redacted` (a redacted text instead, with a
    /// reason) or `withhold` it (with a reason).
    PublicationAction => domain::publication::PublicationAction { Publish, PublishRedacted, Withhold }
);

/// Whether a response's text is public: `pending` (public by itself on
/// `publish_by` unless withheld), `published` (whole), `redacted` (a
/// redacted text) or `withheld`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PublicationState {
    #[allow(missing_docs)]
    Pending,
    #[allow(missing_docs)]
    Published,
    #[allow(missing_docs)]
    Redacted,
    #[allow(missing_docs)]
    Withheld,
}
