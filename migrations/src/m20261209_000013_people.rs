//! People: accounts bound to one organisation and one role, their sessions,
//! and the failed sign-ins that throttle guessing.
//!
//! - `people` holds the account and its secrets, each only as the store
//!   needs it: the password as an Argon2id PHC string, the invitation's
//!   one-time secret and the recovery codes as SHA-256 digests, and the TOTP
//!   secret in base32 (it must be read to check a code). `email_key` is the
//!   address in lower case, unique: one account per address.
//! - `sessions` are server-side: the cookie holds a secret whose SHA-256 is
//!   the row's key, so a copy of the table signs no one in.
//! - `sign_in_failures` counts recent failures per account and per address.
//! - `audit_events.actor_person_id` names the person who acted.

use sea_orm_migration::prelude::*;

use crate::columns::{
    Columns, bigint, bigint_null, fk, index, unique, uuid, uuid_null, varchar, varchar_null,
};

/// Creates `people`, `sessions` and `sign_in_failures`, and adds
/// `audit_events.actor_person_id`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let c = Columns::of(manager);
        manager
            .create_table(
                c.table("people")
                    .col(uuid("id").primary_key())
                    .col(varchar("organisation", 64))
                    .col(varchar("role", 16))
                    .col(varchar("email", 254))
                    .col(varchar("email_key", 254))
                    .col(varchar("name", 255))
                    .col(varchar("state", 16))
                    .col(varchar_null("password_hash", 255))
                    .col(bigint_null("password_changed_at_us"))
                    .col(varchar_null("invitation_hash", 64))
                    .col(bigint_null("invited_at_us"))
                    .col(varchar_null("totp_secret", 64))
                    .col(bigint_null("totp_last_step"))
                    .col(c.long_text_null("recovery_codes"))
                    .col(bigint("created_at_us"))
                    .col(bigint_null("disabled_at_us"))
                    .foreign_key(&mut fk("people", "organisation", "organisations", "code"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("sessions")
                    .col(varchar("id_hash", 64).primary_key())
                    .col(uuid("person_id"))
                    .col(varchar("stage", 16))
                    .col(bigint("created_at_us"))
                    .col(bigint("last_seen_at_us"))
                    .col(bigint_null("ended_at_us"))
                    .foreign_key(&mut fk("sessions", "person_id", "people", "id"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                c.table("sign_in_failures")
                    .col(uuid("id").primary_key())
                    .col(varchar("email_key", 254))
                    .col(varchar("address", 64))
                    .col(bigint("at_us"))
                    .take(),
            )
            .await?;
        for statement in [
            unique("people", &["email_key"]),
            unique("people", &["invitation_hash"]),
            index("people", &["organisation"]),
            index("sessions", &["person_id"]),
            index("sign_in_failures", &["email_key", "at_us"]),
            index("sign_in_failures", &["address", "at_us"]),
        ] {
            manager.create_index(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("audit_events")
                    .add_column(uuid_null("actor_person_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("audit_events")
                    .drop_column("actor_person_id")
                    .to_owned(),
            )
            .await?;
        for table in ["sign_in_failures", "sessions", "people"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
