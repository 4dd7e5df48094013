//! The audit chain: canonical JSON, hash links, and verification that names
//! the first position at which a chain was tampered with.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use rectrack_core::audit::{
    AuditActor, AuditEvent, GENESIS_HASH, NewAuditEvent, canonical_json, verify_chain,
    verify_serialized,
};
use rectrack_core::organisation::OrgCode;
use rectrack_core::role::Role;
use serde_json::json;

fn chain(payloads: &[serde_json::Value]) -> Vec<AuditEvent> {
    let start = Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap();
    let mut events: Vec<AuditEvent> = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let prev = events
            .last()
            .map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
        let event = NewAuditEvent {
            at: start + Duration::microseconds(1_234_567 * i as i64),
            actor: AuditActor {
                token_id: Some(uuid::Uuid::from_u128(i as u128 + 1).into()),
                person_id: None,
                organisation: Some(OrgCode::parse("mps").unwrap()),
                role: Some(Role::Recipient),
            },
            action: "progress.posted".to_owned(),
            entity_type: "assignment".to_owned(),
            entity_id: format!("a-{i}"),
            payload: payload.clone(),
        }
        .seal(i as u64 + 1, &prev);
        events.push(event);
    }
    events
}

#[test]
fn canonical_json_sorts_keys_and_drops_whitespace() {
    let value = json!({"b": 1, "a": {"z": [true, null, "x\"y\n"], "m": -2.5}, "A": "é"});
    assert_eq!(
        canonical_json(&value),
        r#"{"A":"é","a":{"m":-2.5,"z":[true,null,"x\"y\n"]},"b":1}"#
    );
    assert_eq!(canonical_json(&json!("\u{1}")), r#""\u0001""#);
}

#[test]
fn the_first_event_links_to_64_zeros_and_each_next_to_the_one_before() {
    let events = chain(&[json!({"n": 1}), json!({"n": 2})]);
    assert_eq!(events[0].prev_hash, "0".repeat(64));
    assert_eq!(events[1].prev_hash, events[0].hash);
    assert_eq!(events[0].hash.len(), 64);
    let verdict = verify_chain(&events);
    assert!(verdict.valid);
    assert_eq!(verdict.length, 2);
    assert_eq!(verdict.head_hash, events[1].hash);
    assert_eq!(verdict.first_invalid_seq, None);
}

#[test]
fn the_hash_is_sha256_of_prev_hash_and_the_canonical_body() {
    // Recomputed here by hand from the documented formula.
    use sha2::{Digest, Sha256};
    let event = &chain(&[json!({"status": "accepted"})])[0];
    let body = r#"{"action":"progress.posted","actor":{"organisation":"mps","role":"recipient","token_id":"00000000-0000-0000-0000-000000000001"},"at":"2022-02-01T09:00:00.000000Z","entity_id":"a-0","entity_type":"assignment","payload":{"status":"accepted"},"seq":1}"#;
    let mut hasher = Sha256::new();
    hasher.update(GENESIS_HASH.as_bytes());
    hasher.update(body.as_bytes());
    assert_eq!(event.hash, hex::encode(hasher.finalize()));
}

#[test]
fn an_empty_chain_is_valid_with_the_genesis_head() {
    let verdict = verify_chain(&[]);
    assert!(verdict.valid);
    assert_eq!(verdict.length, 0);
    assert_eq!(verdict.head_hash, GENESIS_HASH);
}

#[test]
fn changed_payload_gap_and_reordering_are_each_named() {
    let events = chain(&(0..6).map(|i| json!({"n": i})).collect::<Vec<_>>());

    let mut changed = events.clone();
    changed[3].payload = json!({"n": 99});
    assert_eq!(verify_chain(&changed).first_invalid_seq, Some(4));

    let mut gap = events.clone();
    gap.remove(2);
    assert_eq!(verify_chain(&gap).first_invalid_seq, Some(3));

    let mut swapped = events.clone();
    swapped.swap(1, 4);
    assert_eq!(verify_chain(&swapped).first_invalid_seq, Some(2));

    let mut relinked = events.clone();
    relinked[5].prev_hash = events[3].hash.clone();
    assert_eq!(verify_chain(&relinked).first_invalid_seq, Some(6));

    let mut truncated_at = events;
    truncated_at[0].at += Duration::microseconds(1);
    assert_eq!(verify_chain(&truncated_at).first_invalid_seq, Some(1));
}

#[test]
fn an_export_round_trips_and_verifies() {
    let events = chain(&[
        json!({"text": "line\nbreak \"quoted\" é"}),
        json!([1, 2.5, null]),
    ]);
    let texts: Vec<String> = events.iter().map(AuditEvent::to_canonical_json).collect();
    let verdict = verify_serialized(&texts);
    assert!(verdict.valid, "{verdict:?}");
    let parsed: AuditEvent = serde_json::from_str(&texts[0]).unwrap();
    assert_eq!(parsed, events[0]);
}

fn payload() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[ -~é\n\"\\\\]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn flipping_any_byte_of_any_exported_event_names_its_seq(
        payloads in prop::collection::vec(payload(), 1..8),
        which in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let events = chain(&payloads);
        let mut texts: Vec<Vec<u8>> = events.iter().map(|e| e.to_canonical_json().into_bytes()).collect();
        let victim = which.index(texts.len());
        let position = byte.index(texts[victim].len());
        texts[victim][position] ^= mask;
        let verdict = verify_serialized(&texts);
        prop_assert!(!verdict.valid);
        prop_assert_eq!(verdict.first_invalid_seq, Some(victim as u64 + 1));
        prop_assert_eq!(verdict.length, texts.len() as u64);
    }

    #[test]
    fn swapping_two_events_names_the_earlier_position(
        payloads in prop::collection::vec(payload(), 2..10),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let mut events = chain(&payloads);
        let (i, j) = (a.index(events.len()), b.index(events.len()));
        prop_assume!(i != j);
        events.swap(i, j);
        prop_assert_eq!(verify_chain(&events).first_invalid_seq, Some(i.min(j) as u64 + 1));
        let texts: Vec<String> = events.iter().map(AuditEvent::to_canonical_json).collect();
        prop_assert_eq!(verify_serialized(&texts).first_invalid_seq, Some(i.min(j) as u64 + 1));
    }

    #[test]
    fn an_untouched_chain_always_verifies(payloads in prop::collection::vec(payload(), 0..10)) {
        let events = chain(&payloads);
        let verdict = verify_chain(&events);
        prop_assert!(verdict.valid);
        prop_assert_eq!(verdict.length, events.len() as u64);
        let texts: Vec<String> = events.iter().map(AuditEvent::to_canonical_json).collect();
        prop_assert!(verify_serialized(&texts).valid);
    }
}

