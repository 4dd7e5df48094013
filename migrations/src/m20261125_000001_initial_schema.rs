//! The initial schema: every entity of the domain, the audit chain and its
//! head, tokens and idempotency keys.
//!
//! Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add
//! them afterwards. Indexes serve the list filters (`organisation`, `status`,
//! `report`, `theme`), the history of an assignment and the `as_of` reports.

use sea_orm_migration::prelude::*;

use crate::columns::{
    Columns, bigint, bigint_null, boolean, date, date_null, fk, index, int, int_null, unique, uuid,
    uuid_null, varchar, varchar_null,
};

/// The initial schema.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables(Columns::of(manager)) {
            manager.create_table(table).await?;
        }
        for mut index in indexes() {
            manager.create_index(index.take()).await?;
        }
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_head")
                    .columns(["id", "seq", "hash", "at_us"])
                    .values_panic([1.into(), 0i64.into(), "0".repeat(64).into(), 0i64.into()])
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let names: Vec<TableRef> = tables(Columns::of(manager))
            .iter()
            .filter_map(|table| table.get_table_name().cloned())
            .collect();
        for name in names.into_iter().rev() {
            manager.drop_table(Table::drop().table(name).take()).await?;
        }
        Ok(())
    }
}

/// Every table, in an order where each refers only to tables before it.
fn tables(c: Columns) -> Vec<TableCreateStatement> {
    vec![
        c.table("organisations")
            .col(varchar("code", 64).primary_key())
            .col(varchar("name", 255))
            .col(varchar("kind", 32))
            .col(bigint("created_at_us"))
            .take(),
        c.table("reports")
            .col(varchar("slug", 64).primary_key())
            .col(varchar("title", 255))
            .col(varchar("issued_by", 64))
            .col(date("published_on"))
            .col(varchar_null("url", 2048))
            .col(c.long_text_null("summary"))
            .col(bigint("created_at_us"))
            .foreign_key(&mut fk("reports", "issued_by", "organisations", "code"))
            .take(),
        c.table("recommendations")
            .col(uuid("id").primary_key())
            .col(varchar("report_slug", 64))
            .col(int("number"))
            .col(varchar("title", 255))
            .col(c.long_text("body"))
            .col(varchar("legal_basis", 16))
            .col(date("issued_on"))
            .col(date("response_due_on"))
            .col(boolean("withdrawn"))
            .col(c.long_text_null("withdrawn_reason"))
            .col(bigint("created_at_us"))
            .foreign_key(&mut fk("recommendations", "report_slug", "reports", "slug"))
            .take(),
        c.table("recommendation_themes")
            .col(uuid("recommendation_id"))
            .col(varchar("theme", 64))
            .col(int("position"))
            .primary_key(Index::create().col("recommendation_id").col("theme"))
            .foreign_key(&mut fk(
                "recommendation_themes",
                "recommendation_id",
                "recommendations",
                "id",
            ))
            .take(),
        c.table("assignments")
            .col(uuid("id").primary_key())
            .col(uuid("recommendation_id"))
            .col(varchar("organisation", 64))
            .col(varchar("status", 32))
            .col(varchar_null("decision", 32))
            .col(date("issued_on"))
            .col(int("issued_day"))
            .col(date("initial_due_on"))
            .col(date("response_due_on"))
            .col(date_null("first_response_on"))
            .col(int_null("first_response_day"))
            .col(date_null("verified_on"))
            .col(int_null("verified_day"))
            .col(date_null("closed_on"))
            .col(bigint("version"))
            .col(bigint("created_at_us"))
            .col(bigint("updated_at_us"))
            .foreign_key(&mut fk(
                "assignments",
                "recommendation_id",
                "recommendations",
                "id",
            ))
            .foreign_key(&mut fk(
                "assignments",
                "organisation",
                "organisations",
                "code",
            ))
            .take(),
        c.table("responses")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(int("revision"))
            .col(varchar("decision", 32))
            .col(c.long_text("rationale"))
            .col(date_null("planned_completion_on"))
            .col(bigint("submitted_at_us"))
            .col(varchar("submitted_by", 64))
            .foreign_key(&mut fk("responses", "assignment_id", "assignments", "id"))
            .take(),
        c.table("extension_requests")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(date("requested_due_on"))
            .col(c.long_text("reason"))
            .col(varchar("status", 16))
            .col(bigint("requested_at_us"))
            .col(varchar("requested_by", 64))
            .col(c.long_text_null("decision_comment"))
            .col(bigint_null("decided_at_us"))
            .col(varchar_null("decided_by", 64))
            .foreign_key(&mut fk(
                "extension_requests",
                "assignment_id",
                "assignments",
                "id",
            ))
            .take(),
        c.table("milestones")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(varchar("title", 255))
            .col(date("due_on"))
            .col(varchar("status", 16))
            .col(date_null("completed_on"))
            .col(bigint("created_at_us"))
            .col(bigint("updated_at_us"))
            .foreign_key(&mut fk("milestones", "assignment_id", "assignments", "id"))
            .take(),
        c.table("evidence")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(varchar("kind", 16))
            .col(varchar("title", 255))
            .col(c.long_text_null("description"))
            .col(varchar_null("filename", 255))
            .col(varchar_null("media_type", 255))
            .col(bigint_null("size_bytes"))
            .col(varchar_null("sha256", 64))
            .col(varchar_null("url", 2048))
            .col(c.long_text_null("statement_text"))
            .col(bigint("submitted_at_us"))
            .col(varchar("submitted_by", 64))
            .foreign_key(&mut fk("evidence", "assignment_id", "assignments", "id"))
            .take(),
        c.table("progress_updates")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(c.long_text("narrative"))
            .col(bigint("submitted_at_us"))
            .col(varchar("submitted_by", 64))
            .foreign_key(&mut fk(
                "progress_updates",
                "assignment_id",
                "assignments",
                "id",
            ))
            .take(),
        c.table("update_milestones")
            .col(uuid("update_id"))
            .col(uuid("milestone_id"))
            .col(int("position"))
            .primary_key(Index::create().col("update_id").col("milestone_id"))
            .foreign_key(&mut fk(
                "update_milestones",
                "update_id",
                "progress_updates",
                "id",
            ))
            .foreign_key(&mut fk(
                "update_milestones",
                "milestone_id",
                "milestones",
                "id",
            ))
            .take(),
        c.table("update_evidence")
            .col(uuid("update_id"))
            .col(uuid("evidence_id"))
            .col(int("position"))
            .primary_key(Index::create().col("update_id").col("evidence_id"))
            .foreign_key(&mut fk(
                "update_evidence",
                "update_id",
                "progress_updates",
                "id",
            ))
            .foreign_key(&mut fk("update_evidence", "evidence_id", "evidence", "id"))
            .take(),
        c.table("claims")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(c.long_text("summary"))
            .col(bigint("submitted_at_us"))
            .col(varchar("submitted_by", 64))
            .foreign_key(&mut fk("claims", "assignment_id", "assignments", "id"))
            .take(),
        c.table("claim_evidence")
            .col(uuid("claim_id"))
            .col(uuid("evidence_id"))
            .col(int("position"))
            .primary_key(Index::create().col("claim_id").col("evidence_id"))
            .foreign_key(&mut fk("claim_evidence", "claim_id", "claims", "id"))
            .foreign_key(&mut fk("claim_evidence", "evidence_id", "evidence", "id"))
            .take(),
        c.table("reviews")
            .col(uuid("id").primary_key())
            .col(uuid("assignment_id"))
            .col(varchar("outcome", 32))
            .col(c.long_text_null("comment"))
            .col(varchar("reviewer", 64))
            .col(bigint("at_us"))
            .foreign_key(&mut fk("reviews", "assignment_id", "assignments", "id"))
            .foreign_key(&mut fk("reviews", "reviewer", "organisations", "code"))
            .take(),
        c.table("tokens")
            .col(uuid("id").primary_key())
            .col(varchar("token_hash", 64))
            .col(varchar("organisation", 64))
            .col(varchar("role", 16))
            .col(varchar_null("label", 255))
            .col(bigint("created_at_us"))
            .col(bigint_null("revoked_at_us"))
            .col(bigint_null("last_used_at_us"))
            .foreign_key(&mut fk("tokens", "organisation", "organisations", "code"))
            .take(),
        c.table("idempotency_keys")
            .col(varchar("scope", 64))
            .col(varchar("idempotency_key", 255))
            .col(varchar("request_hash", 64))
            .col(int("response_status"))
            .col(c.long_text("response_body"))
            .col(varchar_null("response_location", 2048))
            .col(bigint("created_at_us"))
            .primary_key(Index::create().col("scope").col("idempotency_key"))
            .take(),
        c.table("audit_events")
            .col(bigint("seq").primary_key())
            .col(bigint("at_us"))
            .col(uuid_null("actor_token_id"))
            .col(varchar_null("actor_organisation", 64))
            .col(varchar_null("actor_role", 16))
            .col(varchar("action", 64))
            .col(varchar("entity_type", 64))
            .col(varchar("entity_id", 255))
            .col(c.long_text("payload"))
            .col(varchar("prev_hash", 64))
            .col(varchar("hash", 64))
            .take(),
        c.table("audit_head")
            .col(int("id").primary_key())
            .col(bigint("seq"))
            .col(varchar("hash", 64))
            .col(bigint("at_us"))
            .take(),
        c.table("assignment_events")
            .col(uuid("assignment_id"))
            .col(bigint("seq"))
            .col(bigint("at_us"))
            .col(int("at_day"))
            .col(varchar_null("status", 32))
            .col(varchar_null("decision", 32))
            .col(date_null("response_due_on"))
            .col(uuid_null("milestone_id"))
            .col(date_null("milestone_due_on"))
            .col(varchar_null("milestone_status", 16))
            .primary_key(Index::create().col("assignment_id").col("seq"))
            .foreign_key(&mut fk(
                "assignment_events",
                "assignment_id",
                "assignments",
                "id",
            ))
            .foreign_key(&mut fk("assignment_events", "seq", "audit_events", "seq"))
            .take(),
    ]
}

/// Indexes beyond primary keys, for uniqueness and for the queries that filter.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique("recommendations", &["report_slug", "number"]),
        index("recommendation_themes", &["theme"]),
        unique("assignments", &["recommendation_id", "organisation"]),
        index("assignments", &["organisation", "status"]),
        index("assignments", &["status", "response_due_on"]),
        unique("responses", &["assignment_id", "revision"]),
        index("extension_requests", &["assignment_id"]),
        index("milestones", &["assignment_id"]),
        index("milestones", &["status", "due_on"]),
        index("evidence", &["assignment_id"]),
        index("evidence", &["sha256"]),
        index("progress_updates", &["assignment_id", "submitted_at_us"]),
        index("claims", &["assignment_id"]),
        index("reviews", &["assignment_id"]),
        unique("tokens", &["token_hash"]),
        unique("audit_events", &["hash"]),
        index("assignment_events", &["seq"]),
        index("assignment_events", &["milestone_id", "seq"]),
    ]
}
