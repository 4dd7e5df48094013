//! `recommendations`: Recommendations, each in one report.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub report_slug: String,
    pub number: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub legal_basis: String,
    pub issued_on: Date,
    pub response_due_on: Date,
    pub withdrawn: bool,
    #[sea_orm(column_type = "Text")]
    pub withdrawn_reason: Option<String>,
    pub created_at_us: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
