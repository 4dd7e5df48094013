//! `rectrack seed hotton`: loads the Operation Hotton data set — the IOPC,
//! the MPS, the report, its 15 recommendations and the MPS's acceptance of
//! them on record — through the store, as the console. The acceptance is a
//! backfill, dated as its source dates it. Idempotent: what exists already
//! is left as it is.

use std::process::ExitCode;

use rectrack_core::dataset::Dataset;
use rectrack_core::organisation::OrganisationDraft;
use rectrack_core::recommendation::RecommendationDraft;
use rectrack_core::report::ReportDraft;
use rectrack_core::role::Principal;
use rectrack_store::{Ctx, Store};

use super::{Error, progress};

/// The data sets.
#[derive(Debug, clap::Subcommand)]
pub enum Which {
    /// The IOPC's 15 recommendations to the MPS after Operation Hotton.
    Hotton,
    /// A large synthetic data set for benchmarks.
    Synthetic(super::synthetic::Args),
}

/// Runs `seed`: Hotton through a store on the system clock, synthetic data
/// through its own store on a clock that walks from years ago to now.
pub async fn run(database: &str, blobs: &std::path::Path, which: Which) -> Result<ExitCode, Error> {
    match which {
        Which::Synthetic(args) => super::synthetic::run(database, blobs, args).await,
        Which::Hotton => {
            let added = hotton(&super::open(database, blobs).await?).await?;
            println!("Operation Hotton: {added} records added (0 means it was already loaded).");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Loads the Operation Hotton data set; returns how many records it added.
pub async fn hotton(store: &Store) -> Result<usize, Error> {
    let dataset = Dataset::operation_hotton()
        .map_err(|e| Error::Message(format!("the shipped data set is invalid: {e}")))?;
    let console = Principal::Console;

    let total = dataset.organisations.len()
        + dataset
            .reports
            .iter()
            .map(|r| 1 + r.recommendations.len())
            .sum::<usize>();
    let bar = progress(total as u64, "seeding");
    let mut added = 0;
    for organisation in &dataset.organisations {
        if store
            .organisation(organisation.code.as_str())
            .await
            .is_err()
        {
            let draft = OrganisationDraft {
                code: organisation.code.to_string(),
                name: organisation.name.to_string(),
                kind: organisation.kind,
            };
            store
                .create_organisation(&Ctx::new(&console), &draft)
                .await?;
            added += 1;
        }
        bar.inc(1);
    }
    for report in &dataset.reports {
        let r = &report.report;
        if store.report(r.slug.as_str()).await.is_err() {
            let draft = ReportDraft {
                slug: r.slug.to_string(),
                title: r.title.to_string(),
                issued_by: r.issued_by.to_string(),
                published_on: r.published_on,
                url: r.url.as_ref().map(ToString::to_string),
                summary: r.summary.as_ref().map(ToString::to_string),
            };
            store.create_report(&Ctx::new(&console), &draft).await?;
            added += 1;
        }
        bar.inc(1);
        for recommendation in &report.recommendations {
            let draft = RecommendationDraft {
                number: i64::from(recommendation.number),
                title: recommendation.title.to_string(),
                body: recommendation.body.to_string(),
                themes: recommendation
                    .themes
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                recipients: recommendation
                    .recipients
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                issued_on: recommendation.issued_on,
                response_due_on: Some(recommendation.response_due_on),
                legal_basis: Some(recommendation.legal_basis),
            };
            match store
                .create_recommendation(&Ctx::new(&console), r.slug.as_str(), &draft)
                .await
            {
                Ok(_) => added += 1,
                Err(rectrack_store::Error::Conflict(_)) => {}
                Err(error) => return Err(error.into()),
            }
            bar.inc(1);
        }
    }
    for on_record in &dataset.responses {
        let view = store.report(on_record.report.as_str()).await?;
        for number in &on_record.numbers {
            let Some(id) = store
                .assignment_of(&view.slug, *number, &on_record.organisation)
                .await?
            else {
                continue;
            };
            // Answered already (by this loader, or by the force since).
            if store.assignment(id).await?.assignment.response.is_some() {
                continue;
            }
            store
                .respond(
                    &Ctx::new(&console),
                    id,
                    None,
                    &on_record.response,
                    &on_record.occurred,
                )
                .await?;
            added += 1;
        }
    }
    bar.finish_and_clear();
    Ok(added)
}