/// The hash is SHA-256 over the previous hash and the canonical JSON of every
/// field but the two hashes: the rule a verifier in any language follows.
fn hash_by_the_rule(event: &AuditEvent) -> String {
    use sha2::{Digest, Sha256};
    let mut value = serde_json::to_value(event).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("hash");
    object.remove("prev_hash");
    let mut hasher = Sha256::new();
    hasher.update(event.prev_hash.as_bytes());
    hasher.update(canonical_json(&value).as_bytes());
    hex::encode(hasher.finalize())
}

#[test]
fn a_persons_id_is_hashed_and_a_tokens_event_has_no_person_key() {
    let by_token = chain(&[json!({"n": 1})]).remove(0);
    assert_eq!(by_token.hash, hash_by_the_rule(&by_token));
    assert!(!by_token.to_canonical_json().contains("person_id"));

    let by_person = NewAuditEvent {
        at: Utc.with_ymd_and_hms(2022, 2, 1, 9, 0, 0).unwrap(),
        actor: AuditActor {
            token_id: None,
            person_id: Some(uuid::Uuid::from_u128(42).into()),
            organisation: Some(OrgCode::parse("mps").unwrap()),
            role: Some(Role::Recipient),
        },
        action: "progress.posted".to_owned(),
        entity_type: "assignment".to_owned(),
        entity_id: "a-1".to_owned(),
        payload: json!({"n": 1}),
    }
    .seal(1, GENESIS_HASH);
    assert_eq!(by_person.hash, hash_by_the_rule(&by_person));
    assert!(
        by_person
            .to_canonical_json()
            .contains(r#""person_id":"00000000-0000-0000-0000-00000000002a""#)
    );
    let mut forged = by_person.clone();
    forged.actor.person_id = Some(uuid::Uuid::from_u128(43).into());
    assert!(!verify_chain(&[forged]).valid);
}
