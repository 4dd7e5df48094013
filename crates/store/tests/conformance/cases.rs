//! The conformance cases: each takes a fresh harness of some backend and
//! states one rule the store must keep, whatever the database.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use futures::TryStreamExt;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::deadline::{ExtensionDecisionDraft, ExtensionDraft};
use rectrack_core::evidence::{EvidenceContent, EvidenceDraft};
use rectrack_core::ids::{AssignmentId, RecommendationId};
use rectrack_core::milestone::{MilestoneChange, MilestoneDraft, MilestoneStatus};
use rectrack_core::occurrence::{DatePrecision, OccurrenceDraft, SourceDraft};
use rectrack_core::organisation::{OrganisationDraft, OrganisationKind};
use rectrack_core::progress::UpdateDraft;
use rectrack_core::recommendation::RecommendationDraft;
use rectrack_core::report::ReportDraft;
use rectrack_core::response::{ResponseDecision, ResponseDraft};
use rectrack_core::review::{ClaimDraft, ReviewDraft, ReviewOutcome, WithdrawalDraft};
use rectrack_core::role::{Principal, Role};
use rectrack_core::status_report::{Basis, ReportFilters, status_report_as_of};
use rectrack_core::text::Slug;
use rectrack_core::{Error as CoreError, Refusal};
use rectrack_migrations::{Migrator, MigratorTrait};
use rectrack_store::copy::copy_database;
use rectrack_store::entities::{assignment_states, milestone_states};
use rectrack_store::page::PageRequest;
use rectrack_store::recommendations::RecommendationView;
use rectrack_store::tokens::TokenDraft;
use rectrack_store::{Ctx, Error, Idempotency, Store, Written};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};

use crate::harness::{Backend, Harness, mps, overseer, wmp};
pub use crate::log::{
    a_rewritten_chain_is_refused_by_the_log_and_exposed_by_its_proofs,
    servers_sharing_a_database_sign_one_history,
    the_log_grows_with_the_chain_and_proves_every_event,
};
pub use crate::people::people_sign_in_with_passwords_second_factors_and_sessions;

pub struct Seeded {
    pub recommendation: RecommendationId,
    pub mps: AssignmentId,
    pub wmp: AssignmentId,
}

fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn fresh<T>(written: Result<Written<T>, Error>) -> T {
    match written {
        Ok(Written::Fresh(value)) => value,
        Ok(Written::Replayed(_)) => panic!("expected a fresh write, got a replay"),
        Err(e) => panic!("expected a fresh write, got {e:?}"),
    }
}

pub async fn organisation(store: &Store, code: &str, name: &str, kind: OrganisationKind) {
    let draft = OrganisationDraft {
        code: code.into(),
        name: name.into(),
        kind,
    };
    fresh(
        store
            .create_organisation(&Ctx::new(&Principal::Console), &draft)
            .await,
    );
}

/// The IOPC, the MPS and West Midlands Police, the Hotton report, and one
/// recommendation addressed to both forces: 5 events.
pub async fn seed(h: &Harness) -> Seeded {
    let store = &h.store;
    organisation(
        store,
        "iopc",
        "Independent Office for Police Conduct",
        OrganisationKind::OversightBody,
    )
    .await;
    organisation(
        store,
        "mps",
        "Metropolitan Police Service",
        OrganisationKind::PoliceForce,
    )
    .await;
    organisation(
        store,
        "wmp",
        "West Midlands Police",
        OrganisationKind::PoliceForce,
    )
    .await;
    let report = ReportDraft {
        slug: "operation-hotton".into(),
        title: "Operation Hotton".into(),
        issued_by: "iopc".into(),
        published_on: day("2022-02-01"),
        url: Some("https://www.policeconduct.gov.uk/".into()),
        summary: None,
    };
    fresh(store.create_report(&Ctx::new(&overseer()), &report).await);
    let view = add_recommendation(store, 1).await;
    let id_of = |code: &str| {
        view.assignments
            .iter()
            .find(|a| a.assignment.organisation.as_str() == code)
            .unwrap()
            .assignment
            .id
    };
    Seeded {
        recommendation: view.recommendation.id,
        mps: id_of("mps"),
        wmp: id_of("wmp"),
    }
}

/// The IOPC's recommendation `number` in the Hotton report, to both forces.
async fn add_recommendation(store: &Store, number: i64) -> RecommendationView {
    fresh(
        store
            .create_recommendation(
                &Ctx::new(&overseer()),
                "operation-hotton",
                &recommendation(number),
            )
            .await,
    )
}

fn recommendation(number: i64) -> RecommendationDraft {
    RecommendationDraft {
        number,
        title: format!("Recommendation {number}"),
        body: "The force should act.".into(),
        themes: vec![
            "culture".into(),
            if number % 2 == 0 {
                "vetting".into()
            } else {
                "misogyny".into()
            },
        ],
        recipients: vec!["mps".into(), "wmp".into()],
        issued_on: day("2022-02-01"),
        response_due_on: None,
        legal_basis: None,
    }
}

fn accept() -> ResponseDraft {
    ResponseDraft {
        decision: ResponseDecision::Accepted,
        rationale: "We accept.".into(),
        planned_completion_on: Some(day("2023-01-31")),
    }
}

fn link(title: &str) -> EvidenceDraft {
    EvidenceDraft::Link {
        title: title.into(),
        description: None,
        url: "https://www.met.police.uk/".into(),
    }
}

fn update(narrative: &str) -> UpdateDraft {
    UpdateDraft {
        narrative: narrative.into(),
        milestone_ids: vec![],
        evidence_ids: vec![],
    }
}

async fn chain_length(h: &Harness) -> u64 {
    let verdict = h.store.verify_chain().await.unwrap();
    assert!(verdict.valid, "{verdict:?}");
    verdict.length
}

pub async fn creating_a_recommendation_makes_one_assignment_per_recipient(h: Harness) {
    let seeded = seed(&h).await;
    let view = h.store.recommendation(seeded.recommendation).await.unwrap();
    let recipients: Vec<&str> = view
        .assignments
        .iter()
        .map(|a| a.assignment.organisation.as_str())
        .collect();
    assert_eq!(recipients, ["mps", "wmp"]);
    assert!(view.assignments.iter().all(|a| a.assignment.status
        == AssignmentStatus::AwaitingResponse
        && a.assignment.version == 1));
    assert_eq!(
        view.assignments[0].assignment.response_due_on,
        day("2022-03-29")
    );
    assert_eq!(
        view.recommendation.content.themes,
        vec![
            Slug::parse("culture").unwrap(),
            Slug::parse("misogyny").unwrap()
        ]
    );
    assert_eq!(chain_length(&h).await, 5);
    let events = h.store.audit_events(0, 100).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "organisation.created",
            "organisation.created",
            "organisation.created",
            "report.created",
            "recommendation.created"
        ]
    );
    assert_eq!(
        events[4].payload["assignments"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        events[0].actor.token_id, None,
        "the console acts without a token"
    );
    assert!(events[3].actor.token_id.is_some());
    let history = h.store.history(seeded.mps).await.unwrap();
    assert_eq!(history.iter().map(|e| e.seq).collect::<Vec<_>>(), [5]);
    h.finish().await;
}

pub async fn duplicates_conflict_and_write_nothing(h: Harness) {
    seed(&h).await;
    let before = h.snapshot().await;
    let again = OrganisationDraft {
        code: "mps".into(),
        name: "Another".into(),
        kind: OrganisationKind::PoliceForce,
    };
    assert!(matches!(
        h.store
            .create_organisation(&Ctx::new(&overseer()), &again)
            .await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        h.store
            .create_recommendation(
                &Ctx::new(&overseer()),
                "operation-hotton",
                &recommendation(1)
            )
            .await,
        Err(Error::Conflict(_))
    ));
    let mut unknown = recommendation(2);
    unknown.recipients = vec!["mps".into(), "nobody".into()];
    assert!(matches!(
        h.store
            .create_recommendation(&Ctx::new(&overseer()), "operation-hotton", &unknown)
            .await,
        Err(Error::Domain(CoreError::Validation(_)))
    ));
    assert!(matches!(
        h.store
            .create_recommendation(&Ctx::new(&overseer()), "no-such-report", &recommendation(2))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        h.store
            .create_organisation(
                &Ctx::new(&mps()),
                &OrganisationDraft {
                    code: "gmp".into(),
                    name: "GMP".into(),
                    kind: OrganisationKind::PoliceForce
                }
            )
            .await,
        Err(Error::Domain(CoreError::Refused(
            Refusal::NotPermitted { .. }
        )))
    ));
    assert_eq!(h.snapshot().await, before);
    h.finish().await;
}

