//! `assignment_events`: What each audit event changed on each assignment: the index behind histories and as-of reports.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignment_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assignment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at_us: i64,
    pub at_day: i32,
    pub status: Option<String>,
    pub decision: Option<String>,
    pub response_due_on: Option<Date>,
    pub milestone_id: Option<Uuid>,
    pub milestone_due_on: Option<Date>,
    pub milestone_status: Option<String>,
    pub occurred_on: Option<Date>,
    pub occurred_day: Option<i32>,
    pub occurred_bound: bool,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
