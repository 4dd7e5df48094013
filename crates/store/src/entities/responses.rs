//! `responses`: Every response and revision of a response.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub revision: i32,
    pub decision: String,
    #[sea_orm(column_type = "Text")]
    pub rationale: String,
    pub planned_completion_on: Option<Date>,
    pub submitted_at_us: i64,
    pub submitted_by: String,
    pub occurred: Option<String>,
    pub publication: Option<String>,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
