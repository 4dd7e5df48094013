//! One store per test, on a fresh database of the backend under test.
//!
//! SQLite gets a file in a temporary directory. PostgreSQL and MariaDB get a
//! database of their own, created from the URL in
//! `RECTRACK_TEST_POSTGRES_URL` / `RECTRACK_TEST_MYSQL_URL` (with its last
//! path segment replaced) and dropped when the test finishes, so tests run in
//! parallel without seeing each other.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rectrack_core::ids::TokenId;
use rectrack_core::organisation::{OrgCode, OrganisationKind};
use rectrack_core::role::{Actor, Principal, Role};
use rectrack_store::{BlobStore, ManualClock, Store, db};
use sea_orm::{ConnectionTrait, Database, Statement};

/// The backends the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

/// A store on a fresh database, a clock the test moves, and the principals
/// the tests act as.
pub struct Harness {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub backend: Backend,
    pub url: String,
    blobs: BlobStore,
    cleanup: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

fn env_url(backend: Backend) -> String {
    let var = match backend {
        Backend::Postgres => "RECTRACK_TEST_POSTGRES_URL",
        Backend::MySql => "RECTRACK_TEST_MYSQL_URL",
        Backend::Sqlite => unreachable!("SQLite needs no server"),
    };
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: this test needs that database server (see README, Testing)")
    })
}

/// `base` with its database name replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (head, query) = base
        .split_once('?')
        .map_or((base, None), |(h, q)| (h, Some(q)));
    let (server, _) = head.rsplit_once('/').expect("a database URL has a path");
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

impl Harness {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let name = format!("rectrack_test_{}", uuid::Uuid::new_v4().simple());
        let (url, cleanup) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/rectrack.db?mode=rwc", dir.path().display()),
                None,
            ),
            Backend::Postgres | Backend::MySql => {
                let base = env_url(backend);
                let admin = Database::connect(&base).await.unwrap_or_else(|e| {
                    panic!("cannot reach the {backend:?} server at {base}: {e}")
                });
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE {name}"),
                    ))
                    .await
                    .expect("create a test database");
                admin.close().await.ok();
                (with_database(&base, &name), Some((base, name)))
            }
        };
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap(),
        ));
        let blobs = BlobStore::local(&dir.path().join("blobs")).expect("a blob directory");
        let connection = db::connect(&url)
            .await
            .expect("connect to the test database");
        db::migrate(&connection)
            .await
            .expect("migrate the test database");
        let store = Store::new(connection, blobs.clone(), clock.clone());
        Self {
            store,
            clock,
            backend,
            url,
            blobs,
            cleanup,
            _dir: dir,
        }
    }

    /// Today by the test clock.
    pub fn clock_today(&self) -> chrono::NaiveDate {
        use rectrack_store::Clock;
        self.clock.now().date_naive()
    }

    /// A second, independent store (its own connection pool) on the same
    /// database: what a second server process would have.
    pub async fn second_store(&self) -> Store {
        let connection = db::connect(&self.url).await.expect("connect a second pool");
        Store::new(connection, self.blobs.clone(), self.clock.clone())
    }

    /// Runs raw SQL against the test database (for tampering and inspection).
    pub async fn exec(&self, sql: &str) {
        let db = self.store.connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The number of rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1 = 1").await
    }

    /// The number of rows in `table` meeting `condition` (SQL).
    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        let db = self.store.connection();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT CAST(COUNT(*) AS {}) AS n FROM {table} WHERE {condition}",
                    if self.backend == Backend::MySql {
                        "SIGNED"
                    } else {
                        "BIGINT"
                    }
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }

    /// Row counts of every table that holds domain data or audit events.
    pub async fn snapshot(&self) -> Vec<(String, i64)> {
        let mut counts = Vec::new();
        for table in [
            "organisations",
            "reports",
            "recommendations",
            "recommendation_themes",
            "assignments",
            "responses",
            "extension_requests",
            "milestones",
            "evidence",
            "progress_updates",
            "update_milestones",
            "update_evidence",
            "claims",
            "claim_evidence",
            "reviews",
            "tokens",
            "idempotency_keys",
            "audit_events",
            "assignment_events",
        ] {
            counts.push((table.to_owned(), self.count(table).await));
        }
        counts
    }

    /// Drops the test database (PostgreSQL, MariaDB).
    pub async fn finish(self) {
        let Self { store, cleanup, .. } = self;
        store.connection().clone().close().await.ok();
        if let Some((base, name)) = cleanup {
            let admin = Database::connect(&base)
                .await
                .expect("reconnect to drop the test database");
            let sql = match admin.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                }
                _ => format!("DROP DATABASE IF EXISTS {name}"),
            };
            admin
                .execute_raw(Statement::from_string(admin.get_database_backend(), sql))
                .await
                .ok();
            admin.close().await.ok();
        }
    }
}

/// A principal acting with a token of `code` (of `kind`) in `role`.
pub fn principal(code: &str, kind: OrganisationKind, role: Role) -> Principal {
    Principal::Token {
        token_id: TokenId::from_uuid(uuid::Uuid::new_v4()),
        actor: Actor {
            organisation: OrgCode::parse(code).unwrap(),
            organisation_kind: kind,
            role,
        },
    }
}

/// The IOPC's overseer.
pub fn overseer() -> Principal {
    principal("iopc", OrganisationKind::OversightBody, Role::Overseer)
}

/// The MPS as recipient.
pub fn mps() -> Principal {
    principal("mps", OrganisationKind::PoliceForce, Role::Recipient)
}

/// West Midlands Police as recipient.
pub fn wmp() -> Principal {
    principal("wmp", OrganisationKind::PoliceForce, Role::Recipient)
}
