//! Whether a response's text is public: the overseer's decision to publish
//! it, publish a redacted text or withhold it, as JSON in
//! `responses.publication` (`rectrack_core::publication::Publication`).
//! Rows written before have none: their text became public by itself 21
//! days after they were given, as every response's does without a
//! decision.

use sea_orm_migration::prelude::*;

use crate::columns::Columns;

/// Adds `responses.publication`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let c = Columns::of(manager);
        manager
            .alter_table(
                Table::alter()
                    .table("responses")
                    .add_column(c.long_text_null("publication"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("responses")
                    .drop_column("publication")
                    .to_owned(),
            )
            .await
    }
}
