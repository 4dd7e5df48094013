//! `assignment_states`: Each assignment's state from one change to the next, on both time lines: what a past day's report reads.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignment_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assignment_id: Uuid,
    pub seq: i64,
    pub recommendation_id: Uuid,
    pub organisation: String,
    pub issued_day: i32,
    pub from_us: i64,
    pub from_day: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_us: i64,
    pub to_day: i32,
    pub next_bound: bool,
    pub status: String,
    pub decision: Option<String>,
    pub response_due_on: Date,
    pub first_response_on: Option<Date>,
    pub first_response_day: Option<i32>,
    pub first_response_bound: bool,
    pub verified_day: Option<i32>,
    pub verified_bound: bool,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
