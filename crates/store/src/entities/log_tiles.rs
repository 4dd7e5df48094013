//! `log_tiles`: the transparency log's tree, one row per tile.

use sea_orm::entity::prelude::*;

/// One tile: up to 256 hashes of one tree level, concatenated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_tiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub idx: i64,
    pub hashes: Vec<u8>,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
