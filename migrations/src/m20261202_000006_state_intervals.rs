//! Each assignment's state, and each milestone's, as dated intervals.
//!
//! A status report as of a past day used to rebuild every assignment's
//! state from `assignment_events` with correlated subqueries, several per
//! assignment, which at 100,000 assignments cost several times the live
//! report. Facts on an assignment occurred in the order they were recorded
//! (core refuses an earlier day than the assignment's latest fact), so its
//! states follow one another in the same order on both time lines, and only
//! the bounds of each differ: when it was recorded (`from_us`, `to_us`) and
//! when it happened (`from_day`, `to_day`). One row per state, written by
//! the command that opened it and closed by the next: the state on a past
//! day is the row whose interval holds that day, one range read.
//!
//! - `assignment_states`: what the report reads of an assignment (status,
//!   decision, due day, first response and verification with their bounds),
//!   from each change of its status, decision, due day or milestones until
//!   the next, and whether that next change's day is only a bound
//!   (`next_bound`: as it happened, it may have come before its day).
//! - `milestone_states`: each milestone's status and due day, from each
//!   change until the next.
//!
//! An open interval ends at the largest value of its column. Each table's
//! key is its subject and the end of the interval: a subject has one open
//! state at most, and the command that ends it finds it by its key (a
//! planner with no statistics otherwise read it through the index of
//! interval ends, every open state of every assignment, at each change).
//! Rows written before this migration get their intervals from their events.
//!
//! The live report's figures read `assignments` through one covering index
//! (`m20261125_000003`); since the two time lines it also reads whether the
//! first response and the verification are bounds, and the first response's
//! date, so the index carries those too, or every assignment costs a visit
//! to the table.

use sea_orm_migration::prelude::*;

use crate::columns::{
    Columns, bigint, boolean, date, date_null, fk, index, int, int_null, uuid, varchar,
    varchar_null,
};

/// Adds the interval tables and fills them from the events.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The end of an interval still open, in microseconds.
pub const OPEN_US: i64 = i64::MAX;
/// The end of an interval still open, as a day number.
pub const OPEN_DAY: i32 = i32::MAX;

/// The columns the live report's figures read: those of the index it
/// replaces, then those the two time lines added.
const FIGURES: [&str; 10] = [
    "organisation",
    "status",
    "decision",
    "response_due_on",
    "issued_day",
    "first_response_day",
    "verified_day",
    "first_response_on",
    "first_response_bound",
    "verified_bound",
];

/// The index of the report's figures before this migration, and after.
const BEFORE: &str = "ix_assignments_report_figures";
const AFTER: &str = "ix_assignments_report_columns";