pub async fn refused_moves_leave_no_row_and_no_event(h: Harness) {
    let seeded = seed(&h).await;
    let before = h.snapshot().await;
    let claim = ClaimDraft {
        summary: "Done".into(),
        evidence_ids: vec![uuid::Uuid::new_v4().into()],
    };
    let refused = h
        .store
        .claim(
            &Ctx::new(&mps()),
            seeded.mps,
            Some(1),
            &claim,
            &OccurrenceDraft::now(),
        )
        .await;
    match refused {
        Err(Error::Domain(CoreError::Refused(Refusal::InvalidMove { current_status, .. }))) => {
            assert_eq!(current_status, AssignmentStatus::AwaitingResponse)
        }
        other => panic!("expected a refused move, got {other:?}"),
    }
    // Another force's assignment is not even visible to the MPS.
    assert!(matches!(
        h.store
            .respond(
                &Ctx::new(&mps()),
                seeded.wmp,
                Some(1),
                &accept(),
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(Refusal::NotVisible)))
    ));
    // The overseer may not respond for the force.
    assert!(matches!(
        h.store
            .respond(
                &Ctx::new(&overseer()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(
            Refusal::NotPermitted { .. }
        )))
    ));
    // Invalid input is refused whole.
    let bad = ResponseDraft {
        decision: ResponseDecision::Accepted,
        rationale: " ".into(),
        planned_completion_on: None,
    };
    match h
        .store
        .respond(
            &Ctx::new(&mps()),
            seeded.mps,
            Some(1),
            &bad,
            &OccurrenceDraft::now(),
        )
        .await
    {
        Err(Error::Domain(CoreError::Validation(errors))) => assert_eq!(errors.errors().len(), 2),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(h.snapshot().await, before);
    h.finish().await;
}

pub async fn the_whole_lifecycle_is_stored_with_one_event_per_command(h: Harness) {
    whole_lifecycle(&h).await;
    h.finish().await;
}

