//! `people`: accounts, with their secrets as the store needs them (see the
//! `m20261209_000013_people` migration).

use sea_orm::entity::prelude::*;

/// One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation: String,
    pub role: String,
    pub email: String,
    pub email_key: String,
    pub name: String,
    pub state: String,
    pub password_hash: Option<String>,
    pub password_changed_at_us: Option<i64>,
    pub invitation_hash: Option<String>,
    pub invited_at_us: Option<i64>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub recovery_codes: Option<String>,
    pub created_at_us: i64,
    pub disabled_at_us: Option<i64>,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
