//! `milestone_states`: Each milestone's status and due day from one change to the next, on both time lines.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub milestone_id: Uuid,
    pub seq: i64,
    pub assignment_id: Uuid,
    pub from_us: i64,
    pub from_day: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_us: i64,
    pub to_day: i32,
    pub status: String,
    pub due_on: Date,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
