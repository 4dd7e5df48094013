//! An idempotency key keeps the body of its first answer, and nothing of HTTP.
//!
//! Each key kept the answer's status code and `Location` beside its body, so
//! the store spoke HTTP. The API now derives both from the operation and the
//! body (a create answers 201 with the created resource's address), so the
//! two columns go. Going down puts them back: the status as 200 and no
//! `Location`, which is what a key written after this migration can say.

use sea_orm_migration::prelude::*;

use crate::columns::{int, varchar_null};

/// Drops `response_status` and `response_location` from `idempotency_keys`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in ["response_status", "response_location"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("idempotency_keys")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            int("response_status").default(200).to_owned(),
            varchar_null("response_location", 2048),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("idempotency_keys")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
