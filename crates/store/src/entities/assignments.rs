//! `assignments`: Assignments: the current state of each recommendation as made to one recipient.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub recommendation_id: Uuid,
    pub organisation: String,
    pub status: String,
    pub decision: Option<String>,
    pub issued_on: Date,
    pub issued_day: i32,
    pub initial_due_on: Date,
    pub response_due_on: Date,
    pub first_response_on: Option<Date>,
    pub first_response_day: Option<i32>,
    pub verified_on: Option<Date>,
    pub verified_day: Option<i32>,
    pub first_response_bound: bool,
    pub verified_bound: bool,
    pub occurred_through: Option<Date>,
    pub closed_on: Option<Date>,
    pub version: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
