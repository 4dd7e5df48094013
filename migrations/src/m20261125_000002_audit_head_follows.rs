//! The chain head follows the chain: a trigger moves `audit_head` to each
//! event inserted, in the same statement.
//!
//! Writers still lock the head row before sealing an event (that lock is
//! what serialises them), but no longer send a second statement to move it:
//! one round trip less per write, and no way to append an event and leave
//! the head behind.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The trigger that keeps `audit_head` on the last event.
#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) const MOVE_HEAD: &str =
    "UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash, at_us = NEW.at_us WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION audit_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN {MOVE_HEAD}; RETURN NEW; END $$"
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION audit_head_follow()",
                )
                .await?;
            }
            DbBackend::MySql => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events \
                     FOR EACH ROW {MOVE_HEAD}"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events \
                     FOR EACH ROW BEGIN {MOVE_HEAD}; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_head_follows ON audit_events")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_head_follow()")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_head_follows")
                .await?;
        }
        Ok(())
    }
}
