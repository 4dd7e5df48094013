//! The status report reads indexes, not tables.
//!
//! The report's figures are aggregates over every assignment, and scanning
//! the `assignments` table (wide rows: ids, dates and counters the report
//! never reads) cost four passes over all of its pages. The index on
//! `(organisation, status)` grows into one that holds every column the
//! figures read, so each aggregate is a scan of a narrow index. Its prefix
//! still serves the list filters it served before, so writers keep the same
//! number of indexes. Likewise the index on open milestones by due day now
//! carries the assignment each belongs to, so counting overdue milestones no
//! longer visits the `milestones` table.

use sea_orm_migration::prelude::*;

use crate::columns::index;

/// Widens two indexes to cover the status report's reads.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns the report's figures read, led by those the list filters use.
const FIGURES: [&str; 7] = [
    "organisation",
    "status",
    "decision",
    "response_due_on",
    "issued_day",
    "first_response_day",
    "verified_day",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                index("assignments", &FIGURES)
                    .name("ix_assignments_report_figures")
                    .take(),
            )
            .await?;
        drop_index(manager, "assignments", "ix_assignments_organisation_status").await?;
        manager
            .create_index(index("milestones", &["status", "due_on", "assignment_id"]))
            .await?;
        drop_index(manager, "milestones", "ix_milestones_status_due_on").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("milestones", &["status", "due_on"]))
            .await?;
        drop_index(
            manager,
            "milestones",
            "ix_milestones_status_due_on_assignment_id",
        )
        .await?;
        manager
            .create_index(index("assignments", &["organisation", "status"]))
            .await?;
        drop_index(manager, "assignments", "ix_assignments_report_figures").await
    }
}

async fn drop_index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    name: &str,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}
