//! rectrack end to end, as its users meet it: the real service on
//! `127.0.0.1:0` with its own temporary database (`helpers::TestApp`),
//! spoken to over real HTTP, and the `rectrack` command run as a process.
//! One binary, one module per part of the contract:
//!
//! - `journey` — Operation Hotton from report to verified claims, step by step;
//! - `authz_matrix` — who may do what to whose data;
//! - `bad_input` — every kind of bad request, and that it changes nothing;
//! - `http_conventions` — request ids, idempotency, cursors, negotiation;
//! - `security` — tokens, private mode, uploads and downloads;
//! - `history` — facts entered as they happened, and both time lines;
//! - `publication` — when a response's text is public, and who decides;
//! - `transfer` — imports, exports and the OSCAL POA&M;
//! - `problems` — one problem document of each kind, as a snapshot;
//! - `site` — the public web pages: snapshots, escaping, what they never show;
//! - `workspace` — signing in, sessions, forms' tokens, throttling, the second factor;
//! - `spec_drift` — the OpenAPI document served is the one committed;
//! - `cli`, `readme`, `examples` — the command, the README walkthrough and
//!   the runnable examples.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

mod helpers;

mod authz_matrix;
mod bad_input;
mod cli;
mod examples;
mod history;
mod hostile;
mod http_conventions;
mod journey;
mod log;
mod problems;
mod publication;
mod readme;
mod security;
mod site;
mod spec_drift;
mod transfer;
mod witnessed;
mod workspace;
