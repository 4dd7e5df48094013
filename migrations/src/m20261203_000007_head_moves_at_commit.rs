//! On PostgreSQL the chain's head moves once per transaction, at its commit,
//! to the transaction's last event, rather than once per event.
//!
//! Every version of a row updated within one transaction is kept until the
//! commit, and each update walks the versions before it: a transaction that
//! appends many events (an import of 100,000 assignments appends 271,573)
//! spent most of its time moving the head, ever more slowly (5,000 updates
//! of one row took 0.19 s, then 0.49 s, then 0.79 s as the same transaction
//! went on). A deferred constraint trigger fires at the commit for each
//! event, and only the event no other event follows (the transaction's last)
//! moves the head. Writers read the head once,
//! at the start of a transaction, holding its lock, and carry it in memory
//! from one event to the next, so no writer reads it before it has moved.
//! SQLite and MariaDB update rows in place: their triggers stay as they are.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261125_000002_audit_head_follows::MOVE_HEAD;

/// The head moved at the commit.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Replaces the trigger by one calling a function of `body`, fired at the
/// commit when `deferred`, else with each insert.
async fn replace(manager: &SchemaManager<'_>, body: &str, deferred: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared("DROP TRIGGER audit_head_follows ON audit_events")
        .await?;
    db.execute_unprepared(&format!(
        "CREATE OR REPLACE FUNCTION audit_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN {body}; RETURN NEW; END $$"
    ))
    .await?;
    let (kind, when) = if deferred {
        ("CONSTRAINT TRIGGER", "DEFERRABLE INITIALLY DEFERRED")
    } else {
        ("TRIGGER", "")
    };
    db.execute_unprepared(&format!(
        "CREATE {kind} audit_head_follows AFTER INSERT ON audit_events {when} \
         FOR EACH ROW EXECUTE FUNCTION audit_head_follow()"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Only the event nothing chains onto moves the head.
        let body = format!(
            "IF NOT EXISTS (SELECT 1 FROM audit_events e \
             WHERE e.seq = NEW.seq + 1 AND e.prev_hash = NEW.hash) THEN {MOVE_HEAD}; END IF"
        );
        replace(manager, &body, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, MOVE_HEAD, false).await
    }
}
