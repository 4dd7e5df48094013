//! `rectrack seed synthetic`: a realistic data set at scale, written through
//! the store — every command checked by core, every change with its audit
//! event — in batched transactions, with a clock that walks from years ago
//! to now so that reports as of past days have a history to rebuild.
//!
//! The same flags give the same data (a fixed pseudo-random sequence), so
//! benchmark runs compare like with like.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::{Duration, Utc};
use rectrack_core::evidence::EvidenceDraft;
use rectrack_core::ids::{AssignmentId, TokenId};
use rectrack_core::milestone::MilestoneDraft;
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::organisation::{OrgCode, OrganisationDraft, OrganisationKind};
use rectrack_core::progress::UpdateDraft;
use rectrack_core::recommendation::RecommendationDraft;
use rectrack_core::report::ReportDraft;
use rectrack_core::response::{ResponseDecision, ResponseDraft};
use rectrack_core::review::{ClaimDraft, ReviewDraft, ReviewOutcome};
use rectrack_core::role::{Actor, Principal, Role};
use rectrack_store::tokens::TokenDraft;
use rectrack_store::{BlobStore, Clock, Ctx, ManualClock, Store, db};

use super::{Error, progress};

/// Flags of `seed synthetic`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recipient organisations.
    #[arg(long, default_value_t = 50)]
    pub organisations: usize,
    /// Reports.
    #[arg(long, default_value_t = 2000)]
    pub reports: usize,
    /// Assignments (recommendations × their recipients).
    #[arg(long, default_value_t = 100_000)]
    pub assignments: usize,
    /// Progress updates.
    #[arg(long, default_value_t = 1_000_000)]
    pub updates: usize,
    /// Years the history spans, ending now.
    #[arg(long, default_value_t = 4)]
    pub years: i64,
    /// Commands per transaction.
    #[arg(long, default_value_t = 5000)]
    pub batch: usize,
    /// Percent of assignments taken through evidence, claim and review.
    #[arg(long, default_value_t = 20)]
    pub closed_percent: usize,
}

/// A small deterministic generator (xorshift64*), so runs are repeatable.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Writes batches of commands, advancing the clock by `step` per command.
struct Loader {
    base: Store,
    batch: Option<Store>,
    in_batch: usize,
    batch_size: usize,
    clock: Arc<ManualClock>,
    bar: indicatif::ProgressBar,
}

impl Loader {
    async fn store(&mut self, step: Duration) -> Result<&Store, Error> {
        if self.in_batch >= self.batch_size {
            self.flush().await?;
        }
        if self.batch.is_none() {
            self.batch = Some(self.base.begin_batch().await?);
        }
        self.in_batch += 1;
        self.clock.advance(step);
        self.bar.inc(1);
        self.batch
            .as_ref()
            .ok_or_else(|| Error::Message("no batch".to_owned()))
    }

    async fn flush(&mut self) -> Result<(), Error> {
        if let Some(batch) = self.batch.take() {
            batch.commit_batch().await?;
        }
        self.in_batch = 0;
        Ok(())
    }
}

fn principal(
    token_id: TokenId,
    code: &str,
    kind: OrganisationKind,
    role: Role,
) -> Result<Principal, Error> {
    Ok(Principal::Token {
        token_id,
        actor: Actor {
            organisation: OrgCode::parse(code).map_err(Error::Message)?,
            organisation_kind: kind,
            role,
        },
    })
}

