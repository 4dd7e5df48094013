//! The transparency log's costs, as `docs/benchmarks.md` records them:
//!
//! 1. write throughput with the log's signer running (extending the tree and
//!    signing every second, as a server does at its shortest interval)
//!    against the same writes with no signer, on SQLite and PostgreSQL, in
//!    one run, alternating;
//! 2. inclusion and consistency proofs read from the stored tiles of a
//!    tree of 1,000,000 leaves: p50 and p99;
//! 3. signing a checkpoint: growing the tree by 1,000 events and signing.
//!
//! `cargo run --release -p rectrack-bench --bin log-bench`; PostgreSQL from
//! `RECTRACK_BENCH_POSTGRES_URL` (default the local test server).

#![allow(clippy::unwrap_used)] // a benchmark that fails should stop loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use rectrack_core::organisation::{OrganisationDraft, OrganisationKind};
use rectrack_core::role::Principal;
use rectrack_core::tlog::note::{KeyType, SignerKey};
use rectrack_core::tlog::tile;
use rectrack_core::tlog::{Hash, leaf_hash};
use rectrack_store::{BlobStore, Ctx, Store, SystemClock, db};
use sea_orm::{ConnectionTrait, Database, Statement};

const WRITERS: usize = 4;
const WRITES: usize = 10_000;
const PAIRS: usize = 8;
const LEAVES: u64 = 1_000_000;
const PROOFS: usize = 2_000;

/// The PostgreSQL databases made, dropped at the end.
static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn key() -> SignerKey {
    SignerKey::from_seed("rectrack.bench/iopc", KeyType::Ed25519, [4; 32]).unwrap()
}

async fn fresh(backend: &str, dir: &std::path::Path, n: usize) -> Store {
    let url = match backend {
        "sqlite" => format!("sqlite://{}/bench-{n}.db?mode=rwc", dir.display()),
        _ => {
            let base = std::env::var("RECTRACK_BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
            let admin = Database::connect(&base).await.unwrap();
            let name = format!("rectrack_log_bench_{}", uuid::Uuid::new_v4().simple());
            CREATED.lock().unwrap().push(name.clone());
            admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("CREATE DATABASE {name}"),
                ))
                .await
                .unwrap();
            format!("{}/{name}", base.rsplit_once('/').unwrap().0)
        }
    };
    let connection = db::connect(&url).await.unwrap();
    db::migrate(&connection).await.unwrap();
    let blobs = BlobStore::local(&dir.join(format!("blobs-{n}"))).unwrap();
    Store::new(connection, blobs, Arc::new(SystemClock))
}

/// `WRITES` commands from `WRITERS` tasks; answers writes per second.
async fn writes(store: &Store, round: usize) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..WRITES / WRITERS {
                let draft = OrganisationDraft {
                    code: format!("f{round}-{w}-{i}"),
                    name: format!("Force {round} {w} {i}"),
                    kind: OrganisationKind::PoliceForce,
                };
                store
                    .create_organisation(&Ctx::new(&Principal::Console), &draft)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    WRITES as f64 / started.elapsed().as_secs_f64()
}

