//! `rectrack import FILE`: imports a CSV or XLSX record (`docs/import.md`)
//! as the console, with the same rules as `POST /v1/imports`. `--dry-run`
//! prints what would be done and every row's errors, writing nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use rectrack_core::import::RowError;
use rectrack_core::role::Principal;
use rectrack_store::Store;
use rectrack_store::import::{FileKind, ImportReport, read_table, sha256_hex};

use super::Error;

/// The arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file: `.csv` (UTF-8) or `.xlsx` (its first sheet).
    pub file: PathBuf,
    /// Say what would be done, and every error, without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `import`. Exits 1 when the file has errors (nothing is written).
pub async fn run(store: &Store, args: Args) -> Result<ExitCode, Error> {
    let name = args.file.display().to_string();
    let kind = FileKind::from_file_name(&name)
        .ok_or_else(|| Error::Message(format!("`{name}` is neither a .csv nor an .xlsx file")))?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Error::Message(format!("cannot read `{name}`: {e}")))?;
    let sha256 = sha256_hex(&bytes);
    let outcome = match read_table(&bytes, kind) {
        Ok(table) => {
            store
                .import(&Principal::Console, &table, &sha256, args.dry_run)
                .await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(report) => {
            print_report(&name, &report);
            if report.errors.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                Ok(ExitCode::FAILURE)
            }
        }
        Err(rectrack_store::Error::Import(errors)) => {
            eprintln!("{name}: not imported, nothing was written.");
            print_errors(&errors);
            Ok(ExitCode::FAILURE)
        }
        Err(error) => Err(error.into()),
    }
}

fn print_report(name: &str, report: &ImportReport) {
    let verb = if report.dry_run { "would be" } else { "were" };
    println!(
        "{name} (SHA-256 {}): {} rows; {} {verb} created, {} changed, {} left alone; \
         {} records created and {} facts recorded.",
        report.sha256,
        report.rows,
        report.created,
        report.changed,
        report.left_alone,
        report.records_created,
        report.facts_recorded
    );
    for row in &report.results {
        if !row.done.is_empty() {
            println!("  row {}: {}", row.row, row.done.join("; "));
        }
    }
    if report.dry_run {
        println!("Dry run: nothing was written.");
    } else if !report.recorded {
        println!("Nothing to do: the record already holds everything in the file.");
    }
    print_errors(&report.errors);
}

fn print_errors(errors: &[RowError]) {
    for e in errors {
        match &e.column {
            Some(column) => eprintln!("  row {}, column {column}: {}", e.row, e.message),
            None => eprintln!("  row {}: {}", e.row, e.message),
        }
    }
}
