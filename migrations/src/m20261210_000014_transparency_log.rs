//! The transparency log over the audit chain.
//!
//! - `log_tiles` keeps the Merkle tree as C2SP tiles: one row per tile,
//!   its hashes concatenated (32 bytes each, up to 256), grown in place
//!   while partial.
//! - `log_checkpoints` keeps every checkpoint the log signed, by size: one
//!   per size, so two servers cannot sign two for the same size.
//! - `log_cosignatures` keeps the witnesses' cosignatures of each
//!   checkpoint (C2SP `tlog-cosignature` lines), published with it.
//! - `log_witnesses` keeps, per witness, the size it last cosigned: the
//!   `old` of the next request to it.
//! - `idempotency_keys.event_seq` keeps the seq of the event a kept answer's
//!   write appended, so that a replay names it too.
//! - `log_head` is one row: how far the tree has grown, the chain hash of
//!   the last event in it, and when the last checkpoint was signed. Signing
//!   locks it, so servers sign one at a time.

use sea_orm_migration::prelude::*;

use crate::columns::{Columns, bigint, bigint_null, int, varchar, varchar_null};

/// Creates `log_tiles`, `log_checkpoints`, `log_cosignatures`,
/// `log_witnesses` and `log_head`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let c = Columns::of(manager);
        manager
            .create_table(
                c.table("log_tiles")
                    .col(int("level"))
                    .col(bigint("idx"))
                    .col(ColumnDef::new("hashes").blob().not_null())
                    .primary_key(Index::create().col("level").col("idx"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("log_checkpoints")
                    .col(bigint("size").primary_key())
                    .col(varchar("root", 64))
                    .col(c.long_text("note"))
                    .col(bigint("signed_at_us"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("log_cosignatures")
                    .col(bigint("size"))
                    .col(varchar("witness", 255))
                    .col(c.long_text("signature"))
                    .col(bigint("received_at_us"))
                    .primary_key(Index::create().col("size").col("witness"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("log_witnesses")
                    .col(varchar("name", 255).primary_key())
                    .col(bigint("size"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("log_head")
                    .col(int("id").primary_key())
                    .col(varchar_null("origin", 255))
                    .col(bigint("size"))
                    .col(varchar("last_hash", 64))
                    .col(bigint("signed_at_us"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_keys")
                    .add_column(bigint_null("event_seq"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("log_head")
                    .columns(["id", "size", "last_hash", "signed_at_us"])
                    .values_panic([1.into(), 0i64.into(), "0".repeat(64).into(), 0i64.into()])
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_keys")
                    .drop_column("event_seq")
                    .to_owned(),
            )
            .await?;
        for table in [
            "log_head",
            "log_witnesses",
            "log_cosignatures",
            "log_checkpoints",
            "log_tiles",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