/// Creates the index of the report's figures on `columns` as `name`, then
/// drops the other one. (Dropping first and creating under the same name
/// failed on SQLite within one migration, "already exists".)
async fn replace_index(
    manager: &SchemaManager<'_>,
    columns: &[&'static str],
    name: &str,
    old: &str,
) -> Result<(), DbErr> {
    manager
        .create_index(index("assignments", columns).name(name).take())
        .await?;
    manager
        .drop_index(Index::drop().name(old).table("assignments").to_owned())
        .await
}

/// An event that opens a new state of its assignment (`e` being the event).
fn changes(e: &str) -> String {
    format!(
        "({e}.status IS NOT NULL OR {e}.decision IS NOT NULL OR {e}.response_due_on IS NOT NULL OR {e}.milestone_id IS NOT NULL)"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let c = Columns::of(manager);
        manager
            .create_table(
                c.table("assignment_states")
                    .col(uuid("assignment_id"))
                    .col(bigint("seq"))
                    .col(uuid("recommendation_id"))
                    .col(varchar("organisation", 64))
                    .col(int("issued_day"))
                    .col(bigint("from_us"))
                    .col(int("from_day"))
                    .col(bigint("to_us"))
                    .col(int("to_day"))
                    .col(boolean("next_bound"))
                    .col(varchar("status", 32))
                    .col(varchar_null("decision", 32))
                    .col(date("response_due_on"))
                    .col(date_null("first_response_on"))
                    .col(int_null("first_response_day"))
                    .col(boolean("first_response_bound"))
                    .col(int_null("verified_day"))
                    .col(boolean("verified_bound"))
                    .primary_key(Index::create().col("assignment_id").col("to_us"))
                    .foreign_key(&mut fk(
                        "assignment_states",
                        "assignment_id",
                        "assignments",
                        "id",
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("milestone_states")
                    .col(uuid("milestone_id"))
                    .col(bigint("seq"))
                    .col(uuid("assignment_id"))
                    .col(bigint("from_us"))
                    .col(int("from_day"))
                    .col(bigint("to_us"))
                    .col(int("to_day"))
                    .col(varchar("status", 16))
                    .col(date("due_on"))
                    .primary_key(Index::create().col("milestone_id").col("to_us"))
                    .foreign_key(&mut fk(
                        "milestone_states",
                        "assignment_id",
                        "assignments",
                        "id",
                    ))
                    .take(),
            )
            .await?;
        // A past day's report reads the intervals that end after it; the
        // open ones are found by their end too.
        for table in ["assignment_states", "milestone_states"] {
            manager
                .create_index(index(table, &["to_us", "from_us"]))
                .await?;
            manager
                .create_index(index(table, &["to_day", "from_day"]))
                .await?;
        }
        replace_index(manager, &FIGURES, AFTER, BEFORE).await?;
        fill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace_index(manager, &FIGURES[..7], BEFORE, AFTER).await?;
        for table in ["milestone_states", "assignment_states"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Gives every change already recorded its interval, as the report rebuilt
/// it from events before: the latest status, decision and due day up to the
/// change, the first response and verification up to it, and the next
/// change, which ends it.
async fn fill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let latest = |column: &str| {
        format!(
            "(SELECT p.{column} FROM assignment_events p WHERE p.assignment_id = e.assignment_id \
             AND p.seq <= e.seq AND p.{column} IS NOT NULL ORDER BY p.seq DESC LIMIT 1)"
        )
    };
    let next = |column: &str| {
        format!(
            "(SELECT n.{column} FROM assignment_events n WHERE n.assignment_id = e.assignment_id \
             AND n.seq > e.seq AND {} ORDER BY n.seq LIMIT 1)",
            changes("n")
        )
    };
    let first = |alias: &str, condition: &str| {
        format!(
            "LEFT JOIN assignment_events {alias} ON {alias}.assignment_id = e.assignment_id AND {alias}.seq = \
             (SELECT MIN(p.seq) FROM assignment_events p WHERE p.assignment_id = e.assignment_id \
             AND p.seq <= e.seq AND {condition}) "
        )
    };
    db.execute_unprepared(&format!(
        "INSERT INTO assignment_states (assignment_id, seq, recommendation_id, organisation, issued_day, \
         from_us, from_day, to_us, to_day, next_bound, status, decision, response_due_on, \
         first_response_on, first_response_day, first_response_bound, verified_day, verified_bound) \
         SELECT e.assignment_id, e.seq, a.recommendation_id, a.organisation, a.issued_day, \
         e.at_us, e.occurred_day, COALESCE({next_us}, {OPEN_US}), COALESCE({next_day}, {OPEN_DAY}), \
         COALESCE({next_bound}, FALSE), COALESCE({status}, 'awaiting_response'), {decision}, \
         COALESCE({due}, a.initial_due_on), fr.occurred_on, fr.occurred_day, COALESCE(fr.occurred_bound, FALSE), \
         vf.occurred_day, COALESCE(vf.occurred_bound, FALSE) \
         FROM assignment_events e JOIN assignments a ON a.id = e.assignment_id \
         {fr}{vf}WHERE {change}",
        next_us = next("at_us"),
        next_day = next("occurred_day"),
        next_bound = next("occurred_bound"),
        status = latest("status"),
        decision = latest("decision"),
        due = latest("response_due_on"),
        fr = first("fr", "p.decision IS NOT NULL"),
        vf = first("vf", "p.status = 'verified'"),
        change = changes("e"),
    ))
    .await?;
    let next = |column: &str| {
        format!(
            "(SELECT n.{column} FROM assignment_events n WHERE n.milestone_id = e.milestone_id \
             AND n.seq > e.seq ORDER BY n.seq LIMIT 1)"
        )
    };
    db.execute_unprepared(&format!(
        "INSERT INTO milestone_states (milestone_id, seq, assignment_id, from_us, from_day, to_us, to_day, \
         status, due_on) \
         SELECT e.milestone_id, e.seq, e.assignment_id, e.at_us, e.occurred_day, \
         COALESCE({next_us}, {OPEN_US}), COALESCE({next_day}, {OPEN_DAY}), e.milestone_status, e.milestone_due_on \
         FROM assignment_events e WHERE e.milestone_id IS NOT NULL",
        next_us = next("at_us"),
        next_day = next("occurred_day"),
    ))
    .await?;
    Ok(())
}
