//! The rectrack schema: the only place tables, keys and indexes are defined.
//!
//! Migrations are applied in name order by [`Migrator`]; each has an `up` and
//! a `down`, and both are tested on SQLite, PostgreSQL and MariaDB. Schema
//! helpers that differ by backend (long text on MySQL, table character set)
//! live in [`columns`]. Never edit a released migration: add a new one.

#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

pub mod columns;
mod m20261125_000001_initial_schema;
mod m20261125_000002_audit_head_follows;
mod m20261125_000003_report_covering_indexes;
mod m20261130_000004_replay_body_only;
mod m20261201_000005_occurred_on;
mod m20261202_000006_state_intervals;
mod m20261203_000007_head_moves_at_commit;
mod m20261204_000008_report_tallies;
mod m20261205_000009_past_states_read_whole;
mod m20261206_000010_response_publication;
mod m20261207_000011_audit_events_by_action;
mod m20261208_000012_published_facts_by_time;
mod m20261209_000013_people;
mod m20261210_000014_transparency_log;

pub use m20261202_000006_state_intervals::{OPEN_DAY, OPEN_US};
pub use m20261205_000009_past_states_read_whole::{
    MILESTONE_TEXT, MILESTONES_WHOLE, STATE_TEXT, STATES_WHOLE,
};

/// Applies rectrack's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial_schema::Migration),
            Box::new(m20261125_000002_audit_head_follows::Migration),
            Box::new(m20261125_000003_report_covering_indexes::Migration),
            Box::new(m20261130_000004_replay_body_only::Migration),
            Box::new(m20261201_000005_occurred_on::Migration),
            Box::new(m20261202_000006_state_intervals::Migration),
            Box::new(m20261203_000007_head_moves_at_commit::Migration),
            Box::new(m20261204_000008_report_tallies::Migration),
            Box::new(m20261205_000009_past_states_read_whole::Migration),
            Box::new(m20261206_000010_response_publication::Migration),
            Box::new(m20261207_000011_audit_events_by_action::Migration),
            Box::new(m20261208_000012_published_facts_by_time::Migration),
            Box::new(m20261209_000013_people::Migration),
            Box::new(m20261210_000014_transparency_log::Migration),
        ]
    }
}
