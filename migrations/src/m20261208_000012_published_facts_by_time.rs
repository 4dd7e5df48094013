//! Published facts by the time they were recorded: the home page lists the
//! latest responses, extension decisions, claims and reviews across the
//! record, each read backwards from one of these indexes. Without them each
//! read sorted its whole table (317 ms for the responses of 100,000
//! assignments on SQLite).

use sea_orm_migration::prelude::*;

/// Adds an index on the recording time of each kind of published fact.
#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &str); 4] = [
    (
        "ix_responses_submitted_at_us",
        "responses",
        "submitted_at_us",
    ),
    ("ix_claims_submitted_at_us", "claims", "submitted_at_us"),
    ("ix_reviews_at_us", "reviews", "at_us"),
    (
        "ix_extension_requests_decided_at_us",
        "extension_requests",
        "decided_at_us",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
