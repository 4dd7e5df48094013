//! The transparency log: the tree grows with the chain, its proofs verify,
//! servers sharing a database sign one consistent history, and a rewritten
//! chain is refused by the log and exposed by its proofs.

use chrono::Duration;
use rectrack_core::audit::AuditEvent;
use rectrack_core::organisation::OrganisationKind;
use rectrack_core::tlog::note::{KeyType, Note, SignerKey};
use rectrack_core::tlog::proof::{verify_consistency, verify_inclusion};
use rectrack_core::tlog::tile::TileId;
use rectrack_core::tlog::{Checkpoint, Hash, event_leaf, root_of};
use rectrack_store::transparency::{SignedCheckpoint, Unsigned};
use rectrack_store::{Error, Store};

use crate::cases::{organisation, seed};
use crate::harness::Harness;

fn key() -> SignerKey {
    SignerKey::from_seed("rectrack.test/iopc", KeyType::Ed25519, [5; 32]).unwrap()
}

async fn sign(store: &Store) -> Result<SignedCheckpoint, Unsigned> {
    store
        .sign_checkpoint(&key(), Duration::zero())
        .await
        .unwrap()
}

async fn events(store: &Store) -> Vec<AuditEvent> {
    store.audit_events(0, 100_000).await.unwrap()
}

fn leaves(events: &[AuditEvent]) -> Vec<Hash> {
    events
        .iter()
        .map(|e| event_leaf(&e.hash).unwrap())
        .collect()
}

async fn forces(store: &Store, from: usize, count: usize) {
    for i in from..from + count {
        organisation(
            store,
            &format!("force-{i}"),
            &format!("Force {i}"),
            OrganisationKind::PoliceForce,
        )
        .await;
    }
}

pub async fn the_log_grows_with_the_chain_and_proves_every_event(h: Harness) {
    seed(&h).await;
    let first = sign(&h.store).await.unwrap();
    let verifier = key().verifier();
    verifier.verify(&Note::parse(&first.note).unwrap()).unwrap();
    let all = events(&h.store).await;
    assert_eq!(first.checkpoint.size, all.len() as u64);
    assert_eq!(first.checkpoint.root, root_of(&leaves(&all)));
    assert_eq!(sign(&h.store).await, Err(Unsigned::Unchanged));

    // Past a full tile, and only once the interval has passed.
    forces(&h.store, 0, 300).await;
    let minute = Duration::seconds(60);
    assert_eq!(
        h.store.sign_checkpoint(&key(), minute).await.unwrap(),
        Err(Unsigned::TooSoon)
    );
    h.clock.advance(Duration::seconds(61));
    let second = h
        .store
        .sign_checkpoint(&key(), minute)
        .await
        .unwrap()
        .unwrap();
    let all = events(&h.store).await;
    let leaves = leaves(&all);
    assert_eq!(second.checkpoint.size, all.len() as u64);
    assert_eq!(second.checkpoint.root, root_of(&leaves));
    assert_eq!(
        h.store.latest_checkpoint().await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        h.store.checkpoint_holding(3).await.unwrap(),
        Some(first.clone())
    );
    let (size, root) = (second.checkpoint.size, second.checkpoint.root);
    for event in &all {
        let proof = h.store.inclusion_proof(event.seq - 1, size).await.unwrap();
        assert!(
            verify_inclusion(
                event.seq - 1,
                size,
                &leaves[event.seq as usize - 1],
                &proof,
                &root
            ),
            "event {}",
            event.seq
        );
    }
    let proof = h
        .store
        .consistency_proof(first.checkpoint.size, size)
        .await
        .unwrap();
    assert!(verify_consistency(
        first.checkpoint.size,
        size,
        &first.checkpoint.root,
        &root,
        &proof
    ));
    // The first tile holds the first 256 leaves; a partial one is a prefix.
    let full = TileId {
        level: 0,
        index: 0,
        width: 256,
    };
    let bytes: Vec<u8> = leaves[..256].iter().flat_map(|h| h.0).collect();
    assert_eq!(h.store.log_tile(full).await.unwrap(), Some(bytes.clone()));
    let part = TileId {
        level: 0,
        index: 0,
        width: 10,
    };
    assert_eq!(
        h.store.log_tile(part).await.unwrap(),
        Some(bytes[..320].to_vec())
    );
    let beyond = TileId {
        level: 0,
        index: 1,
        width: 256,
    };
    assert_eq!(h.store.log_tile(beyond).await.unwrap(), None);
    // Past the log, nothing is proven.
    assert!(matches!(
        h.store.inclusion_proof(0, size + 1).await,
        Err(Error::NotFound { .. })
    ));
    h.finish().await;
}

