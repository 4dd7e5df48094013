//! `rectrack export`: the record as CSV, XLSX or an OSCAL POA&M, as
//! `GET /v1/exports` gives it to the overseer (the console reads
//! everything).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rectrack_core::role::Principal;
use rectrack_store::Store;
use rectrack_store::export::{Export, ExportFilter, to_csv, to_xlsx};

use super::Error;

/// The formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One table as CSV (see --table).
    Csv,
    /// Both tables, as the sheets of an XLSX workbook.
    Xlsx,
    /// An OSCAL plan of action and milestones (JSON).
    OscalPoam,
    /// The audit events in the latest checkpoint, one JSON line each with
    /// its inclusion proof, after a line with the checkpoint: what
    /// `rectrack verify --export` checks. With --organisation, only the
    /// events that organisation's people and tokens may read.
    AuditJsonl,
}

/// The tables of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    /// One row per assignment, in the import format.
    Assignments,
    /// One row per fact, with when it was recorded and when it happened.
    Facts,
}

/// The arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// For CSV: which table.
    #[arg(long, value_enum, default_value = "assignments")]
    pub table: Table,
    /// Only this report's recommendations (its slug).
    #[arg(long)]
    pub report: Option<String>,
    /// Only this recipient's assignments (its code).
    #[arg(long)]
    pub organisation: Option<String>,
    /// Write here instead of to standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Runs `export`.
pub async fn run(store: &Store, args: Args) -> Result<ExitCode, Error> {
    if args.format == Format::AuditJsonl {
        return audit_jsonl(store, &args).await;
    }
    let filter = ExportFilter {
        report: args.report.clone(),
        organisation: args.organisation.clone(),
    };
    if let Some(report) = &filter.report {
        store.report(report).await?;
    }
    if let Some(organisation) = &filter.organisation {
        store.organisation(organisation).await?;
    }
    let export = store.export(&filter, Some(&Principal::Console)).await?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => {
            if args.format == Format::Xlsx && std::io::stdout().is_terminal() {
                return Err(Error::Message(
                    "an XLSX workbook is binary: name a file with --output".to_owned(),
                ));
            }
            Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
        }
    };
    match args.format {
        Format::Csv => match args.table {
            Table::Assignments => export.write_csv(&mut out)?,
            Table::Facts => {
                out.write_all(to_csv(&Export::event_columns(), &export.event_rows()).as_bytes())?;
            }
        },
        Format::Xlsx => out.write_all(&to_xlsx(&[
            ("assignments", Export::columns(), export.rows()),
            ("facts", Export::event_columns(), export.event_rows()),
        ])?)?,
        Format::OscalPoam => {
            let document = export.oscal_poam().ok_or_else(|| {
                Error::Message(
                    "no assignment matches: an OSCAL POA&M holds at least one item".to_owned(),
                )
            })?;
            serde_json::to_writer_pretty(&mut out, &document)
                .map_err(|e| Error::Message(format!("the document could not be written: {e}")))?;
            out.write_all(b"\n")?;
        }
        // Written by `audit_jsonl`, before the record was read.
        Format::AuditJsonl => {}
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The audit events as `audit-jsonl`: all of them, or those a recipient of
/// `--organisation` may read.
async fn audit_jsonl(store: &Store, args: &Args) -> Result<ExitCode, Error> {
    if args.report.is_some() {
        return Err(Error::Message(
            "--report does not apply to audit-jsonl: events are exported whole".to_owned(),
        ));
    }
    let principal = match &args.organisation {
        None => Principal::Console,
        Some(code) => {
            let organisation = store.organisation(code).await?;
            Principal::Token {
                token_id: rectrack_core::ids::TokenId::from_uuid(uuid::Uuid::nil()),
                actor: rectrack_core::role::Actor {
                    organisation: organisation.code,
                    organisation_kind: organisation.kind,
                    role: rectrack_core::role::Role::Observer,
                },
            }
        }
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = store
        .export_audit(&principal, |line| {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")
        })
        .await?;
    out.flush()?;
    eprintln!("Exported {written} events with their proofs.");
    Ok(ExitCode::SUCCESS)
}