/// Takes one assignment from creation to verification, checking each step.
async fn whole_lifecycle(h: &Harness) {
    let seeded = seed(h).await;
    let store = &h.store;
    let id = seeded.mps;
    h.clock.advance(Duration::days(20));
    let record = fresh(
        store
            .respond(
                &Ctx::new(&mps()),
                id,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(
        (record.assignment.status, record.assignment.version),
        (AssignmentStatus::Accepted, 2)
    );
    let milestone = fresh(
        store
            .add_milestone(
                &Ctx::new(&mps()),
                id,
                Some(2),
                &MilestoneDraft {
                    title: "Publish the policy".into(),
                    due_on: day("2022-06-30"),
                },
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let started = MilestoneChange {
        status: Some(MilestoneStatus::InProgress),
        ..MilestoneChange::default()
    };
    fresh(
        store
            .change_milestone(
                &Ctx::new(&mps()),
                id,
                milestone.id,
                Some(3),
                &started,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(
        store.assignment(id).await.unwrap().assignment.status,
        AssignmentStatus::InProgress
    );
    // As the service adds a document: staged, then published by the write.
    let staged = store
        .blobs()
        .stage(
            futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(
                b"%PDF-1.4 policy",
            ))]),
            1024,
        )
        .await
        .unwrap();
    let document = EvidenceDraft::Document {
        title: "Policy".into(),
        description: None,
        filename: "policy.pdf".into(),
        media_type: Some("application/pdf".into()),
        size_bytes: staged.blob.size_bytes,
        sha256: staged.blob.sha256.to_string(),
    };
    let document = fresh(
        store
            .add_document(&Ctx::new(&mps()), id, None, &document, &staged)
            .await,
    );
    let link = fresh(
        store
            .add_evidence(&Ctx::new(&mps()), id, None, &link("Announcement"))
            .await,
    );
    let seen = store
        .evidence_seen_by(mps().actor().unwrap(), document.id)
        .await
        .unwrap();
    let EvidenceContent::Document { sha256, .. } = &seen.content else {
        panic!("not a document: {seen:?}");
    };
    let chunks: Vec<bytes::Bytes> = store
        .blobs()
        .open(sha256, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.concat(), b"%PDF-1.4 policy");
    // Another force learns nothing of it.
    assert!(
        store
            .evidence_seen_by(wmp().actor().unwrap(), document.id)
            .await
            .is_err()
    );
    let posted = UpdateDraft {
        narrative: "Policy drafted.".into(),
        milestone_ids: vec![milestone.id],
        evidence_ids: vec![link.id],
    };
    fresh(
        store
            .post_update(
                &Ctx::new(&mps()),
                id,
                None,
                &posted,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let version = store.assignment(id).await.unwrap().assignment.version;
    let claim = ClaimDraft {
        summary: "Implemented.".into(),
        evidence_ids: vec![document.id],
    };
    let claimed = fresh(
        store
            .claim(
                &Ctx::new(&mps()),
                id,
                Some(version),
                &claim,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(
        claimed.assignment.assignment.status,
        AssignmentStatus::ImplementationClaimed
    );
    let returned = ReviewDraft {
        outcome: ReviewOutcome::Returned,
        comment: Some("Training not yet delivered.".into()),
    };
    let outcome = fresh(
        store
            .review(
                &Ctx::new(&overseer()),
                id,
                Some(version + 1),
                &returned,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(
        outcome.assignment.assignment.status,
        AssignmentStatus::InProgress
    );
    fresh(
        store
            .post_update(
                &Ctx::new(&mps()),
                id,
                None,
                &update("Training delivered."),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let version = store.assignment(id).await.unwrap().assignment.version;
    fresh(
        store
            .claim(
                &Ctx::new(&mps()),
                id,
                Some(version),
                &claim,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let claims = store.claims(id).await.unwrap();
    assert_eq!(claims.len(), 2, "both claims are kept, oldest first");
    assert_eq!(claims[0].evidence_ids, vec![document.id]);
    assert_eq!(claims[1].summary.as_str(), "Implemented.");
    assert!(claims[0].submitted_at < claims[1].submitted_at);
    h.clock.advance(Duration::days(10));
    let verified = ReviewDraft {
        outcome: ReviewOutcome::Verified,
        comment: None,
    };
    let outcome = fresh(
        store
            .review(
                &Ctx::new(&overseer()),
                id,
                Some(version + 1),
                &verified,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let assignment = outcome.assignment.assignment;
    assert_eq!(assignment.status, AssignmentStatus::Verified);
    assert_eq!(assignment.closed_on, Some(day("2022-03-03")));
    // Eleven commands since creation, each bumping the version once.
    assert_eq!(assignment.version, 12);
    // 5 seed events + 11 commands, one event each.
    assert_eq!(chain_length(h).await, 16);
    assert_eq!(store.history(id).await.unwrap().len(), 12);
    assert_eq!(
        store.updates(id).await.unwrap()[0].milestone_ids,
        vec![milestone.id]
    );
    assert_eq!(store.reviews(id).await.unwrap().len(), 2);
    assert_eq!(store.evidence_of(id).await.unwrap().len(), 2);
    // A final status is final.
    assert!(matches!(
        store
            .post_update(
                &Ctx::new(&mps()),
                id,
                None,
                &update("More"),
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(
            Refusal::InvalidMove { .. }
        )))
    ));
}

pub async fn a_stale_expected_version_is_refused(h: Harness) {
    let seeded = seed(&h).await;
    fresh(
        h.store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let before = h.snapshot().await;
    match h
        .store
        .respond(
            &Ctx::new(&mps()),
            seeded.mps,
            Some(1),
            &accept(),
            &OccurrenceDraft::now(),
        )
        .await
    {
        Err(Error::StaleVersion {
            expected: 1,
            current: 2,
        }) => {}
        other => panic!("expected a stale version, got {other:?}"),
    }
    assert_eq!(h.snapshot().await, before);
    h.finish().await;
}

/// 8 writers × 50 updates, each expecting the version it last read: every
/// write lands or is refused as stale, none is lost, and the chain holds.
async fn race(h: &Harness, stores: Vec<Store>) {
    let seeded = seed(h).await;
    fresh(
        h.store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let events_before = chain_length(h).await;
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = stores[writer % stores.len()].clone();
        let id = seeded.mps;
        tasks.push(tokio::spawn(async move {
            let mut landed = 0u64;
            let mut stale = 0u64;
            for n in 0..50 {
                let version = store.assignment(id).await.unwrap().assignment.version;
                let draft = update(&format!("writer {writer}, write {n}"));
                match store
                    .post_update(
                        &Ctx::new(&mps()),
                        id,
                        Some(version),
                        &draft,
                        &OccurrenceDraft::now(),
                    )
                    .await
                {
                    Ok(Written::Fresh(_)) => landed += 1,
                    Err(Error::StaleVersion { .. }) => stale += 1,
                    other => panic!("unexpected outcome {other:?}"),
                }
            }
            (landed, stale)
        }));
    }
    let mut landed = 0;
    for task in tasks {
        let (l, s) = task.await.unwrap();
        assert_eq!(l + s, 50);
        landed += l;
    }
    assert!(landed > 0);
    let assignment = h.store.assignment(seeded.mps).await.unwrap().assignment;
    assert_eq!(
        assignment.version,
        2 + landed as i64,
        "every landed write bumped the version once"
    );
    assert_eq!(
        h.store.updates(seeded.mps).await.unwrap().len() as u64,
        landed,
        "no update lost"
    );
    let verdict = h.store.verify_chain().await.unwrap();
    assert!(verdict.valid, "{verdict:?}");
    assert_eq!(verdict.length, events_before + landed);
    let seqs: Vec<u64> = h
        .store
        .audit_events(0, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(
        seqs,
        (1..=verdict.length).collect::<Vec<_>>(),
        "seq has no gaps"
    );
}

pub async fn concurrent_writers_lose_no_update_and_keep_one_chain(h: Harness) {
    race(&h, vec![h.store.clone()]).await;
    h.finish().await;
}

pub async fn two_connection_pools_write_one_chain(h: Harness) {
    let second = h.second_store().await;
    race(&h, vec![h.store.clone(), second]).await;
    h.finish().await;
}

/// Writes a stray event at `seq`, so that a write reaching it fails after
/// sending its rows, and puts the chain head back on event `head`, as if the
/// row had been written behind the chain's back (the trigger had moved the
/// head onto it).
async fn plant_fault(h: &Harness, seq: u64, head: u64) {
    h.exec(&format!(
        "INSERT INTO audit_events (seq, at_us, action, entity_type, entity_id, payload, prev_hash, hash) \
         VALUES ({seq}, 0, 'fault', 'fault', 'fault', '{{}}', 'x', 'fault-{seq}')"
    ))
    .await;
    h.exec(&format!(
        "UPDATE audit_head SET seq = {head}, \
         hash = (SELECT hash FROM audit_events WHERE seq = {head}), \
         at_us = (SELECT at_us FROM audit_events WHERE seq = {head}) WHERE id = 1"
    ))
    .await;
}

pub async fn a_fault_mid_transaction_leaves_no_row_and_no_event(h: Harness) {
    let seeded = seed(&h).await;
    fresh(
        h.store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let length = chain_length(&h).await;
    // Occupy the next seq, so the append fails after the command has written its rows.
    plant_fault(&h, length + 1, length).await;
    let before = h.snapshot().await;
    let draft = MilestoneDraft {
        title: "Never stored".into(),
        due_on: day("2022-06-30"),
    };
    assert!(matches!(
        h.store
            .add_milestone(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &draft,
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Database(_) | Error::NotCommitted(_))
    ));
    assert_eq!(
        h.snapshot().await,
        before,
        "the milestone and its version bump were rolled back"
    );
    assert_eq!(
        h.store
            .assignment(seeded.mps)
            .await
            .unwrap()
            .assignment
            .version,
        2
    );
    h.exec(&format!(
        "DELETE FROM audit_events WHERE seq = {}",
        length + 1
    ))
    .await;
    assert_eq!(chain_length(&h).await, length);
    fresh(
        h.store
            .add_milestone(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &draft,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(chain_length(&h).await, length + 1);
    h.finish().await;
}

pub async fn writers_are_answered_only_with_what_was_committed(h: Harness) {
    let seeded = seed(&h).await;
    fresh(
        h.store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let length = chain_length(&h).await;
    // Occupy the seq two past the head: two writes can land, and any write
    // that would take that seq fails after sending its rows. On SQLite,
    // concurrent writers share a transaction, so such a failure takes down
    // the others in it: none of them may be answered as written.
    let fault = length + 3;
    plant_fault(&h, fault, length).await;
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = h.store.clone();
        let id = seeded.mps;
        tasks.push(tokio::spawn(async move {
            let draft = update(&format!("racer {writer}"));
            match store
                .post_update(&Ctx::new(&mps()), id, None, &draft, &OccurrenceDraft::now())
                .await
            {
                Ok(Written::Fresh(_)) => true,
                Err(Error::Database(_) | Error::NotCommitted(_)) => false,
                other => panic!("unexpected outcome {other:?}"),
            }
        }));
    }
    let mut answered = Vec::new();
    for task in tasks {
        answered.push(task.await.unwrap());
    }
    let written = answered.iter().filter(|&&ok| ok).count();
    assert!(
        written <= 2,
        "only two seqs were free, yet {written} writes were answered as written"
    );
    for (writer, ok) in answered.iter().enumerate() {
        let stored = h
            .count_where("progress_updates", &format!("narrative = 'racer {writer}'"))
            .await;
        assert_eq!(
            stored,
            i64::from(*ok),
            "writer {writer} was answered {ok} but its update is stored {stored} times"
        );
    }
    h.exec(&format!("DELETE FROM audit_events WHERE seq = {fault}"))
        .await;
    assert_eq!(chain_length(&h).await, length + written as u64);
    // Once the fault is gone, writes land again.
    fresh(
        h.store
            .post_update(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &update("after"),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    h.finish().await;
}

pub async fn writers_abandoned_midway_leave_whole_commands_or_nothing(h: Harness) {
    let seeded = seed(&h).await;
    fresh(
        h.store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let length = chain_length(&h).await;
    // Clients that give up: each write is dropped after a different short
    // wait, so some are dropped before, during and after sending their rows.
    let mut tasks = Vec::new();
    for writer in 0..48u64 {
        let store = h.store.clone();
        let id = seeded.mps;
        tasks.push(tokio::spawn(async move {
            let draft = update(&format!("abandoned {writer}"));
            let patience = std::time::Duration::from_micros(writer * 97 % 4000);
            let principal = mps();
            let ctx = Ctx::new(&principal);
            let occurred = OccurrenceDraft::now();
            let write = store.post_update(&ctx, id, None, &draft, &occurred);
            match tokio::time::timeout(patience, write).await {
                Ok(Ok(Written::Fresh(_))) => Some(writer),
                Ok(Err(Error::Database(_) | Error::NotCommitted(_))) | Err(_) => None,
                Ok(other) => panic!("unexpected outcome {other:?}"),
            }
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    // Let any group still open finish.
    fresh(
        h.store
            .post_update(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &update("last"),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    for writer in &acknowledged {
        assert_eq!(
            h.count_where(
                "progress_updates",
                &format!("narrative = 'abandoned {writer}'")
            )
            .await,
            1,
            "writer {writer} was acknowledged"
        );
    }
    let updates = h.count("progress_updates").await;
    assert_eq!(
        h.count_where("audit_events", "action = 'progress.posted'")
            .await,
        updates,
        "every stored update has its event, and no event lacks its update"
    );
    assert_eq!(
        h.store
            .assignment(seeded.mps)
            .await
            .unwrap()
            .assignment
            .version,
        2 + updates,
        "every stored update bumped the version once"
    );
    assert_eq!(chain_length(&h).await, length + updates as u64);
    h.finish().await;
}

pub async fn tampering_with_a_stored_event_is_named_by_verification(h: Harness) {
    seed(&h).await;
    assert!(h.store.verify_chain().await.unwrap().valid);
    h.exec("UPDATE audit_events SET payload = '{\"organisation\":{\"code\":\"mps\",\"kind\":\"police_force\",\"name\":\"Someone else\"}}' WHERE seq = 2").await;
    let verdict = h.store.verify_chain().await.unwrap();
    assert!(!verdict.valid);
    assert_eq!(verdict.first_invalid_seq, Some(2));
    assert_eq!(verdict.length, 5);
    h.finish().await;
}

pub async fn an_idempotent_replay_returns_the_first_answer_and_writes_nothing(h: Harness) {
    seed(&h).await;
    let principal = overseer();
    let render = |org: &rectrack_core::organisation::Organisation| {
        serde_json::to_string(org).map_err(|e| e.to_string())
    };
    let ctx = |hash: &str| Ctx {
        principal: &principal,
        idempotency: Some(Idempotency {
            scope: "token-1".into(),
            key: "key-1".into(),
            request_hash: hash.into(),
            render: &render,
        }),
    };
    let draft = OrganisationDraft {
        code: "gmp".into(),
        name: "Greater Manchester Police".into(),
        kind: OrganisationKind::PoliceForce,
    };
    let created = fresh(h.store.create_organisation(&ctx("hash-a"), &draft).await);
    let before = h.snapshot().await;
    match h.store.create_organisation(&ctx("hash-a"), &draft).await {
        Ok(Written::Replayed(body)) => {
            assert_eq!(
                body,
                render(&created).unwrap(),
                "the first answer, byte for byte"
            );
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    assert!(matches!(
        h.store.create_organisation(&ctx("hash-b"), &draft).await,
        Err(Error::IdempotencyMismatch)
    ));
    assert_eq!(h.snapshot().await, before);
    h.finish().await;
}

pub async fn an_answer_that_cannot_be_kept_for_replay_writes_nothing(h: Harness) {
    seed(&h).await;
    let principal = overseer();
    let render = |_: &rectrack_core::organisation::Organisation| Err("no JSON for this".to_owned());
    let ctx = Ctx {
        principal: &principal,
        idempotency: Some(Idempotency {
            scope: "token-1".into(),
            key: "key-1".into(),
            request_hash: "hash-a".into(),
            render: &render,
        }),
    };
    let draft = OrganisationDraft {
        code: "gmp".into(),
        name: "Greater Manchester Police".into(),
        kind: OrganisationKind::PoliceForce,
    };
    let before = h.snapshot().await;
    assert!(matches!(
        h.store.create_organisation(&ctx, &draft).await,
        Err(Error::Unrenderable(_))
    ));
    assert_eq!(
        h.snapshot().await,
        before,
        "no organisation, no key, no event"
    );
    h.finish().await;
}

pub async fn tokens_are_stored_as_hashes_and_revocation_is_immediate(h: Harness) {
    seed(&h).await;
    let draft = TokenDraft {
        organisation: "mps".into(),
        role: Role::Recipient,
        label: Some("MPS integration".into()),
    };
    let created = fresh(h.store.create_token(&Ctx::new(&overseer()), &draft).await);
    assert!(
        created.secret.starts_with("rtk_") && created.secret.len() == 47,
        "{}",
        created.secret
    );
    let (record, actor) = h
        .store
        .authenticate(&created.secret)
        .await
        .unwrap()
        .expect("the new token works");
    assert_eq!(
        (actor.organisation.as_str(), actor.role),
        ("mps", Role::Recipient)
    );
    assert_eq!(record.id, created.record.id);
    let listed = h.store.tokens(&PageRequest::first(10)).await.unwrap();
    assert!(listed.items[0].last_used_at.is_some(), "use is recorded");
    assert!(
        h.store
            .authenticate("rtk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await
            .unwrap()
            .is_none()
    );
    let events = h.store.audit_events(0, 100).await.unwrap();
    let stored = serde_json::to_string(&events).unwrap();
    assert!(
        !stored.contains(&created.secret),
        "the audit chain never holds a token"
    );
    let bad_role = TokenDraft {
        organisation: "mps".into(),
        role: Role::Overseer,
        label: None,
    };
    assert!(matches!(
        h.store
            .create_token(&Ctx::new(&overseer()), &bad_role)
            .await,
        Err(Error::Domain(CoreError::Validation(_)))
    ));
    fresh(
        h.store
            .revoke_token(&Ctx::new(&overseer()), created.record.id)
            .await,
    );
    assert!(
        h.store
            .authenticate(&created.secret)
            .await
            .unwrap()
            .is_none(),
        "revoked at once"
    );
    assert!(matches!(
        h.store
            .revoke_token(&Ctx::new(&overseer()), created.record.id)
            .await,
        Err(Error::Conflict(_))
    ));
    let listed = h.store.tokens(&PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(listed.items[0].revoked_at.is_some());
    h.finish().await;
}

pub async fn extensions_move_the_due_day_only_when_granted(h: Harness) {
    let seeded = seed(&h).await;
    let ask = ExtensionDraft {
        requested_due_on: day("2022-04-30"),
        reason: "The board meets in April.".into(),
    };
    let request = fresh(
        h.store
            .request_extension(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &ask,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert!(matches!(
        h.store
            .request_extension(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &ask,
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(Refusal::Conflict { .. })))
    ));
    let grant = ExtensionDecisionDraft {
        granted: true,
        comment: None,
    };
    fresh(
        h.store
            .decide_extension(
                &Ctx::new(&overseer()),
                seeded.mps,
                request.id,
                None,
                &grant,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(
        h.store
            .assignment(seeded.mps)
            .await
            .unwrap()
            .assignment
            .response_due_on,
        day("2022-04-30")
    );
    assert!(matches!(
        h.store
            .decide_extension(
                &Ctx::new(&overseer()),
                seeded.mps,
                request.id,
                None,
                &grant,
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(Refusal::Conflict { .. })))
    ));
    h.clock.advance(Duration::days(100));
    assert!(
        matches!(
            h.store
                .request_extension(
                    &Ctx::new(&wmp()),
                    seeded.wmp,
                    None,
                    &ask,
                    &OccurrenceDraft::now()
                )
                .await,
            Err(Error::Domain(CoreError::Refused(Refusal::Conflict { .. })))
        ),
        "too late for the WMP"
    );
    h.finish().await;
}

pub async fn withdrawal_closes_only_open_assignments(h: Harness) {
    let seeded = seed(&h).await;
    let reason = WithdrawalDraft {
        reason: "Superseded by a later report.".into(),
    };
    assert!(matches!(
        h.store
            .withdraw_recommendation(
                &Ctx::new(&mps()),
                seeded.recommendation,
                &reason,
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(
            Refusal::NotPermitted { .. }
        )))
    ));
    let close = ReviewDraft {
        outcome: ReviewOutcome::ClosedNotImplemented,
        comment: Some("No response.".into()),
    };
    fresh(
        h.store
            .review(
                &Ctx::new(&overseer()),
                seeded.wmp,
                None,
                &close,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let view = fresh(
        h.store
            .withdraw_recommendation(
                &Ctx::new(&overseer()),
                seeded.recommendation,
                &reason,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert!(view.recommendation.withdrawn);
    let statuses: Vec<AssignmentStatus> = view
        .assignments
        .iter()
        .map(|a| a.assignment.status)
        .collect();
    assert_eq!(
        statuses,
        [
            AssignmentStatus::Withdrawn,
            AssignmentStatus::ClosedNotImplemented
        ]
    );
    let last = h.store.audit_events(6, 10).await.unwrap();
    assert_eq!(last.len(), 1, "one withdrawal, one event");
    assert_eq!(last[0].payload["assignments"].as_array().unwrap().len(), 1);
    assert!(matches!(
        h.store
            .withdraw_recommendation(
                &Ctx::new(&overseer()),
                seeded.recommendation,
                &reason,
                &OccurrenceDraft::now()
            )
            .await,
        Err(Error::Domain(CoreError::Refused(Refusal::Conflict { .. })))
    ));
    h.finish().await;
}

pub async fn lists_page_through_everything_once(h: Harness) {
    seed(&h).await;
    for number in 2..=7 {
        add_recommendation(&h.store, number).await;
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = h
            .store
            .recommendations(&Default::default(), &page)
            .await
            .unwrap();
        seen.extend(got.items.iter().map(|v| v.recommendation.content.number));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, (1..=7).collect::<Vec<u32>>());
    let mut assignments = BTreeSet::new();
    let mut page = PageRequest::first(4);
    loop {
        let got = h
            .store
            .assignments(&Default::default(), &page)
            .await
            .unwrap();
        for record in &got.items {
            assert!(assignments.insert(record.assignment.id), "seen twice");
        }
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(assignments.len(), 14);
    let filter = rectrack_store::recommendations::RecommendationFilter {
        theme: Some("vetting".into()),
        ..Default::default()
    };
    let vetting = h
        .store
        .recommendations(&filter, &PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(
        vetting
            .items
            .iter()
            .map(|v| v.recommendation.content.number)
            .collect::<Vec<_>>(),
        [2, 4, 6]
    );
    let overdue = rectrack_store::assignments::AssignmentFilter {
        organisation: Some("mps".into()),
        overdue_on: Some(day("2022-03-30")),
        ..Default::default()
    };
    assert_eq!(
        h.store
            .assignments(&overdue, &PageRequest::first(50))
            .await
            .unwrap()
            .items
            .len(),
        7
    );
    let not_overdue = rectrack_store::assignments::AssignmentFilter {
        organisation: Some("mps".into()),
        not_overdue_on: Some(day("2022-03-30")),
        ..Default::default()
    };
    assert_eq!(
        h.store
            .assignments(&not_overdue, &PageRequest::first(50))
            .await
            .unwrap()
            .items
            .len(),
        0,
        "all seven are overdue"
    );
    let early = rectrack_store::assignments::AssignmentFilter {
        not_overdue_on: Some(day("2022-03-01")),
        ..Default::default()
    };
    assert_eq!(
        h.store
            .assignments(&early, &PageRequest::first(50))
            .await
            .unwrap()
            .items
            .len(),
        14,
        "none is overdue yet"
    );
    h.finish().await;
}

/// The SQL report equals core's pure report over the recorded timelines, on
/// every day of a scenario and under every filter.
pub async fn the_sql_report_equals_the_core_report(h: Harness) {
    let seeded = seed(&h).await;
    let store = &h.store;
    let second = add_recommendation(store, 2).await;
    let second_mps = second.assignments[0].assignment.id;
    h.clock.advance(Duration::days(10));
    fresh(
        store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let partial = ResponseDraft {
        decision: ResponseDecision::PartiallyAccepted,
        rationale: "In part.".into(),
        planned_completion_on: Some(day("2022-12-31")),
    };
    fresh(
        store
            .respond(
                &Ctx::new(&wmp()),
                seeded.wmp,
                None,
                &partial,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    h.clock.advance(Duration::days(15));
    fresh(
        store
            .add_milestone(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &MilestoneDraft {
                    title: "Train supervisors".into(),
                    due_on: day("2022-03-15"),
                },
                &OccurrenceDraft::now(),
            )
            .await,
    );
    fresh(
        store
            .add_evidence(&Ctx::new(&mps()), seeded.mps, None, &link("Announcement"))
            .await,
    );
    let evidence = store.evidence_of(seeded.mps).await.unwrap()[0].id;
    fresh(
        store
            .respond(
                &Ctx::new(&mps()),
                second_mps,
                None,
                &ResponseDraft {
                    decision: ResponseDecision::NotAccepted,
                    rationale: "No.".into(),
                    planned_completion_on: None,
                },
                &OccurrenceDraft::now(),
            )
            .await,
    );
    h.clock.advance(Duration::days(30));
    fresh(
        store
            .claim(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &ClaimDraft {
                    summary: "Done.".into(),
                    evidence_ids: vec![evidence],
                },
                &OccurrenceDraft::now(),
            )
            .await,
    );
    h.clock.advance(Duration::days(5));
    fresh(
        store
            .review(
                &Ctx::new(&overseer()),
                seeded.mps,
                None,
                &ReviewDraft {
                    outcome: ReviewOutcome::Verified,
                    comment: None,
                },
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let reason = WithdrawalDraft {
        reason: "Superseded.".into(),
    };
    fresh(
        store
            .withdraw_recommendation(
                &Ctx::new(&overseer()),
                second.recommendation.id,
                &reason,
                &OccurrenceDraft::now(),
            )
            .await,
    );
    h.clock.advance(Duration::days(40));

    let timelines = store.assignment_timelines().await.unwrap();
    assert_eq!(timelines.len(), 4);
    let today = h.clock_today();
    let filters = [
        ReportFilters::default(),
        ReportFilters {
            organisation: Some("mps".parse().unwrap()),
            ..Default::default()
        },
        ReportFilters {
            theme: Some("vetting".parse().unwrap()),
            ..Default::default()
        },
        ReportFilters {
            report: Some("operation-hotton".parse().unwrap()),
            ..Default::default()
        },
    ];
    let mut days = vec![
        day("2022-01-31"),
        day("2022-02-01"),
        day("2022-02-11"),
        day("2022-02-26"),
        day("2022-03-16"),
        day("2022-03-28"),
        day("2022-04-02"),
        today,
        today + Duration::days(30),
    ];
    days.dedup();
    for as_of in days {
        for filter in &filters {
            for basis in Basis::ALL {
                let sql = store.status_report(filter, as_of, basis).await.unwrap();
                let pure = status_report_as_of(&timelines, filter, as_of, basis);
                assert_eq!(sql, pure, "as of {as_of} ({basis:?}), {filter:?}");
            }
        }
    }
    let now = store
        .status_report(&ReportFilters::default(), today, Basis::Recorded)
        .await
        .unwrap();
    assert_eq!(now.totals.by_status[&AssignmentStatus::Verified], 1);
    assert_eq!(now.totals.by_status[&AssignmentStatus::Withdrawn], 2);
    assert_eq!(now.totals.median_days_to_verification, Some(60.0));
    let (_, milestones) = the_states_kept_are_those_the_events_give(&h).await;
    assert!(milestones > 0, "the milestone's states were kept");
    h.finish().await;
}

/// The dated states each command keeps (`assignment_states`,
/// `milestone_states`) are exactly those the migration rebuilds from the
/// events of a database written before they were kept; on SQLite, so are
/// the report's tallies, which the triggers keep as states begin and end,
/// those the migration counts from the open states. Answers how many
/// assignment and milestone states there are.
async fn the_states_kept_are_those_the_events_give(h: &Harness) -> (usize, usize) {
    let db = h.store.connection();
    let tallies = || async {
        if h.backend != Backend::Sqlite {
            return Vec::new();
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT part, organisation, status, decision, answered, bound, days, due_on, n \
                 FROM report_tallies ORDER BY part, organisation, status, decision, answered, bound, days, due_on",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|row| {
                let text = |c: &str| row.try_get::<String>("", c).unwrap();
                let int = |c: &str| row.try_get::<i64>("", c).unwrap();
                (
                    [
                        text("part"),
                        text("organisation"),
                        text("status"),
                        text("decision"),
                        text("due_on"),
                    ],
                    [int("answered"), int("bound"), int("days"), int("n")],
                )
            })
            .collect::<Vec<_>>()
    };
    let counted = tallies().await;
    if h.backend == Backend::Sqlite {
        assert!(!counted.is_empty(), "tallies were kept");
        assert!(
            counted.iter().all(|(_, [.., n])| *n > 0),
            "no empty or negative tally is kept: {counted:?}"
        );
    }
    let read = || async {
        let assignments = assignment_states::Entity::find()
            .order_by_asc(assignment_states::Column::AssignmentId)
            .order_by_asc(assignment_states::Column::Seq)
            .all(db)
            .await
            .unwrap();
        let milestones = milestone_states::Entity::find()
            .order_by_asc(milestone_states::Column::MilestoneId)
            .order_by_asc(milestone_states::Column::Seq)
            .all(db)
            .await
            .unwrap();
        (assignments, milestones)
    };
    let kept = read().await;
    assert!(!kept.0.is_empty());
    // Back to before the migration that keeps states, and up again.
    let since = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261202_000006_state_intervals")
        .unwrap();
    Migrator::down(db, Some(u32::try_from(since + 1).unwrap()))
        .await
        .unwrap();
    Migrator::up(db, None).await.unwrap();
    assert_eq!(read().await, kept);
    assert_eq!(tallies().await, counted);
    (kept.0.len(), kept.1.len())
}

/// A past day's report is settled once an event recorded after the day's end
/// is in the chain: what is written later, even by a writer whose clock still
/// shows that day, never changes it. (The service keeps such reports across
/// writes; this is what makes that exact.)
pub async fn a_settled_past_report_stays_exact_whatever_is_written_later(h: Harness) {
    let seeded = seed(&h).await;
    let store = &h.store;
    let all = ReportFilters::default();
    let first_day = h.clock_today();
    let inside_first_day = store.now();
    assert!(!store.settles(first_day, store.chain_mark().await.unwrap()));
    // The day has ended, but the last event was recorded inside it.
    h.clock.advance(Duration::days(1));
    assert!(!store.settles(first_day, store.chain_mark().await.unwrap()));
    let before = store
        .status_report(&all, first_day, Basis::Recorded)
        .await
        .unwrap();
    fresh(
        store
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let mark = store.chain_mark().await.unwrap();
    assert!(store.settles(first_day, mark));
    assert_eq!(
        store
            .status_report(&all, first_day, Basis::Recorded)
            .await
            .unwrap(),
        before
    );

    // A writer whose clock is back inside the first day.
    h.clock.set(inside_first_day);
    fresh(
        store
            .respond(
                &Ctx::new(&wmp()),
                seeded.wmp,
                None,
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    add_recommendation(store, 2).await;
    h.clock.advance(Duration::days(1));
    assert!(store.chain_mark().await.unwrap().seq > mark.seq);
    assert_eq!(
        store
            .status_report(&all, first_day, Basis::Recorded)
            .await
            .unwrap(),
        before
    );
    // The writes did land, after the first day.
    let today = store
        .status_report(&all, h.clock_today(), Basis::Recorded)
        .await
        .unwrap();
    assert_eq!(today.totals.assignments, 4);
    assert_eq!(today.totals.by_status[&AssignmentStatus::Accepted], 2);
    assert_eq!(before.totals.assignments, 2);
    assert_eq!(
        before.totals.by_status[&AssignmentStatus::AwaitingResponse],
        2
    );
    h.finish().await;
}

pub async fn migrations_go_down_and_up_again(h: Harness) {
    seed(&h).await;
    let db = h.store.connection();
    Migrator::down(db, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(db, None).await.unwrap();
    assert_eq!(h.count("organisations").await, 0);
    assert_eq!(h.count("audit_head").await, 1);
    seed(&h).await;
    assert_eq!(chain_length(&h).await, 5);
    h.finish().await;
}

pub async fn a_batch_commits_many_commands_each_with_its_event_or_none(h: Harness) {
    let seeded = seed(&h).await;
    let batch = h.store.begin_batch().await.unwrap();
    fresh(
        batch
            .respond(
                &Ctx::new(&mps()),
                seeded.mps,
                Some(1),
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    for n in 0..20 {
        fresh(
            batch
                .post_update(
                    &Ctx::new(&mps()),
                    seeded.mps,
                    None,
                    &update(&format!("note {n}")),
                    &OccurrenceDraft::now(),
                )
                .await,
        );
    }
    batch.commit_batch().await.unwrap();
    assert_eq!(chain_length(&h).await, 5 + 21);
    assert_eq!(
        h.store
            .assignment(seeded.mps)
            .await
            .unwrap()
            .assignment
            .version,
        22
    );

    let before = h.snapshot().await;
    let dropped = h.store.begin_batch().await.unwrap();
    fresh(
        dropped
            .post_update(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &update("never kept"),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    drop(dropped);
    assert_eq!(
        h.snapshot().await,
        before,
        "a batch dropped before commit keeps nothing"
    );
    fresh(
        h.store
            .post_update(
                &Ctx::new(&mps()),
                seeded.mps,
                None,
                &update("after"),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    assert_eq!(chain_length(&h).await, 5 + 22);
    h.finish().await;
}

pub async fn a_copy_holds_every_row_and_the_same_chain(h: Harness) {
    // The source is SQLite, as when a deployment moves to a server database.
    let source = Harness::new(Backend::Sqlite).await;
    whole_lifecycle(&source).await;
    let token = TokenDraft {
        organisation: "mps".into(),
        role: Role::Recipient,
        label: Some("MPS integration".into()),
    };
    fresh(
        source
            .store
            .create_token(&Ctx::new(&overseer()), &token)
            .await,
    );
    // The log comes along: its tiles, checkpoints and head.
    let key = rectrack_core::tlog::note::SignerKey::from_seed(
        "rectrack.test/iopc",
        rectrack_core::tlog::note::KeyType::Ed25519,
        [5; 32],
    )
    .unwrap();
    let logged = source
        .store
        .sign_checkpoint(&key, chrono::Duration::zero())
        .await
        .unwrap()
        .unwrap();
    let copied = copy_database(source.store.connection(), h.store.connection(), &|_| {})
        .await
        .unwrap();
    assert_eq!(copied.tables.len(), 25);
    assert_eq!(h.store.latest_checkpoint().await.unwrap(), Some(logged));
    assert_eq!(
        h.store
            .sign_checkpoint(&key, chrono::Duration::zero())
            .await
            .unwrap(),
        Err(rectrack_store::transparency::Unsigned::Unchanged)
    );
    for (table, rows) in &copied.tables {
        let stored = source.count(table).await;
        assert_eq!(*rows as i64, stored, "{table}");
        assert_eq!(h.count(table).await, stored, "{table}");
    }
    for table in [
        "assignments",
        "claims",
        "reviews",
        "evidence",
        "tokens",
        "audit_events",
        "assignment_states",
        "milestone_states",
    ] {
        assert!(h.count(table).await > 0, "{table} was copied empty");
    }
    let before = source.store.verify_chain().await.unwrap();
    let after = h.store.verify_chain().await.unwrap();
    assert!(after.valid, "{after:?}");
    assert_eq!(
        (after.length, &after.head_hash),
        (before.length, &before.head_hash)
    );
    let today = source.clock_today();
    assert_eq!(
        h.store
            .status_report(&ReportFilters::default(), today, Basis::Recorded)
            .await
            .unwrap(),
        source
            .store
            .status_report(&ReportFilters::default(), today, Basis::Recorded)
            .await
            .unwrap()
    );
    // The copy's head followed the chain: the next write links to it.
    organisation(
        &h.store,
        "gmp",
        "Greater Manchester Police",
        OrganisationKind::PoliceForce,
    )
    .await;
    assert_eq!(chain_length(&h).await, before.length + 1);
    // PostgreSQL plans the copy's queries from statistics of what it holds.
    if h.backend == Backend::Postgres {
        let analysed = h
            .count_where(
                "pg_stat_user_tables",
                "relname = 'assignment_events' AND schemaname = current_schema() AND last_analyze IS NOT NULL",
            )
            .await;
        assert_eq!(analysed, 1);
    }
    // A database that holds data is never copied into.
    let rows = h.count("audit_events").await;
    let again = copy_database(source.store.connection(), h.store.connection(), &|_| {}).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    assert_eq!(h.count("audit_events").await, rows);
    source.finish().await;
    h.finish().await;
}

fn from_the_record(on: &str, precision: DatePrecision) -> OccurrenceDraft {
    OccurrenceDraft::backfill(
        day(on),
        precision,
        SourceDraft {
            text: Some("IOPC news release".into()),
            url: Some("https://www.policeconduct.gov.uk/news".into()),
        },
    )
}

/// The Hotton record entered years later: only the overseer may backfill,
/// with a source, on a day that can have happened; the facts count where
/// they happened on `basis=occurred` and where they were recorded on
/// `basis=recorded`; a bound never proves lateness; and the SQL report
/// equals core's on both bases, on every backend.
pub async fn backfilled_facts_count_where_they_happened(h: Harness) {
    let seeded = seed(&h).await;
    let store = &h.store;
    // Nothing was recorded until November 2026.
    h.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 10, 0, 0).unwrap());
    let before = h.snapshot().await;
    let acceptance = from_the_record("2022-04-08", DatePrecision::OnOrBefore);

    // A force may not enter its own past.
    let refused = store
        .respond(&Ctx::new(&mps()), seeded.mps, None, &accept(), &acceptance)
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Domain(CoreError::Refused(
                Refusal::NotPermitted { .. }
            )))
        ),
        "{refused:?}"
    );
    // A backfill cites its source, and happened after the issue and by today.
    let unsourced = OccurrenceDraft {
        source: None,
        ..acceptance.clone()
    };
    for (occurred, field) in [
        (unsourced, "source"),
        (
            from_the_record("2022-01-31", DatePrecision::Exact),
            "occurred_on",
        ),
        (
            from_the_record("2026-12-01", DatePrecision::Exact),
            "occurred_on",
        ),
    ] {
        let refused = store
            .respond(
                &Ctx::new(&overseer()),
                seeded.mps,
                None,
                &accept(),
                &occurred,
            )
            .await;
        let Err(Error::Domain(CoreError::Validation(errors))) = refused else {
            panic!("{field}: {refused:?}");
        };
        assert_eq!(errors.errors()[0].field, field);
    }
    assert_eq!(h.snapshot().await, before, "refusals write nothing");

    // The overseer enters the force's acceptance, known only as a bound,
    // without the planned day the record does not give.
    let recorded = ResponseDraft {
        planned_completion_on: None,
        ..accept()
    };
    let record = fresh(
        store
            .respond(
                &Ctx::new(&overseer()),
                seeded.mps,
                None,
                &recorded,
                &acceptance,
            )
            .await,
    );
    let response = record.assignment.response.clone().unwrap();
    assert_eq!(response.submitted_by.as_str(), "mps");
    assert_eq!(response.occurred.occurred_on, day("2022-04-08"));
    assert!(response.occurred.is_backfill(h.clock_today()));
    assert_eq!(record.assignment.first_response_on, Some(day("2022-04-08")));
    assert!(record.assignment.first_response_bound);
    assert_eq!(
        record.flags(h.clock_today()).response_timing,
        Some(rectrack_core::deadline::ResponseTiming::Unknown)
    );
    // Read back, it is the same.
    assert_eq!(store.assignment(seeded.mps).await.unwrap(), record);
    // Nothing on the assignment can now be dated before it.
    let refused = store
        .add_milestone(
            &Ctx::new(&overseer()),
            seeded.mps,
            None,
            &MilestoneDraft {
                title: "Train supervisors".into(),
                due_on: day("2022-06-01"),
            },
            &from_the_record("2022-04-01", DatePrecision::Exact),
        )
        .await;
    let Err(Error::Domain(CoreError::Validation(errors))) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(errors.errors()[0].field, "occurred_on");

    // West Midlands answered on time, and was later closed as not
    // implemented by the IOPC.
    fresh(
        store
            .respond(
                &Ctx::new(&overseer()),
                seeded.wmp,
                None,
                &accept(),
                &from_the_record("2022-03-10", DatePrecision::Exact),
            )
            .await,
    );
    fresh(
        store
            .review(
                &Ctx::new(&overseer()),
                seeded.wmp,
                None,
                &ReviewDraft {
                    outcome: ReviewOutcome::ClosedNotImplemented,
                    comment: Some("No evidence of the training was ever given.".into()),
                },
                &from_the_record("2023-06-01", DatePrecision::Exact),
            )
            .await,
    );
    let wmp = store.assignment(seeded.wmp).await.unwrap().assignment;
    assert_eq!(wmp.closed_on, Some(day("2023-06-01")));

    let report = async |as_of: &str, basis| {
        store
            .status_report(&ReportFilters::default(), day(as_of), basis)
            .await
            .unwrap()
            .totals
    };
    // As it happened, before the due day: both awaiting, none overdue.
    let early = report("2022-03-01", Basis::Occurred).await;
    assert_eq!(early.by_status[&AssignmentStatus::AwaitingResponse], 2);
    assert_eq!(early.response_overdue, 0);
    // After the due day: West Midlands had answered on time; whether the
    // MPS had is not known.
    let due = report("2022-03-30", Basis::Occurred).await;
    assert_eq!(
        (
            due.responses_on_time,
            due.response_overdue,
            due.response_timing_unknown
        ),
        (1, 0, 1)
    );
    // As recorded, the day before the record was entered: nothing known,
    // both overdue.
    let known = report("2026-11-29", Basis::Recorded).await;
    assert_eq!(known.response_overdue, 2);
    // Today: one on time, one whose timing is unknown; the median counts
    // only the day known exactly.
    let today = report("2026-11-30", Basis::Recorded).await;
    assert_eq!(
        (
            today.responses_on_time,
            today.responses_late,
            today.response_timing_unknown
        ),
        (1, 0, 1)
    );
    assert_eq!(today.median_days_to_response, Some(37.0));
    assert_eq!(today.days_to_response_unknown, 1);

    // And SQL agrees with core on every day, on both bases.
    let timelines = store.assignment_timelines().await.unwrap();
    for as_of in [
        "2022-01-31",
        "2022-02-01",
        "2022-03-01",
        "2022-03-29",
        "2022-03-30",
        "2022-04-08",
        "2023-05-31",
        "2023-06-01",
        "2026-11-29",
        "2026-11-30",
    ] {
        for basis in Basis::ALL {
            let sql = store
                .status_report(&ReportFilters::default(), day(as_of), basis)
                .await
                .unwrap();
            let pure =
                status_report_as_of(&timelines, &ReportFilters::default(), day(as_of), basis);
            assert_eq!(sql, pure, "as of {as_of} ({basis:?})");
        }
    }
    the_states_kept_are_those_the_events_give(&h).await;
    h.finish().await;
}

/// A synthetic record kept in a spreadsheet: `reports` reports of five
/// recommendations, each to two forces, whose histories run through every
/// path an import takes (none, a response of each kind, progress, a claim,
/// verification, closure), with one recommendation withdrawn; in the first
/// report, also an extension, a revision, a returned claim and milestones
/// planned, started, done and dropped, on rows of their own.
fn synthetic_record(reports: usize) -> String {
    let mut csv = String::from(
        "report,number,recipient,recipient_name,recipient_kind,report_title,report_issued_by,report_issued_by_name,report_published_on,title,body,themes,issued_on,\
         response_decision,response_rationale,response_on,response_precision,response_source,\
         progress_narrative,progress_on,progress_source,\
         claim_summary,claim_evidence,claim_evidence_url,claim_on,claim_source,\
         review_outcome,review_comment,review_on,review_source,\
         withdrawal_reason,withdrawal_on,withdrawal_source,\
         extension_due_on,extension_reason,extension_requested_on,extension_on,extension_source,\
         revision_decision,revision_rationale,revision_on,revision_source,\
         milestone_title,milestone_due_on,milestone_status,milestone_on,milestone_source,milestone_started_on,milestone_ended_on\n",
    );
    // A milestone's row names its assignment and the milestone only.
    let milestone = |r: usize, number: u32, force: &str, cells: &str| {
        format!("op-{r},{number},{force}{}{cells}\n", ",".repeat(40))
    };
    let mut n = 0;
    for r in 0..reports {
        for number in 1..=5 {
            for force in ["mps", "wmp"] {
                n += 1;
                let history = match n % 8 {
                    0 => "",
                    1 => "accepted,Agreed.,2022-03-01,exact,Letter,,,,,,,,,,,,",
                    2 => "not_accepted,Declined.,2022-03-20,on_or_before,Annual report,,,,,,,,,,,,",
                    3 => {
                        "partially_accepted,In part.,2022-04-30,exact,Letter,Begun,2022-06-01,Minutes,,,,,,,,,"
                    }
                    4 => {
                        "accepted,Agreed.,2022-03-01,exact,Letter,Begun,2022-06-01,Minutes,Done,Register extract,,2023-01-05,Letter,,,,"
                    }
                    5 => {
                        "accepted,Agreed.,2022-03-01,exact,Letter,Begun,2022-06-01,Minutes,Done,,https://example.org/proof,2023-01-05,Letter,verified,,2023-02-01,Closure letter"
                    }
                    6 => {
                        "accepted,Agreed.,2022-03-01,exact,Letter,,,,,,,,,closed_not_implemented,Nothing was done.,2024-02-01,Letter"
                    }
                    _ => "accepted,Agreed.,2022-02-10,exact,Letter,,,,,,,,,,,,",
                };
                let history = match n {
                    12 => {
                        "accepted,Agreed.,2022-03-01,exact,Letter,Begun,2022-06-01,Minutes,Done,Register extract,,2023-01-05,Letter,returned,Not shown yet.,2023-02-01,Letter"
                    }
                    _ if history.is_empty() => ",,,,,,,,,,,,,,,,",
                    _ => history,
                };
                let withdrawal = if r == 0 && number == 5 {
                    "Overtaken by a national review,2025-01-01,Board minutes"
                } else {
                    ",,"
                };
                let later = match n {
                    8 => "2022-06-01,Awaiting a court case,2022-03-01,2022-03-05,Letter,,,,",
                    17 => ",,,,,partially_accepted,Only in part after all.,2022-05-01,Letter",
                    _ => ",,,,,,,,",
                };
                csv.push_str(&format!(
                    "op-{r},{number},{force},{force} police,police_force,Operation {r},iopc,Independent Office for Police Conduct,2022-01-10,\
                     Recommendation {number},\"Do {number}, well.\",culture;vetting,2022-01-10,{history},{withdrawal},{later},,,,,,,\n"
                ));
                if n == 7 {
                    csv.push_str(&milestone(
                        r,
                        number,
                        force,
                        "Review vetting,2023-01-31,planned,2022-03-01,Plan,,",
                    ));
                    csv.push_str(&milestone(
                        r,
                        number,
                        force,
                        "Train supervisors,2030-01-01,in_progress,2022-04-01,Plan,2022-05-01,",
                    ));
                    csv.push_str(&milestone(
                        r,
                        number,
                        force,
                        "Publish the policy,2022-12-31,done,2022-04-01,Plan,2022-05-01,2022-06-01",
                    ));
                }
                if n == 1 {
                    csv.push_str(&milestone(
                        r,
                        number,
                        force,
                        "An old plan,2022-06-01,dropped,2022-03-05,Plan,,2022-04-01",
                    ));
                }
            }
        }
    }
    csv
}

/// Imports: a dry run writes nothing, a file with an error writes nothing,
/// a good one writes everything with one event more than its commands, the
/// same file again changes nothing; the report computed in SQL equals core's
/// on both time lines; and an export imported into an empty database gives
/// the same report.
pub async fn an_import_is_all_or_nothing_and_an_export_goes_round(h: Harness) {
    use rectrack_store::export::{Export, ExportFilter, to_csv};
    use rectrack_store::import::{FileKind, read_table};
    let store = &h.store;
    h.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 10, 0, 0).unwrap());
    let csv = synthetic_record(3);
    let table = read_table(csv.as_bytes(), FileKind::Csv).unwrap();
    let empty = h.snapshot().await;

    let dry = store
        .import(&Principal::Console, &table, "sha", true)
        .await
        .unwrap();
    assert_eq!(dry.errors, []);
    assert_eq!((dry.rows, dry.created), (30, 30));
    assert!(!dry.recorded);
    assert_eq!(h.snapshot().await, empty, "a dry run writes nothing");

    // One bad row (a verification without a claim) and nothing is written.
    let mut bad = csv.clone();
    bad.push_str("op-0,1,xx,,,,,,,,,,,accepted,Yes.,2022-03-01,exact,Letter,,,,,,,,,verified,,2022-04-01,Letter,,,\n");
    let refused = store
        .import(
            &Principal::Console,
            &read_table(bad.as_bytes(), FileKind::Csv).unwrap(),
            "sha",
            false,
        )
        .await;
    let Err(Error::Import(errors)) = refused else {
        panic!("{refused:?}");
    };
    assert!(
        errors
            .iter()
            .any(|e| e.row == csv.lines().count() + 1
                && e.column.as_deref() == Some("review_outcome")),
        "{errors:?}"
    );
    assert_eq!(h.snapshot().await, empty, "all or nothing");
    // Nor may a force import.
    assert!(store.import(&mps(), &table, "sha", false).await.is_err());

    let done = store
        .import(&overseer(), &table, "sha", false)
        .await
        .unwrap();
    assert!(done.recorded);
    assert_eq!(
        done.results, dry.results,
        "the dry run said what the import does"
    );
    let events = h.count("audit_events").await;
    assert_eq!(
        events as usize,
        done.records_created + done.facts_recorded + 1,
        "one event per command and one for the import"
    );
    let again = store
        .import(&overseer(), &table, "sha", false)
        .await
        .unwrap();
    assert!(!again.recorded);
    assert_eq!(again.left_alone, 30);
    assert_eq!(
        h.count("audit_events").await,
        events,
        "the same file changes nothing"
    );

    let timelines = store.assignment_timelines().await.unwrap();
    let today = h.clock_today();
    for basis in Basis::ALL {
        for as_of in [
            day("2022-03-01"),
            day("2023-01-31"),
            day("2025-06-30"),
            today,
        ] {
            let sql = store
                .status_report(&ReportFilters::default(), as_of, basis)
                .await
                .unwrap();
            let pure = status_report_as_of(&timelines, &ReportFilters::default(), as_of, basis);
            assert_eq!(sql, pure, "as of {as_of} ({basis:?})");
        }
    }
    let now = store
        .status_report(&ReportFilters::default(), today, Basis::Recorded)
        .await
        .unwrap();
    assert_eq!(
        now.totals.by_status[&AssignmentStatus::Verified],
        4,
        "{:?}",
        now.totals
    );
    assert_eq!(
        now.totals.by_status[&AssignmentStatus::Withdrawn],
        2,
        "{:?}",
        now.totals
    );
    let in_2022 = store
        .status_report(
            &ReportFilters::default(),
            day("2022-12-31"),
            Basis::Occurred,
        )
        .await
        .unwrap();
    assert_eq!(
        in_2022.totals.by_status[&AssignmentStatus::Verified],
        0,
        "verified in 2023"
    );
    // Progress, a returned claim and a milestone started each leave an
    // assignment in progress; one open milestone is past its day.
    assert_eq!(
        (
            now.totals.by_status[&AssignmentStatus::InProgress],
            now.totals.overdue_milestones
        ),
        (6, 1),
        "{:?}",
        now.totals
    );
    let extended = store
        .status_report(
            &ReportFilters::default(),
            day("2022-04-01"),
            Basis::Occurred,
        )
        .await
        .unwrap();
    assert_eq!(
        extended.totals.response_overdue, 6,
        "the extension holds one response off overdue: {:?}",
        extended.totals
    );

    // A fact recorded as it happens, today, cites no source; entered
    // elsewhere later it is a fact of the past, and the export cites the
    // record it comes from.
    let awaiting = store
        .assignment_of(&Slug::parse("op-0").unwrap(), 4, &"wmp".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    fresh(
        store
            .respond(
                &Ctx::new(&wmp()),
                awaiting,
                None,
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let planned = store
        .assignment_of(&Slug::parse("op-0").unwrap(), 1, &"mps".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    fresh(
        store
            .add_milestone(
                &Ctx::new(&mps()),
                planned,
                None,
                &MilestoneDraft {
                    title: "Audit the vetting files".into(),
                    due_on: day("2026-06-30"),
                },
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let now = store
        .status_report(&ReportFilters::default(), today, Basis::Recorded)
        .await
        .unwrap();
    assert_eq!(now.totals.overdue_milestones, 2, "{:?}", now.totals);

    // Round trip: export, import into an empty database two days later, the
    // same report as of the day of the export.
    let export = store
        .export(&ExportFilter::default(), Some(&Principal::Console))
        .await
        .unwrap();
    let file = to_csv(&Export::columns(), &export.rows());
    let other = Harness::new(h.backend).await;
    other
        .clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 2, 10, 0, 0).unwrap());
    let copied = other
        .store
        .import(
            &overseer(),
            &read_table(file.as_bytes(), FileKind::Csv).unwrap(),
            "sha",
            false,
        )
        .await
        .unwrap();
    assert_eq!(copied.errors, []);
    let mut theirs = other
        .store
        .status_report(&ReportFilters::default(), today, Basis::Occurred)
        .await
        .unwrap();
    assert_eq!(theirs.basis, Basis::Occurred);
    theirs.basis = now.basis;
    assert_eq!(theirs, now);
    other.finish().await;
    h.finish().await;
}

/// The reads of the public pages, and the publication of responses, give
/// the same record on every backend: each published fact once, in the order
/// it happened, and a response's text only as core allows on the day.
pub async fn the_published_record_and_its_publication(h: Harness) {
    use rectrack_core::public::PublicFact;
    use rectrack_core::publication::{PublicationAction, PublicationDraft, PublishedText};
    use rectrack_store::public::ChangeScope;
    whole_lifecycle(&h).await;
    let store = &h.store;
    let today = store.now().date_naive();
    let reports = store.reports_with_counts().await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        (reports[0].0.slug.as_str(), reports[0].1),
        ("operation-hotton", 1)
    );
    let views = store
        .report_recommendations("operation-hotton")
        .await
        .unwrap();
    assert_eq!(views.len(), 1);
    let codes: Vec<&str> = views[0]
        .assignments
        .iter()
        .map(|a| a.assignment.organisation.as_str())
        .collect();
    assert_eq!(codes, ["mps", "wmp"]);
    // The home page's figures of a report are the live status report's.
    let figures = store
        .report_figures(&["operation-hotton".to_owned()], today)
        .await
        .unwrap();
    let filters = ReportFilters {
        report: Some(Slug::parse("operation-hotton").unwrap()),
        ..ReportFilters::default()
    };
    let report = store
        .status_report_with(&filters, today, Basis::Recorded, false)
        .await
        .unwrap();
    assert_eq!(figures["operation-hotton"], report.totals);
    let lines = store.organisation_assignments("mps").await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0].record.assignment.status,
        AssignmentStatus::Verified
    );
    assert!(!store.themes().await.unwrap().is_empty());
    assert_eq!(
        store.organisation_names().await.unwrap()["wmp"],
        "West Midlands Police"
    );

    let mps_id = lines[0].record.assignment.id;
    let history = store.public_history(&[mps_id], today).await.unwrap();
    let kinds: Vec<&str> = history
        .iter()
        .map(|e| match e.fact {
            PublicFact::Response { .. } => "response",
            PublicFact::Claim { .. } => "claim",
            PublicFact::Review { .. } => "review",
            PublicFact::ExtensionDecided { .. } => "extension",
            PublicFact::Withdrawal { .. } => "withdrawal",
        })
        .collect();
    assert_eq!(kinds.first(), Some(&"response"));
    assert_eq!(kinds.last(), Some(&"review"));
    assert!(kinds.contains(&"claim"));
    let changes = store
        .public_changes(
            &ChangeScope {
                report: Some("operation-hotton".to_owned()),
                organisation: Some("mps".to_owned()),
            },
            2,
            today,
        )
        .await
        .unwrap();
    assert_eq!(changes.len(), 2);
    assert!(changes[0].entry.recorded_at >= changes[1].entry.recorded_at);
    assert!(matches!(changes[0].entry.fact, PublicFact::Review { .. }));

    // WMP answers now: its text is pending, listed, then withheld.
    let wmp_id = views[0].assignments[1].assignment.id;
    fresh(
        store
            .respond(
                &Ctx::new(&wmp()),
                wmp_id,
                None,
                &accept(),
                &OccurrenceDraft::now(),
            )
            .await,
    );
    let pending = store
        .awaiting_publication(today, &PageRequest::first(50))
        .await
        .unwrap();
    // The MPS's response, given days ago, is due first; WMP's today.
    let order: Vec<AssignmentId> = pending.items.iter().map(|p| p.assignment_id).collect();
    assert_eq!(order, [mps_id, wmp_id]);
    assert!(pending.items[0].due_on < pending.items[1].due_on);
    let text = |history: &[rectrack_core::public::PublicEntry]| {
        history
            .iter()
            .find_map(|e| match &e.fact {
                PublicFact::Response { text, .. } => Some(text.clone()),
                _ => None,
            })
            .unwrap()
    };
    let before = store.public_history(&[wmp_id], today).await.unwrap();
    assert!(matches!(text(&before), PublishedText::Pending { .. }));
    let withhold = PublicationDraft {
        action: PublicationAction::Withhold,
        text: None,
        reason: Some("Personal data.".into()),
    };
    // Only the overseer decides.
    assert!(
        store
            .decide_publication(&Ctx::new(&wmp()), wmp_id, None, &withhold)
            .await
            .is_err()
    );
    let record = fresh(
        store
            .decide_publication(&Ctx::new(&overseer()), wmp_id, None, &withhold)
            .await,
    );
    assert!(record.assignment.response.unwrap().publication.is_some());
    let after = store.public_history(&[wmp_id], today).await.unwrap();
    assert!(matches!(text(&after), PublishedText::Withheld { .. }));
    let left: Vec<AssignmentId> = store
        .awaiting_publication(today, &PageRequest::first(50))
        .await
        .unwrap()
        .items
        .iter()
        .map(|p| p.assignment_id)
        .collect();
    assert_eq!(left, [mps_id], "a decided response is no longer awaiting");
    // Read back whole, the decision is what was written.
    let reread = store.assignment(wmp_id).await.unwrap();
    assert_eq!(
        reread
            .assignment
            .response
            .unwrap()
            .public_text(today)
            .state(),
        "withheld"
    );
    h.finish().await;
}

/// What awaits the overseer is listed the longest waiting first, to those
/// who may see it: claims (with the evidence the latest cites) and
/// requests for more time.
pub async fn the_review_queues_list_what_awaits_oldest_first_to_whoever_sees_it(h: Harness) {
    let seeded = seed(&h).await;
    let store = &h.store;
    let now = OccurrenceDraft::now;
    let ask = ExtensionDraft {
        requested_due_on: day("2022-04-30"),
        reason: "The board meets in April.".into(),
    };
    let second = add_recommendation(store, 2).await;
    let second_wmp = second
        .assignments
        .iter()
        .find(|a| a.assignment.organisation.as_str() == "wmp")
        .unwrap()
        .assignment
        .id;
    fresh(
        store
            .request_extension(&Ctx::new(&wmp()), second_wmp, None, &ask, &now())
            .await,
    );
    h.clock.advance(Duration::hours(1));
    let asked = fresh(
        store
            .request_extension(&Ctx::new(&mps()), seeded.mps, None, &ask, &now())
            .await,
    );
    let iopc = overseer();
    let everyone = iopc.actor().unwrap();
    let (queue, waiting) = store.extension_queue(everyone, 10).await.unwrap();
    assert_eq!(waiting, 2);
    let order: Vec<&str> = queue.iter().map(|q| q.organisation.as_str()).collect();
    assert_eq!(order, ["wmp", "mps"], "the longest waiting first");
    assert_eq!(queue[1].request.id, asked.id);
    assert_eq!(
        (queue[1].number, queue[1].report.as_str()),
        (1, "operation-hotton")
    );
    let (queue, waiting) = store.extension_queue(everyone, 1).await.unwrap();
    assert_eq!(
        (queue.len(), waiting),
        (1, 2),
        "limited, and the whole count"
    );
    let force = mps();
    let (queue, _) = store
        .extension_queue(force.actor().unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "a force sees its own request only");
    fresh(
        store
            .decide_extension(
                &Ctx::new(&iopc),
                seeded.mps,
                asked.id,
                None,
                &ExtensionDecisionDraft {
                    granted: false,
                    comment: Some("The due day stands.".into()),
                },
                &now(),
            )
            .await,
    );
    assert_eq!(
        store.extension_queue(everyone, 10).await.unwrap().1,
        1,
        "decided, it leaves"
    );

    // Both forces claim: West Midlands first, then the MPS twice (returned
    // between): the MPS's latest claim is the one listed.
    for (principal, id) in [(wmp(), seeded.wmp), (mps(), seeded.mps)] {
        fresh(
            store
                .respond(&Ctx::new(&principal), id, None, &accept(), &now())
                .await,
        );
        fresh(
            store
                .add_evidence(&Ctx::new(&principal), id, None, &link("Announcement"))
                .await,
        );
    }
    let claim = async |principal: &Principal, id: AssignmentId, summary: &str| {
        let evidence: Vec<_> = store
            .evidence_of(id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        fresh(
            store
                .claim(
                    &Ctx::new(principal),
                    id,
                    None,
                    &ClaimDraft {
                        summary: summary.into(),
                        evidence_ids: evidence,
                    },
                    &now(),
                )
                .await,
        );
    };
    h.clock.advance(Duration::days(1));
    claim(&mps(), seeded.mps, "First claim.").await;
    fresh(
        store
            .review(
                &Ctx::new(&iopc),
                seeded.mps,
                None,
                &ReviewDraft {
                    outcome: ReviewOutcome::Returned,
                    comment: Some("Show the training.".into()),
                },
                &now(),
            )
            .await,
    );
    h.clock.advance(Duration::days(1));
    claim(&wmp(), seeded.wmp, "West Midlands' claim.").await;
    fresh(
        store
            .add_evidence(&Ctx::new(&mps()), seeded.mps, None, &link("Training"))
            .await,
    );
    h.clock.advance(Duration::days(1));
    claim(&mps(), seeded.mps, "Second claim.").await;
    let (queue, waiting) = store.review_queue(everyone, 10).await.unwrap();
    assert_eq!(waiting, 2);
    let listed: Vec<(&str, &str, usize)> = queue
        .iter()
        .map(|q| {
            (
                q.assignment.assignment.organisation.as_str(),
                q.claim.summary.as_str(),
                q.evidence.len(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("wmp", "West Midlands' claim.", 1),
            ("mps", "Second claim.", 2)
        ]
    );
    let (queue, waiting) = store
        .review_queue(force.actor().unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(
        (queue.len(), waiting),
        (1, 1),
        "a force sees its own claim only"
    );
}