pub async fn servers_sharing_a_database_sign_one_history(h: Harness) {
    seed(&h).await;
    let second = h.second_store().await;
    let mut signed = Vec::new();
    for round in 0..6 {
        forces(&h.store, round * 10, 10).await;
        let (a, b) = tokio::join!(sign(&h.store), sign(&second));
        let fresh: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert!(!fresh.is_empty(), "round {round}: one of them signs");
        signed.extend(fresh);
    }
    // Every checkpoint stored is consistent with every later one.
    signed.sort_by_key(|s| s.checkpoint.size);
    signed.dedup_by_key(|s| s.checkpoint.size);
    for pair in signed.windows(2) {
        let (old, new) = (&pair[0].checkpoint, &pair[1].checkpoint);
        let proof = h.store.consistency_proof(old.size, new.size).await.unwrap();
        assert!(verify_consistency(
            old.size, new.size, &old.root, &new.root, &proof
        ));
        assert_eq!(
            h.store.checkpoint_at(new.size).await.unwrap().as_ref(),
            Some(&pair[1])
        );
    }
    h.finish().await;
}

/// Rewrites event `seq`'s payload and recomputes every hash after it, as
/// someone holding the database could.
async fn rewrite_history(h: &Harness, seq: u64) {
    let mut prev = None::<String>;
    for mut event in events(&h.store).await {
        if event.seq == seq {
            event.payload = serde_json::json!({"rewritten": true});
        }
        if let Some(prev) = &prev {
            event.prev_hash = prev.clone();
        }
        event.hash = event.compute_hash();
        h.exec(&format!(
            "UPDATE audit_events SET payload = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
            rectrack_core::audit::canonical_json(&event.payload).replace('\'', "''"),
            event.prev_hash,
            event.hash,
            event.seq
        ))
        .await;
        prev = Some(event.hash);
    }
    h.exec(&format!(
        "UPDATE audit_head SET hash = '{}' WHERE id = 1",
        prev.unwrap()
    ))
    .await;
}

pub async fn a_rewritten_chain_is_refused_by_the_log_and_exposed_by_its_proofs(h: Harness) {
    seed(&h).await;
    forces(&h.store, 0, 20).await;
    let honest = sign(&h.store).await.unwrap().checkpoint;
    let receipt = h.store.inclusion_proof(1, honest.size).await.unwrap();
    let honest_leaf = event_leaf(&events(&h.store).await[1].hash).unwrap();
    assert!(verify_inclusion(
        1,
        honest.size,
        &honest_leaf,
        &receipt,
        &honest.root
    ));

    rewrite_history(&h, 2).await;
    assert!(
        h.store.verify_chain().await.unwrap().valid,
        "the chain alone cannot tell"
    );
    forces(&h.store, 20, 1).await;
    let refused = h.store.sign_checkpoint(&key(), Duration::zero()).await;
    assert!(
        matches!(&refused, Err(Error::Corrupt(why)) if why.contains("rewritten")),
        "{refused:?}"
    );
    assert_eq!(
        h.store
            .latest_checkpoint()
            .await
            .unwrap()
            .map(|s| s.checkpoint),
        Some(honest.clone())
    );

    // Whoever also holds the key rebuilds the log from the rewritten chain.
    h.exec("DELETE FROM log_tiles").await;
    h.exec("DELETE FROM log_checkpoints").await;
    h.exec(&format!(
        "UPDATE log_head SET size = 0, last_hash = '{}', signed_at_us = 0 WHERE id = 1",
        "0".repeat(64)
    ))
    .await;
    let forged: Checkpoint = sign(&h.store).await.unwrap().checkpoint;
    assert!(forged.size > honest.size);
    // The old receipt does not verify against the forged checkpoint, nor
    // does any proof the forged log can give connect it to the honest one.
    let size = forged.size;
    assert!(!verify_inclusion(
        1,
        size,
        &honest_leaf,
        &receipt,
        &forged.root
    ));
    let new_receipt = h.store.inclusion_proof(1, size).await.unwrap();
    assert!(!verify_inclusion(
        1,
        size,
        &honest_leaf,
        &new_receipt,
        &forged.root
    ));
    let proof = h.store.consistency_proof(honest.size, size).await.unwrap();
    assert!(!verify_consistency(
        honest.size,
        size,
        &honest.root,
        &forged.root,
        &proof
    ));
    h.finish().await;
}
