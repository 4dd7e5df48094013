//! `log_checkpoints`: every checkpoint the log signed.

use sea_orm::entity::prelude::*;

/// One signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub size: i64,
    pub root: String,
    pub note: String,
    pub signed_at_us: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
