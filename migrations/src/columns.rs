//! Column and table builders that hide backend differences.
//!
//! - Long text (bodies of up to 20,000 characters, audit payloads) needs
//!   `MEDIUMTEXT` on MySQL, whose `TEXT` holds only 65,535 bytes.
//! - MySQL tables are created `utf8mb4` with a binary collation, so that any
//!   text round-trips and unique keys compare exactly, as on the other backends.
//! - Timestamps are stored as BIGINT microseconds since the Unix epoch: the
//!   one representation that is exact and ordered on all three backends
//!   (MySQL's `TIMESTAMP` stops in 2038 and drops fractions by default).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Builds columns and tables for one backend.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    backend: DbBackend,
}

impl Columns {
    /// Builders for the backend `manager` is connected to.
    pub fn of(manager: &SchemaManager) -> Self {
        Self {
            backend: manager.get_database_backend(),
        }
    }

    /// `CREATE TABLE name`, with MySQL's character set and collation.
    pub fn table(&self, name: &'static str) -> TableCreateStatement {
        let mut table = Table::create();
        table.table(name);
        if self.backend == DbBackend::MySql {
            table
                .engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
        }
        table
    }

    /// Text of up to 20,000 characters (or more), never null.
    pub fn long_text(&self, name: &'static str) -> ColumnDef {
        let mut column = ColumnDef::new(name);
        if self.backend == DbBackend::MySql {
            column.custom("MEDIUMTEXT");
        } else {
            column.text();
        }
        column.not_null();
        column
    }

    /// Text of up to 20,000 characters (or more), or null.
    pub fn long_text_null(&self, name: &'static str) -> ColumnDef {
        let mut column = ColumnDef::new(name);
        if self.backend == DbBackend::MySql {
            column.custom("MEDIUMTEXT");
        } else {
            column.text();
        }
        column.null();
        column
    }
}

/// A varchar of `len` characters, never null.
pub fn varchar(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().take()
}

/// A varchar of `len` characters, or null.
pub fn varchar_null(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).null().take()
}

/// A UUID, never null.
pub fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().take()
}

/// A UUID, or null.
pub fn uuid_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().null().take()
}

/// A date, never null.
pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().not_null().take()
}

/// A date, or null.
pub fn date_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().null().take()
}

/// A 64-bit integer (also microsecond timestamps), never null.
pub fn bigint(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

/// A 64-bit integer, or null.
pub fn bigint_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

/// A 32-bit integer, never null.
pub fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

/// A 32-bit integer, or null.
pub fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().null().take()
}

/// A boolean, never null.
pub fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().take()
}

/// A foreign key from `table.column` to `target.target_column`, named after
/// them; rows referred to may not be deleted.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    target_column: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, target_column)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .take()
}

/// An index on `table(columns…)`, named after them.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index
}

/// A unique index on `table(columns…)`, named after them.
pub fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(table, columns);
    index
        .unique()
        .name(format!("uq_{table}_{}", columns.join("_")));
    index
}