async fn throughput(backend: &str, dir: &std::path::Path) {
    // Pairs of runs, one without the log and one with it signing, each on a
    // database of its own so that neither gains from the other's warm cache
    // or suffers its growth; which goes first alternates. The machine's
    // speed drifts between pairs (by a third in some runs), so the figure is
    // the median of each pair's ratio, not a ratio of medians.
    let mut without = Vec::new();
    let mut with = Vec::new();
    let mut ratios = Vec::new();
    let mut logged = 0;
    for pair in 0..PAIRS {
        let plain = async |n: usize| {
            let store = fresh(backend, dir, n).await;
            writes(&store, pair).await
        };
        let signing = async |n: usize| {
            let store = fresh(backend, dir, n).await;
            let signer = {
                let store = store.clone();
                tokio::spawn(async move {
                    loop {
                        if let Err(error) = store
                            .sign_checkpoint(&key(), chrono::Duration::seconds(1))
                            .await
                        {
                            eprintln!("the signer failed: {error}");
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                })
            };
            let rate = writes(&store, pair).await;
            signer.abort();
            let size = store
                .latest_checkpoint()
                .await
                .unwrap()
                .map_or(0, |c| c.checkpoint.size);
            (rate, size)
        };
        let (a, (b, size)) = if pair % 2 == 0 {
            let a = plain(pair * 2).await;
            (a, signing(pair * 2 + 1).await)
        } else {
            let b = signing(pair * 2 + 1).await;
            (plain(pair * 2).await, b)
        };
        without.push(a);
        with.push(b);
        ratios.push(b / a);
        logged += size;
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        (v[(v.len() - 1) / 2] + v[v.len() / 2]) / 2.0
    };
    let round = |v: &[f64]| v.iter().map(|x| x.round()).collect::<Vec<_>>();
    println!(
        "{backend}: writes/s with the log signing against without it, median of {PAIRS} pairs: {:+.1}% (pairs: {}); without {:?}, with {:?}; events logged by the ends of the runs: {logged}",
        (median(&ratios) - 1.0) * 100.0,
        ratios
            .iter()
            .map(|r| format!("{:+.0}%", (r - 1.0) * 100.0))
            .collect::<Vec<_>>()
            .join(" "),
        round(&without),
        round(&with),
    );
}

/// Stores a tree of `LEAVES` synthetic leaves as tiles, as if the log had
/// grown to it.
async fn big_tree(store: &Store) -> (Vec<Hash>, Hash) {
    let leaves: Vec<Hash> = (0..LEAVES).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let root = rectrack_core::tlog::root_of(&leaves);
    let tiles = tile::extend(0, &leaves, |_| Vec::new());
    let db = store.connection();
    let backend = db.get_database_backend();
    for chunk in tiles.chunks(200) {
        let values: Vec<String> = chunk
            .iter()
            .map(|t| {
                let bytes: Vec<u8> = t.hashes.iter().flat_map(|h| h.0).collect();
                let hex = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
                let literal = match backend {
                    sea_orm::DbBackend::Postgres => format!("'\\x{hex}'::bytea"),
                    _ => format!("X'{hex}'"),
                };
                format!("({}, {}, {literal})", t.level, t.index)
            })
            .collect();
        db.execute_raw(Statement::from_string(
            backend,
            format!(
                "INSERT INTO log_tiles (level, idx, hashes) VALUES {}",
                values.join(", ")
            ),
        ))
        .await
        .unwrap();
    }
    db.execute_raw(Statement::from_string(
        backend,
        format!("UPDATE log_head SET size = {LEAVES} WHERE id = 1"),
    ))
    .await
    .unwrap();
    (leaves, root)
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

async fn proofs(backend: &str, dir: &std::path::Path) {
    let store = fresh(backend, dir, 100).await;
    let started = Instant::now();
    let (leaves, root) = big_tree(&store).await;
    let stored = started.elapsed();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut inclusion = Vec::new();
    for _ in 0..PROOFS {
        let index = next() % LEAVES;
        let started = Instant::now();
        let proof = store.inclusion_proof(index, LEAVES).await.unwrap();
        inclusion.push(started.elapsed());
        assert!(rectrack_core::tlog::proof::verify_inclusion(
            index,
            LEAVES,
            &leaves[index as usize],
            &proof,
            &root
        ));
    }
    let mut consistency = Vec::new();
    for n in 0..PROOFS {
        let old = 1 + next() % (LEAVES - 1);
        let started = Instant::now();
        let proof = store.consistency_proof(old, LEAVES).await.unwrap();
        consistency.push(started.elapsed());
        // Recomputing the old root costs far more than the proof: a sample.
        if n < 10 {
            let old_root = rectrack_core::tlog::root_of(&leaves[..old as usize]);
            assert!(rectrack_core::tlog::proof::verify_consistency(
                old, LEAVES, &old_root, &root, &proof
            ));
        }
    }
    let (i50, i99) = percentiles(inclusion);
    let (c50, c99) = percentiles(consistency);
    println!(
        "{backend}: a tree of {LEAVES} leaves stored as tiles in {stored:.1?}; inclusion proof p50 {i50:.2?} p99 {i99:.2?}; consistency proof p50 {c50:.2?} p99 {c99:.2?} ({PROOFS} each)"
    );
}

async fn signing(backend: &str, dir: &std::path::Path) {
    let store = fresh(backend, dir, 200).await;
    let mut times = Vec::new();
    for round in 0..5 {
        writes(&store, 1_000 + round).await;
        let started = Instant::now();
        store
            .sign_checkpoint(&key(), chrono::Duration::zero())
            .await
            .unwrap()
            .unwrap();
        times.push(started.elapsed());
    }
    let ed25519 = {
        let key = key();
        let started = Instant::now();
        for _ in 0..1_000 {
            std::hint::black_box(key.sign("rectrack.bench/iopc\n1000\nAAAA\n", 0));
        }
        started.elapsed() / 1_000
    };
    times.sort();
    println!(
        "{backend}: signing a checkpoint after {WRITES} new events (reading and checking them, growing the tiles, signing): median {:.1?}, max {:.1?}; the Ed25519 signature alone {ed25519:.1?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("rectrack-log-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // LOG_BENCH_BACKENDS=postgres (say) measures one backend only.
    let wanted =
        std::env::var("LOG_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    for backend in ["sqlite", "postgres"] {
        if !wanted.split(',').any(|b| b == backend) {
            continue;
        }
        throughput(backend, &dir).await;
        proofs(backend, &dir).await;
        signing(backend, &dir).await;
    }
    std::fs::remove_dir_all(&dir).ok();
    let base = std::env::var("RECTRACK_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = Database::connect(&base).await.unwrap();
    let names = CREATED.lock().unwrap().clone();
    for name in names {
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                format!("DROP DATABASE {name} WITH (FORCE)"),
            ))
            .await
            .unwrap();
    }
}
