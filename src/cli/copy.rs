//! `rectrack copy --to URL`: copies the whole database into another, empty
//! one — the way from SQLite to PostgreSQL when one machine is no longer
//! enough — then checks the chain at the destination. Evidence files stay in
//! the blob directory, which both databases share.

use std::process::ExitCode;
use std::sync::Arc;

use rectrack_store::copy::copy_database;
use rectrack_store::{BlobStore, Store, SystemClock, db};

use super::{Error, progress, redact};

/// Flags of `copy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The destination: an empty database (`postgres://…`, `mysql://…` or
    /// `sqlite://…`), created and migrated as needed.
    #[arg(long)]
    pub to: String,
}

/// Runs `copy`.
pub async fn run(source: &Store, blobs: &std::path::Path, args: Args) -> Result<ExitCode, Error> {
    let started = std::time::Instant::now();
    let target = db::connect(&args.to).await.map_err(|e| {
        Error::Message(format!(
            "cannot open the destination `{}`: {e}",
            redact(&args.to)
        ))
    })?;
    db::migrate(&target).await?;
    let bar = progress(0, "copying");
    let copied = copy_database(source.connection(), &target, &|n| bar.set_position(n)).await;
    bar.finish_and_clear();
    let copied = copied.map_err(|e| match e {
        rectrack_store::Error::Conflict(why) => {
            Error::Message(format!("`{}`: {why}", redact(&args.to)))
        }
        other => other.into(),
    })?;
    let before = source.verify_chain().await?;
    let copy = Store::new(target, BlobStore::local(blobs)?, Arc::new(SystemClock));
    let after = copy.verify_chain().await?;
    if !after.valid || after.length != before.length || after.head_hash != before.head_hash {
        println!(
            "The copy's chain does not match: {} events, head {}, {} (the source has {} events, head {}).",
            after.length,
            after.head_hash,
            if after.valid { "valid" } else { "INVALID" },
            before.length,
            before.head_hash
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "Copied {} rows in {} tables to {} in {:.1?}; its chain of {} events verifies, head {}.",
        copied.rows(),
        copied.tables.len(),
        redact(&args.to),
        started.elapsed(),
        after.length,
        after.head_hash
    );
    Ok(ExitCode::SUCCESS)
}
