//! The rectrack domain: what may happen to a recommendation, by whom, and when.
//!
//! This crate holds every rule of rectrack — validation of what clients send,
//! the assignment lifecycle, deadlines, status reports and the audit chain —
//! as plain functions over plain data. It performs no I/O, spawns no task and
//! never reads the clock: the store and the API call it, pass it the time,
//! and carry out what it decides. Nothing outside this crate decides whether
//! an assignment may move from one status to another.
//!
//! ```
//! use rectrack_core::assignment::AssignmentStatus;
//! use rectrack_core::lifecycle::{self, Command};
//! use rectrack_core::organisation::{OrgCode, OrganisationKind};
//! use rectrack_core::response::ResponseDecision;
//! use rectrack_core::role::{Actor, Role};
//!
//! let mps = OrgCode::parse("mps").unwrap();
//! let force = Actor { organisation: mps.clone(), organisation_kind: OrganisationKind::PoliceForce, role: Role::Recipient };
//! let accept = Command::Respond(ResponseDecision::Accepted);
//! let moved = lifecycle::decide(AssignmentStatus::AwaitingResponse, &mps, &force, accept).unwrap();
//! assert_eq!(moved.to, AssignmentStatus::Accepted);
//! ```

#![forbid(unsafe_code)]

pub mod assignment;
pub mod audit;
pub mod dataset;
pub mod deadline;
pub mod error;
pub mod evidence;
pub mod ids;
pub mod import;
pub mod lifecycle;
pub mod milestone;
pub mod occurrence;
pub mod organisation;
pub mod person;
pub mod progress;
pub mod public;
pub mod publication;
pub mod recommendation;
pub mod report;
pub mod response;
pub mod review;
pub mod role;
pub mod status_render;
pub mod status_report;
pub mod text;
pub mod time;
pub mod tlog;
pub mod validation;

pub use error::{Error, Refusal};
pub use validation::{FieldError, ValidationErrors};
