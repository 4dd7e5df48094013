//! The rectrack REST service: the HTTP contract of DESIGN.md on poem-openapi.
//!
//! A handler parses the request, calls one store command or query, and maps
//! the result; rules live in `rectrack-core`, SQL in `rectrack-store`, and
//! nothing here decides whether a move is allowed.

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod connection;
pub mod http;
pub mod models;
pub mod preconditions;
pub mod problem;
pub mod report_cache;
pub mod report_format;
pub mod routes;
pub mod spec;
pub mod types;
