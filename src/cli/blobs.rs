//! `rectrack blobs gc`: finds evidence blobs that no evidence row names and
//! temporary uploads left by requests that never finished, and removes them
//! with `--delete`. A dry run by default. Safe beside live servers: it
//! leaves anything younger than `--older-than` (an upload in flight), and
//! a server publishes an upload only after its row has committed.

use std::process::ExitCode;

use rectrack_store::Store;

use super::Error;

/// What to do with the blob store.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// List (or with --delete remove) blobs no evidence row names.
    Gc(GcArgs),
}

/// Flags of `blobs gc`.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Remove what is listed; without it nothing is changed.
    #[arg(long)]
    pub delete: bool,
    /// Leave objects younger than this (`90s`, `30m`, `2h`, `1d`).
    #[arg(long, default_value = "1h", value_parser = parse_age)]
    pub older_than: chrono::Duration,
}

/// Runs `blobs`.
pub async fn run(store: &Store, action: Action) -> Result<ExitCode, Error> {
    let Action::Gc(args) = action;
    let referenced = store.referenced_blobs().await?;
    let report = store
        .blobs()
        .gc(
            &referenced,
            chrono::Utc::now() - args.older_than,
            args.delete,
        )
        .await?;
    let (remove, publish) = if args.delete {
        ("removed", "published")
    } else {
        ("would remove", "would publish")
    };
    for item in &report.published {
        println!(
            "{publish} {} ({} bytes): its row committed",
            item.name, item.size_bytes
        );
    }
    for item in &report.removed {
        println!("{remove} {} ({} bytes)", item.name, item.size_bytes);
    }
    println!(
        "{remove} {} objects, {} bytes; {} evidence blobs are in use{}",
        report.removed.len(),
        report.removed_bytes,
        referenced.len(),
        if args.delete || report.removed.is_empty() {
            ""
        } else {
            " (run again with --delete to remove them)"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads `90s`, `30m`, `2h` or `1d`.
fn parse_age(raw: &str) -> Result<chrono::Duration, String> {
    let at = raw.char_indices().last().map_or(0, |(at, _)| at);
    let (number, unit) = raw.split_at(at);
    let count: i64 = number
        .parse()
        .map_err(|_| format!("`{raw}` is not an age such as 90s, 30m, 2h or 1d"))?;
    match unit {
        "s" => Ok(chrono::Duration::seconds(count)),
        "m" => Ok(chrono::Duration::minutes(count)),
        "h" => Ok(chrono::Duration::hours(count)),
        "d" => Ok(chrono::Duration::days(count)),
        _ => Err(format!("`{raw}` is not an age such as 90s, 30m, 2h or 1d")),
    }
}
