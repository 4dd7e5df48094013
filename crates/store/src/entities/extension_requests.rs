//! `extension_requests`: Requests for a later response due day, and their decisions.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extension_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub requested_due_on: Date,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub status: String,
    pub requested_at_us: i64,
    pub requested_by: String,
    #[sea_orm(column_type = "Text")]
    pub decision_comment: Option<String>,
    pub decided_at_us: Option<i64>,
    pub decided_by: Option<String>,
    pub occurred: Option<String>,
    pub decision_occurred: Option<String>,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
