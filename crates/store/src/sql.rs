//! A small builder for hand-written SQL that must run on all three backends:
//! it numbers placeholders the PostgreSQL way (`$1`) or leaves them as `?`,
//! and spells the few things the dialects spell differently.

use sea_orm::{DbBackend, Statement, Value};

/// SQL text and its bound values, in order.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// An empty statement for `backend`.
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Appends SQL text (never user input).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.backend == DbBackend::Postgres {
            self.text.push_str(&format!("${}", self.values.len()));
        } else {
            self.text.push('?');
        }
        self
    }

    /// The type to `CAST` an integer expression to so that every backend
    /// returns a 64-bit integer (decoded as `i64`).
    pub(crate) fn int64_type(&self) -> &'static str {
        match self.backend {
            DbBackend::MySql => "SIGNED",
            DbBackend::Postgres => "BIGINT",
            _ => "INTEGER",
        }
    }

    /// The hint that makes a CTE be computed once per statement, however
    /// often the statement reads it (SQLite would otherwise fold it into
    /// each reader; MariaDB has no such hint).
    pub(crate) fn materialized(&self) -> &'static str {
        match self.backend {
            DbBackend::MySql => "",
            _ => "MATERIALIZED ",
        }
    }

    /// The hint that makes a CTE be folded into each statement part that
    /// reads it (PostgreSQL would otherwise compute a CTE read more than
    /// once just once, and then cannot run the parts in parallel; MariaDB
    /// has no such hint).
    pub(crate) fn not_materialized(&self) -> &'static str {
        match self.backend {
            DbBackend::MySql => "",
            _ => "NOT MATERIALIZED ",
        }
    }

    /// `column` compared byte by byte (PostgreSQL's default collation may
    /// follow the locale; MySQL tables are binary-collated, SQLite is binary).
    pub(crate) fn bytewise(&self, column: &str) -> String {
        if self.backend == DbBackend::Postgres {
            format!("{column} COLLATE \"C\"")
        } else {
            column.to_owned()
        }
    }

    /// `first` and `second` as one text, a space between them.
    pub(crate) fn pair(&self, first: &str, second: &str) -> String {
        if self.backend == DbBackend::MySql {
            format!("CONCAT({first}, ' ', {second})")
        } else {
            format!("{first} || ' ' || {second}")
        }
    }

    /// The finished statement.
    pub(crate) fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
