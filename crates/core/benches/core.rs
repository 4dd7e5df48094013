//! Benchmarks of the core: one lifecycle decision, the pure status report
//! over 100k assignments, and verification of a 1M-event audit chain.
//! Figures are recorded in `docs/benchmarks.md`.

#![allow(missing_docs, clippy::unwrap_used)] // criterion's macros generate undocumented items; setup may panic

use std::hint::black_box;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::{AuditActor, AuditEvent, GENESIS_HASH, NewAuditEvent, verify_chain};
use rectrack_core::lifecycle::{self, Command};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::{OrgCode, OrganisationKind};
use rectrack_core::response::ResponseDecision;
use rectrack_core::role::{Actor, Role};
use rectrack_core::status_report::{
    AssignmentSnapshot, Basis, MilestoneState, ReportFilters, status_report,
};
use rectrack_core::text::{Slug, Title};

fn lifecycle_decision(c: &mut Criterion) {
    let mps = OrgCode::parse("mps").unwrap();
    let actor = Actor {
        organisation: mps.clone(),
        organisation_kind: OrganisationKind::PoliceForce,
        role: Role::Recipient,
    };
    c.bench_function("lifecycle: one decision", |b| {
        b.iter(|| {
            lifecycle::decide(
                black_box(AssignmentStatus::InProgress),
                &mps,
                &actor,
                black_box(Command::Claim),
            )
        })
    });
}

/// `n` assignments across 50 organisations and 2,000 reports, in every status.
fn snapshots(n: usize) -> Vec<AssignmentSnapshot> {
    let organisations: Vec<OrgCode> = (0..50)
        .map(|i| OrgCode::parse(&format!("force-{i:03}")).unwrap())
        .collect();
    let reports: Vec<Slug> = (0..2000)
        .map(|i| Slug::parse(&format!("report-{i:05}")).unwrap())
        .collect();
    let title = Title::parse("A recommendation").unwrap();
    let theme = vec![Slug::parse("culture").unwrap()];
    let issued = NaiveDate::from_ymd_opt(2023, 1, 10).unwrap();
    (0..n)
        .map(|i| {
            let status = AssignmentStatus::ALL[i % 9];
            AssignmentSnapshot {
                assignment_id: uuid::Uuid::from_u128(i as u128).into(),
                report: reports[i % reports.len()].clone(),
                number: (i / reports.len()) as u32 + 1,
                title: title.clone(),
                themes: theme.clone(),
                organisation: organisations[i % organisations.len()].clone(),
                issued_on: issued,
                response_due_on: issued + Duration::days(56),
                status,
                decision: (status != AssignmentStatus::AwaitingResponse)
                    .then_some(ResponseDecision::Accepted),
                first_response_on: Some(issued + Duration::days((i % 90) as i64)),
                verified_on: (status == AssignmentStatus::Verified)
                    .then(|| issued + Duration::days(300 + (i % 200) as i64)),
                closed_on: status.is_final().then(|| issued + Duration::days(500)),
                milestones: vec![MilestoneState {
                    id: uuid::Uuid::from_u128(i as u128).into(),
                    due_on: issued + Duration::days(200),
                    status: MilestoneStatus::Planned,
                }],
                first_response_bound: false,
                verified_bound: false,
                uncertain: false,
            }
        })
        .collect()
}

fn report(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut group = c.benchmark_group("status report");
    group.sample_size(10);
    for (n, name) in [
        (1_000, "pure report over 1k assignments"),
        (10_000, "pure report over 10k assignments"),
        (100_000, "pure report over 100k assignments"),
    ] {
        let data = snapshots(n);
        group.bench_function(name, |b| {
            b.iter(|| {
                status_report(
                    black_box(data.clone()),
                    &ReportFilters::default(),
                    today,
                    Basis::Recorded,
                )
            })
        });
    }
    group.finish();
}

/// A chain of `n` events with small payloads.
fn chain(n: u64) -> Vec<AuditEvent> {
    let start = Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap();
    let actor = AuditActor {
        token_id: Some(uuid::Uuid::from_u128(7).into()),
        person_id: None,
        organisation: Some(OrgCode::parse("mps").unwrap()),
        role: Some(Role::Recipient),
    };
    let mut events = Vec::with_capacity(n as usize);
    let mut prev = GENESIS_HASH.to_owned();
    for seq in 1..=n {
        let event = NewAuditEvent {
            at: start + Duration::microseconds(seq as i64),
            actor: actor.clone(),
            action: "progress.posted".to_owned(),
            entity_type: "progress_update".to_owned(),
            entity_id: uuid::Uuid::from_u128(seq as u128).to_string(),
            payload: serde_json::json!({"assignment": {"id": "0b7f4a9e-6a7d-4f42-9a55-3c1ff1d2b0c4", "status": "in_progress", "version": seq}, "progress_update": {"narrative": "Progress."}}),
        }
        .seal(seq, &prev);
        prev.clone_from(&event.hash);
        events.push(event);
    }
    events
}

fn verification(c: &mut Criterion) {
    let mut group = c.benchmark_group("audit chain");
    group.sample_size(10);
    for (n, name) in [
        (10_000, "verify 10k events"),
        (100_000, "verify 100k events"),
        (1_000_000, "verify 1M events"),
    ] {
        let events = chain(n);
        group.bench_function(name, |b| {
            b.iter(|| assert!(verify_chain(black_box(&events)).valid))
        });
    }
    group.finish();
}

criterion_group!(benches, lifecycle_decision, report, verification);
criterion_main!(benches);
