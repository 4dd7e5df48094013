//! The command line: one clap struct is the single source of flags, their
//! `RECTRACK_*` environment twins and `--help`; one file per subcommand.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rectrack_store::{BlobStore, Store};

mod audit;
mod blobs;
mod copy;
mod cosign;
mod export;
mod import;
mod init;
mod log;
mod openapi;
mod person;
mod report;
mod seed;
mod serve;
mod synthetic;
mod token;
mod verify;
mod witness;

/// rectrack: track how organisations implement an oversight body's recommendations.
#[derive(Debug, Parser)]
#[command(name = "rectrack", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The database: `sqlite://FILE?mode=rwc`, `postgres://…` or `mysql://…`.
    #[arg(
        long,
        global = true,
        env = "RECTRACK_DATABASE_URL",
        default_value = "sqlite://rectrack.db?mode=rwc"
    )]
    pub database: String,

    /// The directory where evidence files are kept (by their SHA-256).
    #[arg(
        long,
        global = true,
        env = "RECTRACK_BLOBS",
        default_value = "./rectrack-blobs"
    )]
    pub blobs: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and migrate the database, create the oversight body if missing,
    /// and print an overseer token: the way to start from nothing.
    Init(init::Args),
    /// Migrate, then serve the REST API (Swagger UI at /docs).
    Serve(serve::Args),
    /// Create the database if needed and apply every pending migration.
    Migrate,
    /// Load a data set.
    #[command(subcommand)]
    Seed(seed::Which),
    /// Create, list or revoke API tokens.
    #[command(subcommand)]
    Token(token::Action),
    /// Invite people, list them, send invitations again, disable or enable
    /// accounts.
    #[command(subcommand)]
    Person(person::Action),
    /// Import a record kept elsewhere, from a CSV or XLSX file
    /// (docs/import.md), entering its history as backfills.
    Import(import::Args),
    /// Export the record as CSV, XLSX or an OSCAL POA&M.
    Export(export::Args),
    /// Write a status report (the figures of GET /v1/status).
    Report(report::Args),
    /// Check the audit chain.
    #[command(subcommand)]
    Audit(audit::Action),
    /// The transparency log: its signing key and checkpoints.
    #[command(subcommand)]
    Log(log::Action),
    /// Look after the evidence blob store.
    #[command(subcommand)]
    Blobs(blobs::Action),
    /// Copy the whole database into another, empty one (e.g. from SQLite
    /// to PostgreSQL), then verify the chain there.
    Copy(copy::Args),
    /// Check a receipt or an exported chain offline against the log's key
    /// and a witness policy (docs/verifying.md).
    Verify(verify::Args),
    /// Run a witness that cosigns a log's checkpoints (C2SP tlog-witness).
    #[command(subcommand)]
    Witness(witness::Action),
    /// Print the OpenAPI document.
    Openapi,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store refused or failed.
    #[error("{0}")]
    Store(#[from] rectrack_store::Error),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Anything else, in words.
    #[error("{0}")]
    Message(String),
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Init(args) => init::run(&cli.database, &cli.blobs, args).await,
        Command::Serve(args) => serve::run(&cli.database, &cli.blobs, args).await,
        Command::Migrate => {
            open(&cli.database, &cli.blobs).await?;
            println!("The database is up to date.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed(which) => seed::run(&cli.database, &cli.blobs, which).await,
        Command::Token(action) => token::run(&open(&cli.database, &cli.blobs).await?, action).await,
        Command::Person(action) => {
            person::run(&open(&cli.database, &cli.blobs).await?, action).await
        }
        Command::Import(args) => import::run(&open(&cli.database, &cli.blobs).await?, args).await,
        Command::Export(args) => export::run(&open(&cli.database, &cli.blobs).await?, args).await,
        Command::Report(args) => report::run(&open(&cli.database, &cli.blobs).await?, args).await,
        Command::Audit(action) => audit::run(&open(&cli.database, &cli.blobs).await?, action).await,
        Command::Log(action) => log::run(&cli.database, &cli.blobs, action).await,
        Command::Blobs(action) => blobs::run(&open(&cli.database, &cli.blobs).await?, action).await,
        Command::Copy(args) => {
            copy::run(&open(&cli.database, &cli.blobs).await?, &cli.blobs, args).await
        }
        Command::Witness(action) => witness::run(action).await,
        Command::Verify(args) => verify::run(args),
        Command::Openapi => openapi::run().await,
    }
}

/// Connects to the database, creating and migrating it as needed, with
/// evidence kept in `blobs`.
pub async fn open(database: &str, blobs: &std::path::Path) -> Result<Store, Error> {
    let blobs = BlobStore::local(blobs)?;
    Store::open(database, blobs).await.map_err(|e| {
        Error::Message(format!(
            "cannot open the database `{}`: {e}",
            redact(database)
        ))
    })
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A progress bar on a terminal; hidden when output goes elsewhere.
pub fn progress(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}
