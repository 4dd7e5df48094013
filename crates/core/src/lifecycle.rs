//! The assignment lifecycle, as one table.
//!
//! [`TRANSITIONS`] lists every move an assignment can make: from which status,
//! by which command, to which status, and which party may give the command.
//! [`decide`] is the only function anywhere in rectrack that decides whether a
//! command may be carried out on an assignment; refusals quote the same table,
//! so the `allowed` list of a refusal can never drift from the rules.
//!
//! Commands that do not change the status (planning a milestone, adding
//! evidence, a comment) are rows whose `to` equals their `from`: they are
//! allowed only where a row says so.

use serde::{Deserialize, Serialize};

use crate::assignment::AssignmentStatus;
use crate::error::Refusal;
use crate::organisation::OrgCode;
use crate::response::ResponseDecision;
use crate::review::ReviewOutcome;
use crate::role::{Actor, Principal, Role};

/// Something a party asks to be done to an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// Submit or revise a response with this decision.
    Respond(ResponseDecision),
    /// Ask for a later response due day.
    RequestExtension,
    /// Grant or refuse an extension request.
    DecideExtension,
    /// Add a milestone, or change one's title, due day or drop it.
    PlanMilestone,
    /// Start or finish a milestone.
    StartMilestone,
    /// Post a progress update.
    PostUpdate,
    /// Add an evidence item.
    AddEvidence,
    /// Claim implementation, citing evidence.
    Claim,
    /// Review with this outcome.
    Review(ReviewOutcome),
    /// Withdraw the recommendation.
    Withdraw,
}

impl Command {
    /// Every command, one per distinct row label of the table.
    pub const ALL: [Self; 15] = [
        Self::Respond(ResponseDecision::Accepted),
        Self::Respond(ResponseDecision::PartiallyAccepted),
        Self::Respond(ResponseDecision::NotAccepted),
        Self::RequestExtension,
        Self::DecideExtension,
        Self::PlanMilestone,
        Self::StartMilestone,
        Self::PostUpdate,
        Self::AddEvidence,
        Self::Claim,
        Self::Review(ReviewOutcome::Verified),
        Self::Review(ReviewOutcome::Returned),
        Self::Review(ReviewOutcome::ClosedNotImplemented),
        Self::Review(ReviewOutcome::Comment),
        Self::Withdraw,
    ];

    /// The command's name as clients see it, e.g. `respond_accepted`,
    /// `review_returned`, `post_update`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Respond(ResponseDecision::Accepted) => "respond_accepted",
            Self::Respond(ResponseDecision::PartiallyAccepted) => "respond_partially_accepted",
            Self::Respond(ResponseDecision::NotAccepted) => "respond_not_accepted",
            Self::RequestExtension => "request_extension",
            Self::DecideExtension => "decide_extension",
            Self::PlanMilestone => "plan_milestone",
            Self::StartMilestone => "start_milestone",
            Self::PostUpdate => "post_update",
            Self::AddEvidence => "add_evidence",
            Self::Claim => "claim",
            Self::Review(ReviewOutcome::Verified) => "review_verified",
            Self::Review(ReviewOutcome::Returned) => "review_returned",
            Self::Review(ReviewOutcome::ClosedNotImplemented) => "review_closed_not_implemented",
            Self::Review(ReviewOutcome::Comment) => "review_comment",
            Self::Withdraw => "withdraw",
        }
    }

    /// Reads a name written by [`Command::name`].
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|command| command.name() == raw)
            .ok_or_else(|| format!("`{raw}` is not a command"))
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Command {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Which side of the relationship may give a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The organisation the assignment is addressed to, with a recipient token.
    Recipient,
    /// The oversight body, with an overseer token.
    Overseer,
}

/// One row of the lifecycle: `by` may give `command` to an assignment in
/// `from`, which then stands in `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The status the command applies to.
    pub from: AssignmentStatus,
    /// The command.
    pub command: Command,
    /// The status after it.
    pub to: AssignmentStatus,
    /// Who may give it.
    pub by: Party,
}

const fn row(
    from: AssignmentStatus,
    command: Command,
    to: AssignmentStatus,
    by: Party,
) -> Transition {
    Transition {
        from,
        command,
        to,
        by,
    }
}

