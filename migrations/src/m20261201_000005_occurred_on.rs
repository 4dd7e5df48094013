//! When facts happened, beside when they were recorded.
//!
//! - Each fact a person reports (a response, an extension request and its
//!   decision, a progress update, a claim, a review) keeps its occurrence —
//!   the day it happened, how exactly that is known, and the source cited for
//!   a backfill — as JSON in `occurred` (`decision_occurred` for an extension
//!   decision). Rows written before this migration have none: they occurred
//!   on the day they were recorded.
//! - `assignment_events`, which past reports are rebuilt from, gains the day
//!   each change occurred (as a date and as a day number) and whether that
//!   day is only a bound; rows written before get the day they were recorded
//!   (an assignment's creation: the day its recommendation was issued).
//! - `assignments` gains whether its first response and its verification are
//!   dated only by a bound, and the day of its latest fact (`occurred_through`,
//!   before which no new fact may be dated; null for rows written before, read
//!   as the day of their last change).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{Columns, date_null, int_null};

/// Adds the occurrence columns.
#[derive(DeriveMigrationName)]
pub struct Migration;

const FACT_TABLES: [&str; 5] = [
    "responses",
    "extension_requests",
    "progress_updates",
    "claims",
    "reviews",
];

fn flag(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(false)
        .take()
}

async fn add(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

async fn drop(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let c = Columns::of(manager);
        // One column per statement: SQLite alters one thing at a time.
        for table in FACT_TABLES {
            add(manager, table, c.long_text_null("occurred")).await?;
        }
        add(
            manager,
            "extension_requests",
            c.long_text_null("decision_occurred"),
        )
        .await?;
        add(manager, "assignment_events", date_null("occurred_on")).await?;
        add(manager, "assignment_events", int_null("occurred_day")).await?;
        add(manager, "assignment_events", flag("occurred_bound")).await?;
        add(manager, "assignments", flag("first_response_bound")).await?;
        add(manager, "assignments", flag("verified_bound")).await?;
        add(manager, "assignments", date_null("occurred_through")).await?;
        // Every change recorded so far occurred on the day it was recorded.
        let day_of = match manager.get_database_backend() {
            DbBackend::Postgres => "DATE '1970-01-01' + at_day",
            DbBackend::MySql => "DATE_ADD(DATE '1970-01-01', INTERVAL at_day DAY)",
            _ => "date(at_day * 86400, 'unixepoch')",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE assignment_events SET occurred_day = at_day, occurred_on = {day_of}"
            ))
            .await?;
        // Except its creation, which occurred (as it happened) on the day its
        // recommendation was issued.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE assignment_events SET \
                 occurred_day = (SELECT a.issued_day FROM assignments a WHERE a.id = assignment_events.assignment_id), \
                 occurred_on = (SELECT a.issued_on FROM assignments a WHERE a.id = assignment_events.assignment_id) \
                 WHERE seq IN (SELECT v.seq FROM audit_events v WHERE v.action = 'recommendation.created')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in FACT_TABLES {
            drop(manager, table, "occurred").await?;
        }
        drop(manager, "extension_requests", "decision_occurred").await?;
        for column in ["occurred_on", "occurred_day", "occurred_bound"] {
            drop(manager, "assignment_events", column).await?;
        }
        for column in ["first_response_bound", "verified_bound", "occurred_through"] {
            drop(manager, "assignments", column).await?;
        }
        Ok(())
    }
}
