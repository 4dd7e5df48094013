//! On SQLite, a past day's status report reads each state whole from an
//! index, as text made when the state was written.
//!
//! A report as of a past day reads the state each assignment was in then
//! (`assignment_states`, `m20261202_000006`). On SQLite it read 100,000
//! states through the index of interval ends, visited the table for each,
//! and counted them in four grouped parts, one after another: 0.31 s for
//! the figures, where the live report, read from tallies
//! (`m20261204_000008`), takes 50 ms. Most of that time was SQLite
//! evaluating expressions row by row, not reading.
//!
//! So here, on SQLite only:
//! - What a past day's figures read of a state is an indexed expression,
//!   [`STATE_TEXT`]: its status, decision, due day, days of issue, first
//!   response and verification, the three bounds and its assignment's id,
//!   separated by spaces. SQLite computes it when the state is written or
//!   its interval ends and, from 3.41, reads it back from the index instead
//!   of computing it again. The index leads with the organisation, so the
//!   report reads one organisation's states after another (and one
//!   organisation's alone for that filter), then the interval's ends, so
//!   that the states that held on a day are chosen within the index. The
//!   report joins each organisation's texts into one value and counts them
//!   with core's rules.
//! - The milestone states are indexed by their interval's ends, with their
//!   status, due day and assignment's id ([`MILESTONE_TEXT`]), for the
//!   overdue milestones.
//! - Each recommendation's states with their recipients and statuses, so
//!   that a past day's lines come one row per recommendation, as the live
//!   lines do.
//!
//! Every index is written at each change of state, so the indexes of
//! interval ends of `m20261202_000006`, which these hold too, are dropped
//! on SQLite: a report filtered by report or theme, which counts its few
//! assignments as before, reaches their states through their
//! recommendations.
//!
//! PostgreSQL counts a past day in parallel, within 2× of its live report,
//! and MariaDB keeps the counting it has; neither gets these indexes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Indexes of whole states on SQLite.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a past day's figures read of an assignment state (columns of
/// `assignment_states`, unqualified), as [`STATES_WHOLE`] holds it. A query
/// must write the same expression for SQLite to read it from the index.
/// Fields, separated by one space, empty where there is nothing: status,
/// decision, and as day numbers (days since 1970-01-01) the response due
/// day, the day of issue, of the first response and of verification; then
/// whether the first response's day is a bound (`0` or `1`), whether the
/// verification's is, whether the next change's is, and the assignment's
/// id in hexadecimal.
pub const STATE_TEXT: &str = "(status || ' ' || ifnull(decision, '') || ' ' \
     || CAST(julianday(response_due_on) - 2440587.5 AS INTEGER) || ' ' || issued_day || ' ' \
     || ifnull(first_response_day, '') || ' ' || ifnull(verified_day, '') || ' ' \
     || (CASE WHEN first_response_bound THEN 1 ELSE 0 END) || ' ' \
     || (CASE WHEN verified_bound THEN 1 ELSE 0 END) || ' ' \
     || (CASE WHEN next_bound THEN 1 ELSE 0 END) || ' ' || hex(assignment_id))";

/// What a past day's figures read of a milestone state: its assignment's
/// id in hexadecimal, as [`MILESTONES_WHOLE`] holds it.
pub const MILESTONE_TEXT: &str = "hex(assignment_id)";

/// The index of the assignment states' texts, by organisation.
pub const STATES_WHOLE: &str = "ix_assignment_states_whole";
/// The index of the milestone states' texts, by their interval's ends.
pub const MILESTONES_WHOLE: &str = "ix_milestone_states_whole";
/// Each recommendation's states, with their recipients and statuses.
const RECOMMENDATIONS: &str = "ix_assignment_states_recommendation_id_organisation_status";
/// The indexes of interval ends (`m20261202_000006`) these replace: their
/// names, tables and columns.
const REPLACED: [(&str, &str, &str); 4] = [
    (
        "ix_assignment_states_to_us_from_us",
        "assignment_states",
        "to_us, from_us",
    ),
    (
        "ix_assignment_states_to_day_from_day",
        "assignment_states",
        "to_day, from_day",
    ),
    (
        "ix_milestone_states_to_us_from_us",
        "milestone_states",
        "to_us, from_us",
    ),
    (
        "ix_milestone_states_to_day_from_day",
        "milestone_states",
        "to_day, from_day",
    ),
];

/// An interval's ends, within which a past day is chosen.
const ENDS: &str = "to_us, from_us, to_day, from_day";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in [
            format!(
                "CREATE INDEX {STATES_WHOLE} ON assignment_states (organisation, {ENDS}, {STATE_TEXT})"
            ),
            format!(
                "CREATE INDEX {MILESTONES_WHOLE} ON milestone_states ({ENDS}, status, due_on, {MILESTONE_TEXT})"
            ),
            format!(
                "CREATE INDEX {RECOMMENDATIONS} ON assignment_states \
                 (recommendation_id, organisation, status, {ENDS})"
            ),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        for (name, _, _) in REPLACED {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for (name, table, columns) in REPLACED {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({columns})"))
                .await?;
        }
        for statement in [
            format!("DROP INDEX {RECOMMENDATIONS}"),
            format!("DROP INDEX {MILESTONES_WHOLE}"),
            format!("DROP INDEX {STATES_WHOLE}"),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
