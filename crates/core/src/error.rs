//! The one error type of core: an input that is invalid, or a move that the
//! rules refuse. The API maps each variant to one status code (422, 404, 403,
//! 409); nothing else in core fails.

use serde::Serialize;

use crate::assignment::AssignmentStatus;
use crate::lifecycle::{Command, Transition};
use crate::role::Role;
use crate::validation::ValidationErrors;

/// Why core refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Some fields are invalid; every one is listed.
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// The input is valid but the rules do not allow the move.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A move the rules do not allow, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// The assignment belongs to an organisation whose data the actor may not
    /// see; it must be answered as if it did not exist (404), so that ids of
    /// others' data are not confirmed.
    #[error("no such assignment")]
    NotVisible,
    /// The actor sees the data but its role never does this (403).
    #[error("{} may not {action}", role.map_or("the console", Role::as_str))]
    NotPermitted {
        /// What was refused: a command name such as `claim`, or an action
        /// such as `create_report`.
        action: String,
        /// The actor's role; none for the console.
        role: Option<Role>,
    },
    /// The command is the actor's to give, but not from the current status
    /// (409). `allowed` lists every move open from it: empty from a final status.
    #[error("cannot {command} an assignment that is {current_status}")]
    InvalidMove {
        /// The command refused.
        command: Command,
        /// Where the assignment stands.
        current_status: AssignmentStatus,
        /// The moves open from `current_status`, from the lifecycle table.
        allowed: Vec<Transition>,
    },
    /// Another state rule refuses it (409): an extension asked too late or
    /// twice, a decided extension decided again, a closed milestone changed.
    #[error("{reason}")]
    Conflict {
        /// What rule refused it.
        reason: String,
    },
}
