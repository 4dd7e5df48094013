//! `update_milestones`: The milestones a progress update concerns.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "update_milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub milestone_id: Uuid,
    pub position: i32,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