use AssignmentStatus::{
    Accepted, AwaitingResponse, ClosedNotImplemented, ImplementationClaimed, InProgress,
    NotAccepted, PartiallyAccepted, Verified, Withdrawn,
};
use Command::{
    AddEvidence, Claim, DecideExtension, PlanMilestone, PostUpdate, RequestExtension, Respond,
    Review, StartMilestone, Withdraw,
};
use Party::{Overseer, Recipient};
use ResponseDecision as Decision;
use ReviewOutcome as Outcome;

/// Every move an assignment can make. Statuses absent from `from` are final.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    // Awaiting a response: the recipient answers (or asks for more time).
    row(AwaitingResponse, Respond(Decision::Accepted),          Accepted,             Recipient),
    row(AwaitingResponse, Respond(Decision::PartiallyAccepted), PartiallyAccepted,    Recipient),
    row(AwaitingResponse, Respond(Decision::NotAccepted),       NotAccepted,          Recipient),
    row(AwaitingResponse, RequestExtension,                     AwaitingResponse,     Recipient),
    row(AwaitingResponse, DecideExtension,                      AwaitingResponse,     Overseer),
    row(AwaitingResponse, Review(Outcome::Comment),             AwaitingResponse,     Overseer),
    row(AwaitingResponse, Review(Outcome::ClosedNotImplemented), ClosedNotImplemented, Overseer),
    row(AwaitingResponse, Withdraw,                             Withdrawn,            Overseer),
    // Accepted: the recipient may revise its response, plan, start work or claim.
    row(Accepted, Respond(Decision::Accepted),                  Accepted,             Recipient),
    row(Accepted, Respond(Decision::PartiallyAccepted),         PartiallyAccepted,    Recipient),
    row(Accepted, Respond(Decision::NotAccepted),               NotAccepted,          Recipient),
    row(Accepted, PlanMilestone,                                Accepted,             Recipient),
    row(Accepted, StartMilestone,                               InProgress,           Recipient),
    row(Accepted, PostUpdate,                                   InProgress,           Recipient),
    row(Accepted, AddEvidence,                                  Accepted,             Recipient),
    row(Accepted, Claim,                                        ImplementationClaimed, Recipient),
    row(Accepted, Review(Outcome::Comment),                     Accepted,             Overseer),
    row(Accepted, Review(Outcome::ClosedNotImplemented),        ClosedNotImplemented, Overseer),
    row(Accepted, Withdraw,                                     Withdrawn,            Overseer),
    // Partially accepted: the same as accepted.
    row(PartiallyAccepted, Respond(Decision::Accepted),          Accepted,             Recipient),
    row(PartiallyAccepted, Respond(Decision::PartiallyAccepted), PartiallyAccepted,    Recipient),
    row(PartiallyAccepted, Respond(Decision::NotAccepted),       NotAccepted,          Recipient),
    row(PartiallyAccepted, PlanMilestone,                        PartiallyAccepted,    Recipient),
    row(PartiallyAccepted, StartMilestone,                       InProgress,           Recipient),
    row(PartiallyAccepted, PostUpdate,                           InProgress,           Recipient),
    row(PartiallyAccepted, AddEvidence,                          PartiallyAccepted,    Recipient),
    row(PartiallyAccepted, Claim,                                ImplementationClaimed, Recipient),
    row(PartiallyAccepted, Review(Outcome::Comment),             PartiallyAccepted,    Overseer),
    row(PartiallyAccepted, Review(Outcome::ClosedNotImplemented), ClosedNotImplemented, Overseer),
    row(PartiallyAccepted, Withdraw,                             Withdrawn,            Overseer),
    // Not accepted: the recipient may only revise its response.
    row(NotAccepted, Respond(Decision::Accepted),               Accepted,             Recipient),
    row(NotAccepted, Respond(Decision::PartiallyAccepted),      PartiallyAccepted,    Recipient),
    row(NotAccepted, Respond(Decision::NotAccepted),            NotAccepted,          Recipient),
    row(NotAccepted, Review(Outcome::Comment),                  NotAccepted,          Overseer),
    row(NotAccepted, Review(Outcome::ClosedNotImplemented),     ClosedNotImplemented, Overseer),
    row(NotAccepted, Withdraw,                                  Withdrawn,            Overseer),
    // In progress: work goes on until the recipient claims implementation.
    row(InProgress, PlanMilestone,                              InProgress,           Recipient),
    row(InProgress, StartMilestone,                             InProgress,           Recipient),
    row(InProgress, PostUpdate,                                 InProgress,           Recipient),
    row(InProgress, AddEvidence,                                InProgress,           Recipient),
    row(InProgress, Claim,                                      ImplementationClaimed, Recipient),
    row(InProgress, Review(Outcome::Comment),                   InProgress,           Overseer),
    row(InProgress, Review(Outcome::ClosedNotImplemented),      ClosedNotImplemented, Overseer),
    row(InProgress, Withdraw,                                   Withdrawn,            Overseer),
    // Implementation claimed: the overseer verifies it or returns it.
    row(ImplementationClaimed, Review(Outcome::Verified),       Verified,             Overseer),
    row(ImplementationClaimed, Review(Outcome::Returned),       InProgress,           Overseer),
    row(ImplementationClaimed, Review(Outcome::Comment),        ImplementationClaimed, Overseer),
    row(ImplementationClaimed, Review(Outcome::ClosedNotImplemented), ClosedNotImplemented, Overseer),
    row(ImplementationClaimed, Withdraw,                        Withdrawn,            Overseer),
    // Verified, closed_not_implemented and withdrawn are final: no rows.
];

