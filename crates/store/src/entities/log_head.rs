//! `log_head`: how far the transparency log has grown; one row, locked by
//! whoever signs.

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub origin: Option<String>,
    pub size: i64,
    pub last_hash: String,
    pub signed_at_us: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
