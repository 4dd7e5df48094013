//! rectrack's persistence: every domain command as one transaction that
//! writes its rows and its audit event together, on SQLite, PostgreSQL or
//! MariaDB, with evidence bytes in a content-addressed blob store.
//!
//! The store carries out what `rectrack-core` decides; it never decides a
//! move itself. It speaks no HTTP: the API maps [`Error`] to status codes.

#![forbid(unsafe_code)]

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbBackend};

pub mod assignments;
pub mod audit;
pub mod blobs;
pub mod clock;
pub mod convert;
pub mod copy;
pub mod db;
pub mod entities;
pub mod error;
pub mod evidence;
pub mod export;
pub mod extensions;
pub mod import;
pub mod milestones;
pub mod organisations;
pub mod page;
pub mod people;
pub mod progress;
pub mod public;
pub mod publication;
pub mod recommendations;
pub mod recorded;
pub mod reports;
pub mod reviews;
mod sql;
pub mod status;
pub mod timelines;
pub mod tokens;
pub mod transparency;
pub mod write;

pub use blobs::BlobStore;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use sea_orm::DbErr;
pub use write::{Ctx, Idempotency, Written};

/// The repository: a database connection, a blob store and a clock.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: DbBackend,
    blobs: BlobStore,
    clock: Arc<dyn Clock>,
    /// SQLite only: the process's writers queue here for the single write
    /// lock, and share the open group transaction.
    writer: Option<Arc<tokio::sync::Mutex<write::Open>>>,
    /// In a batch: the one transaction every write goes into.
    batch: Option<Arc<tokio::sync::Mutex<write::Open>>>,
}

impl Store {
    /// A store over an open, migrated database and a blob store.
    pub fn new(db: DatabaseConnection, blobs: BlobStore, clock: Arc<dyn Clock>) -> Self {
        let backend = db::backend(&db);
        let writer = (backend == DbBackend::Sqlite)
            .then(|| Arc::new(tokio::sync::Mutex::new(write::Open::default())));
        Self {
            db,
            backend,
            blobs,
            clock,
            writer,
            batch: None,
        }
    }

    /// Connects to `url`, migrates, and opens a store on the system clock.
    pub async fn open(url: &str, blobs: BlobStore) -> Result<Self> {
        let db = db::connect(url).await?;
        db::migrate(&db).await?;
        Ok(Self::new(db, blobs, Arc::new(SystemClock)))
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The database connection (for health checks and tests).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The backend in use.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// The time now, by the store's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