/// Runs `seed synthetic`.
pub async fn run(database: &str, blobs: &std::path::Path, args: Args) -> Result<ExitCode, Error> {
    let started = std::time::Instant::now();
    let start = Utc::now() - Duration::days(365 * args.years);
    let clock = Arc::new(ManualClock::new(start));
    let connection = db::connect(database).await?;
    db::migrate(&connection).await?;
    let store = Store::new(connection, BlobStore::local(blobs)?, clock.clone());
    let span = Utc::now() - start;
    let recommendations = args.assignments.div_ceil(3);
    let responses = args.assignments * 85 / 100;
    let total = (1
        + args.organisations * 2
        + args.reports
        + recommendations
        + responses * 2
        + args.updates
        + args.assignments * args.closed_percent.min(100) / 100 * 3) as u64;
    let bar = progress(total, "synthetic");
    let mut load = Loader {
        base: store.clone(),
        batch: None,
        in_batch: 0,
        batch_size: args.batch.max(1),
        clock: clock.clone(),
        bar,
    };
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let console = Principal::Console;

    // Organisations and their tokens: the first 2% of the span.
    let setup_step = span / 50 / (1 + args.organisations as i32 * 2 + args.reports as i32).max(1);
    let overseer_code = "synthetic-overseer";
    let draft = OrganisationDraft {
        code: overseer_code.into(),
        name: "Synthetic Oversight Body".into(),
        kind: OrganisationKind::OversightBody,
    };
    load.store(setup_step)
        .await?
        .create_organisation(&Ctx::new(&console), &draft)
        .await?;
    let codes: Vec<String> = (1..=args.organisations)
        .map(|n| format!("force-{n:03}"))
        .collect();
    let mut recipients = Vec::new();
    for code in &codes {
        let draft = OrganisationDraft {
            code: code.clone(),
            name: format!("Synthetic Force {code}"),
            kind: OrganisationKind::PoliceForce,
        };
        load.store(setup_step)
            .await?
            .create_organisation(&Ctx::new(&console), &draft)
            .await?;
        let token = TokenDraft {
            organisation: code.clone(),
            role: Role::Recipient,
            label: Some("synthetic".into()),
        };
        let created = load
            .store(setup_step)
            .await?
            .create_token(&Ctx::new(&console), &token)
            .await?;
        let id = created
            .fresh()
            .map(|t| t.record.id)
            .ok_or_else(|| Error::Message("no token".into()))?;
        recipients.push(principal(
            id,
            code,
            OrganisationKind::PoliceForce,
            Role::Recipient,
        )?);
    }
    let overseer_token = TokenDraft {
        organisation: overseer_code.into(),
        role: Role::Overseer,
        label: Some("synthetic".into()),
    };
    let overseer_id = load
        .store(setup_step)
        .await?
        .create_token(&Ctx::new(&console), &overseer_token)
        .await?
        .fresh()
        .map(|t| t.record.id)
        .ok_or_else(|| Error::Message("no token".into()))?;
    let overseer = principal(
        overseer_id,
        overseer_code,
        OrganisationKind::OversightBody,
        Role::Overseer,
    )?;
    for r in 0..args.reports {
        let draft = ReportDraft {
            slug: format!("report-{r:05}"),
            title: format!("Synthetic report {r}"),
            issued_by: overseer_code.into(),
            published_on: clock.now().date_naive(),
            url: None,
            summary: Some("A synthetic report for benchmarks.".into()),
        };
        load.store(setup_step)
            .await?
            .create_report(&Ctx::new(&overseer), &draft)
            .await?;
    }

    // Recommendations: to the 38th percent of the span.
    let themes = [
        "culture",
        "misogyny",
        "social-media",
        "vetting",
        "whistleblowing",
        "supervision",
        "training",
    ];
    let step = span * 36 / 100 / recommendations.max(1) as i32;
    let mut assignments: Vec<(AssignmentId, usize)> = Vec::with_capacity(args.assignments);
    let mut per_report = vec![0u32; args.reports.max(1)];
    while assignments.len() < args.assignments {
        let k = (1 + dice.below(5))
            .min(args.assignments - assignments.len())
            .min(codes.len());
        let mut chosen: Vec<usize> = Vec::with_capacity(k);
        while chosen.len() < k {
            let candidate = dice.below(codes.len());
            if !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        let report = dice.below(args.reports.max(1));
        per_report[report] += 1;
        let draft = RecommendationDraft {
            number: i64::from(per_report[report]),
            title: format!("Recommendation {} of report {report}", per_report[report]),
            body: "Synthetic text of a recommendation, long enough to look like one. ".repeat(4),
            themes: vec![themes[dice.below(themes.len())].to_owned()],
            recipients: chosen.iter().map(|&i| codes[i].clone()).collect(),
            issued_on: (clock.now() + step).date_naive(),
            response_due_on: None,
            legal_basis: None,
        };
        let view = load
            .store(step)
            .await?
            .create_recommendation(&Ctx::new(&overseer), &format!("report-{report:05}"), &draft)
            .await?;
        let view = view
            .fresh()
            .ok_or_else(|| Error::Message("no recommendation".into()))?;
        for record in &view.assignments {
            let index = codes
                .iter()
                .position(|c| c == record.assignment.organisation.as_str())
                .ok_or_else(|| Error::Message("an assignment to an unknown recipient".into()))?;
            assignments.push((record.assignment.id, index));
        }
    }

    // Responses to 85%, then one milestone per accepting response: to 60%.
    let step = span * 22 / 100 / (responses * 2).max(1) as i32;
    let mut accepting: Vec<(AssignmentId, usize)> = Vec::new();
    for &(id, org) in assignments.iter().take(responses) {
        let roll = dice.below(100);
        let decision = if roll < 75 {
            ResponseDecision::Accepted
        } else if roll < 90 {
            ResponseDecision::PartiallyAccepted
        } else {
            ResponseDecision::NotAccepted
        };
        let draft = ResponseDraft {
            decision,
            rationale: "Synthetic rationale.".into(),
            planned_completion_on: decision
                .accepts()
                .then(|| (clock.now() + Duration::days(365)).date_naive()),
        };
        load.store(step)
            .await?
            .respond(
                &Ctx::new(&recipients[org]),
                id,
                None,
                &draft,
                &OccurrenceDraft::now(),
            )
            .await?;
        if decision.accepts() {
            let plan = MilestoneDraft {
                title: "Deliver the change".into(),
                due_on: (clock.now() + Duration::days(180)).date_naive(),
            };
            load.store(step)
                .await?
                .add_milestone(
                    &Ctx::new(&recipients[org]),
                    id,
                    None,
                    &plan,
                    &OccurrenceDraft::now(),
                )
                .await?;
            accepting.push((id, org));
        }
    }

    // Progress updates spread over accepting assignments: to 92%.
    let step = span * 32 / 100 / args.updates.max(1) as i32;
    if !accepting.is_empty() {
        for n in 0..args.updates {
            let (id, org) = accepting[dice.below(accepting.len())];
            let draft = UpdateDraft {
                narrative: format!("Synthetic progress note {n}."),
                milestone_ids: vec![],
                evidence_ids: vec![],
            };
            load.store(step)
                .await?
                .post_update(
                    &Ctx::new(&recipients[org]),
                    id,
                    None,
                    &draft,
                    &OccurrenceDraft::now(),
                )
                .await?;
        }
    }

    // Evidence, claims and reviews for `closed_percent` of the assignments: to 100%.
    let closing: Vec<(AssignmentId, usize)> = accepting
        .iter()
        .step_by(4)
        .copied()
        .take(args.assignments * args.closed_percent.min(100) / 100)
        .collect();
    let step = (Utc::now() - clock.now()) / (closing.len() * 4 + 1) as i32;
    for (n, &(id, org)) in closing.iter().enumerate() {
        let link = EvidenceDraft::Link {
            title: "Published policy".into(),
            description: None,
            url: format!("https://example.org/policy/{n}"),
        };
        let evidence = load
            .store(step)
            .await?
            .add_evidence(&Ctx::new(&recipients[org]), id, None, &link)
            .await?;
        let evidence = evidence
            .fresh()
            .ok_or_else(|| Error::Message("no evidence".into()))?;
        let claim = ClaimDraft {
            summary: "Implemented.".into(),
            evidence_ids: vec![evidence.id],
        };
        load.store(step)
            .await?
            .claim(
                &Ctx::new(&recipients[org]),
                id,
                None,
                &claim,
                &OccurrenceDraft::now(),
            )
            .await?;
        let outcome = if n % 5 == 4 {
            ReviewOutcome::Returned
        } else {
            ReviewOutcome::Verified
        };
        let review = ReviewDraft {
            outcome,
            comment: (outcome == ReviewOutcome::Returned)
                .then(|| "More evidence is needed.".to_owned()),
        };
        load.store(step)
            .await?
            .review(
                &Ctx::new(&overseer),
                id,
                None,
                &review,
                &OccurrenceDraft::now(),
            )
            .await?;
    }
    load.flush().await?;
    load.bar.finish_and_clear();
    rectrack_store::db::refresh_statistics(store.connection()).await?;
    let verdict = store.verify_chain().await?;
    println!(
        "Synthetic data: {} organisations, {} reports, {} recommendations, {} assignments, {} updates; {} audit events (chain {}) in {:.0?}.",
        args.organisations + 1,
        args.reports,
        per_report.iter().map(|&n| u64::from(n)).sum::<u64>(),
        assignments.len(),
        args.updates,
        verdict.length,
        if verdict.valid { "valid" } else { "INVALID" },
        started.elapsed()
    );
    Ok(if verdict.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