/// The moves open from `status`, in table order. Empty from a final status.
pub fn allowed_from(status: AssignmentStatus) -> Vec<Transition> {
    TRANSITIONS
        .iter()
        .filter(|row| row.from == status)
        .copied()
        .collect()
}

/// The party `actor` acts as on an assignment of `organisation`, if any:
/// overseers as the overseer, a recipient token of that very organisation as
/// the recipient; observers never act.
pub fn party_of(actor: &Actor, organisation: &OrgCode) -> Option<Party> {
    match actor.role {
        Role::Overseer => Some(Party::Overseer),
        Role::Recipient if &actor.organisation == organisation => Some(Party::Recipient),
        Role::Recipient | Role::Observer => None,
    }
}

/// Decides whether `actor` may give `command` to an assignment of
/// `organisation` that stands in `status`.
///
/// In order: an actor who may not see the organisation's data gets
/// [`Refusal::NotVisible`]; one whose party never gives this command gets
/// [`Refusal::NotPermitted`]; one whose command has no row from `status` gets
/// [`Refusal::InvalidMove`] with the moves open from it. Otherwise the row
/// that applies is returned.
pub fn decide(
    status: AssignmentStatus,
    organisation: &OrgCode,
    actor: &Actor,
    command: Command,
) -> Result<Transition, Refusal> {
    if !actor.sees(organisation) {
        return Err(Refusal::NotVisible);
    }
    let party = party_of(actor, organisation);
    let party_may = |row: &&Transition| row.command == command && Some(row.by) == party;
    if !TRANSITIONS.iter().any(|row| party_may(&row)) {
        return Err(Refusal::NotPermitted {
            action: command.name().to_owned(),
            role: Some(actor.role),
        });
    }
    TRANSITIONS
        .iter()
        .find(|row| row.from == status && party_may(row))
        .copied()
        .ok_or_else(|| Refusal::InvalidMove {
            command,
            current_status: status,
            allowed: allowed_from(status),
        })
}

/// Decides whether `principal` may record, as a backfill, that `command` was
/// given to an assignment standing in `status`: a fact that happened before
/// today, or is known only as on or before a day. Only the overseer (or the
/// console) records backfills, on behalf of whichever party gave the
/// command: a force's response of 2022 is entered by the oversight body
/// that holds the letter. The lifecycle still decides the move, so a
/// backfilled history is one the lifecycle allows.
pub fn decide_backfill(
    status: AssignmentStatus,
    principal: &Principal,
    command: Command,
) -> Result<Transition, Refusal> {
    principal.require_overseer("record a fact that happened before today (a backfill)")?;
    TRANSITIONS
        .iter()
        .find(|row| row.from == status && row.command == command)
        .copied()
        .ok_or_else(|| Refusal::InvalidMove {
            command,
            current_status: status,
            allowed: allowed_from(status),
        })
}
