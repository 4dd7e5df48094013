//! `log_cosignatures`: witnesses' cosignatures of the log's checkpoints.

use sea_orm::entity::prelude::*;

/// One witness's cosignature of one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_cosignatures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub size: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub witness: String,
    pub signature: String,
    pub received_at_us: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
