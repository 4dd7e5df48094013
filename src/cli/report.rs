//! `rectrack report`: the status report — the same figures as
//! `GET /v1/status` — as JSON, CSV, Markdown or one self-contained HTML page.

use std::process::ExitCode;

use chrono::NaiveDate;
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_render;
use rectrack_core::status_report::{Basis, ReportFilters};
use rectrack_core::text::Slug;
use rectrack_store::Store;

use super::{Error, progress};

/// The formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// JSON, as `GET /v1/status` answers.
    Json,
    /// CSV: one row per organisation and a row `all`.
    Csv,
    /// Markdown tables.
    Markdown,
    /// One HTML page with an SVG chart, no external assets.
    Html,
}

/// Which facts a past day counts.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BasisArg {
    /// What rectrack had recorded by the end of the day, as known then.
    Recorded,
    /// What had occurred by the end of the day, as known now (backfilled
    /// facts on the days they happened).
    Occurred,
}

impl From<BasisArg> for Basis {
    fn from(basis: BasisArg) -> Self {
        match basis {
            BasisArg::Recorded => Self::Recorded,
            BasisArg::Occurred => Self::Occurred,
        }
    }
}

/// Flags of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The format.
    #[arg(
        long,
        env = "RECTRACK_REPORT_FORMAT",
        value_enum,
        default_value = "json"
    )]
    pub format: Format,
    /// The state at the end of this day (UTC), `YYYY-MM-DD`; today by default.
    #[arg(long, env = "RECTRACK_REPORT_AS_OF")]
    pub as_of: Option<NaiveDate>,
    /// For a past day: count what had been `recorded` by then, or what had
    /// `occurred` by then as known now.
    #[arg(
        long,
        env = "RECTRACK_REPORT_BASIS",
        value_enum,
        default_value = "recorded"
    )]
    pub basis: BasisArg,
    /// Only this report (its slug).
    #[arg(long, env = "RECTRACK_REPORT_SLUG")]
    pub report: Option<String>,
    /// Only this recipient (its code).
    #[arg(long, env = "RECTRACK_REPORT_ORGANISATION")]
    pub organisation: Option<String>,
    /// Only this theme.
    #[arg(long, env = "RECTRACK_REPORT_THEME")]
    pub theme: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short, env = "RECTRACK_REPORT_OUTPUT")]
    pub output: Option<std::path::PathBuf>,
}

/// Runs `report`.
pub async fn run(store: &Store, args: Args) -> Result<ExitCode, Error> {
    let invalid = |flag: &str, e: String| Error::Message(format!("--{flag}: {e}"));
    let filters = ReportFilters {
        report: args
            .report
            .as_deref()
            .map(Slug::parse)
            .transpose()
            .map_err(|e| invalid("report", e))?,
        organisation: args
            .organisation
            .as_deref()
            .map(OrgCode::parse)
            .transpose()
            .map_err(|e| invalid("organisation", e))?,
        theme: args
            .theme
            .as_deref()
            .map(Slug::parse)
            .transpose()
            .map_err(|e| invalid("theme", e))?,
    };
    let as_of = args.as_of.unwrap_or_else(|| store.now().date_naive());
    let bar = progress(1, "reporting");
    let report = store
        .status_report(&filters, as_of, args.basis.into())
        .await?;
    bar.finish_and_clear();
    let text = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| Error::Message(e.to_string()))? + "\n"
        }
        Format::Csv => status_render::to_csv(&report),
        Format::Markdown => status_render::to_markdown(&report),
        Format::Html => status_render::to_html(&report),
    };
    match args.output {
        Some(path) => {
            std::fs::write(&path, text)?;
            eprintln!("Wrote {}.", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
