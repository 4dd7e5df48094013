use proptest::prelude::*;

use super::note::{KeyType, Note, SignerKey, VerifierKey};
use super::proof::{
    Range, consistency_ranges, inclusion_ranges, verify_consistency, verify_inclusion,
};
use super::tile::{StoredTile, TileId, extend, fold, locate, partial_tiles};
use super::*;

/// The leaves of Certificate Transparency's reference tests (RFC 6962
/// implementations' `merkle_tree_test`), with the roots of their prefixes.
const CT_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn ct_leaves() -> Vec<Hash> {
    CT_LEAVES
        .iter()
        .map(|h| leaf_hash(&hex::decode(h).expect("hex")))
        .collect()
}

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

fn leaves_of(n: u64) -> Vec<Hash> {
    leaves(n)
}

/// The hashes a proof's ranges call for, computed from the leaves.
fn hashes(leaves: &[Hash], ranges: &[Range]) -> Vec<Hash> {
    ranges
        .iter()
        .map(|r| {
            let parts: Vec<Hash> = r
                .nodes()
                .iter()
                .map(|n| {
                    let r = n.range();
                    root_of(&leaves[r.start as usize..r.end as usize])
                })
                .collect();
            let folded = Range::hash(&parts).expect("a range has a node");
            assert_eq!(
                folded,
                root_of(&leaves[r.start as usize..r.end as usize]),
                "{r:?}"
            );
            folded
        })
        .collect()
}

#[test]
fn the_certificate_transparency_roots_are_reproduced() {
    let leaves = ct_leaves();
    assert_eq!(
        empty_root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for (n, want) in CT_ROOTS.iter().enumerate() {
        assert_eq!(root_of(&leaves[..=n]).to_hex(), *want, "size {}", n + 1);
    }
}

#[test]
fn the_certificate_transparency_proofs_are_reproduced() {
    // Inclusion of leaf 0 in the tree of 8, and consistency of 1, 3 and 4
    // with 8 (the reference tests' vectors).
    let leaves = ct_leaves();
    let path = hashes(&leaves, &inclusion_ranges(0, 8).expect("in range"));
    let want = [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ];
    assert_eq!(path.iter().map(Hash::to_hex).collect::<Vec<_>>(), want);
    let proof = hashes(&leaves, &consistency_ranges(3, 8).expect("in range"));
    let want = [
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ];
    assert_eq!(proof.iter().map(Hash::to_hex).collect::<Vec<_>>(), want);
    assert!(verify_consistency(
        3,
        8,
        &root_of(&leaves[..3]),
        &root_of(&leaves),
        &proof
    ));
    let proof = hashes(&leaves, &consistency_ranges(4, 8).expect("in range"));
    assert_eq!(proof.len(), 1);
    assert!(verify_consistency(
        4,
        8,
        &root_of(&leaves[..4]),
        &root_of(&leaves),
        &proof
    ));
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut flipped = *hash;
    flipped.0[bit / 8 % 32] ^= 1 << (bit % 8);
    flipped
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_inclusion_proof_verifies_and_no_altered_one_does(
        size in 1u64..600, index_seed: u64, bit: usize, other in 0u64..600,
    ) {
        let leaves = leaves(size);
        let index = index_seed % size;
        let root = root_of(&leaves);
        let proof = hashes(&leaves, &inclusion_ranges(index, size).expect("in range"));
        let leaf = leaves[index as usize];
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root));
        prop_assert!(!verify_inclusion(index, size, &flip(&leaf, bit), &proof, &root));
        prop_assert!(!verify_inclusion(index, size, &leaf, &proof, &flip(&root, bit)));
        for i in 0..proof.len() {
            let mut altered = proof.clone();
            altered[i] = flip(&altered[i], bit);
            prop_assert!(!verify_inclusion(index, size, &leaf, &altered, &root));
        }
        if other != size && other > index {
            // The same leaf in a tree of another size needs another proof.
            let other_root = root_of(&leaves_of(other));
            prop_assert!(!verify_inclusion(index, other, &leaf, &proof, &other_root));
        }
        if other != index && other < size {
            prop_assert!(!verify_inclusion(other, size, &leaf, &proof, &root));
        }
        prop_assert!(inclusion_ranges(size, size).is_none());
    }

    #[test]
    fn every_consistency_proof_verifies_and_no_altered_one_does(
        new in 1u64..600, old_seed: u64, bit: usize,
    ) {
        let leaves = leaves(new);
        let old = old_seed % (new + 1);
        let (old_root, new_root) = (root_of(&leaves[..old as usize]), root_of(&leaves));
        let proof = hashes(&leaves, &consistency_ranges(old, new).expect("in range"));
        prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof));
        if old > 0 && old < new {
            prop_assert!(!verify_consistency(old, new, &flip(&old_root, bit), &new_root, &proof));
            prop_assert!(!verify_consistency(old, new, &old_root, &flip(&new_root, bit), &proof));
            for i in 0..proof.len() {
                let mut altered = proof.clone();
                altered[i] = flip(&altered[i], bit);
                prop_assert!(!verify_consistency(old, new, &old_root, &new_root, &altered));
            }
            // Trees of other sizes need other proofs.
            let longer = root_of(&leaves_of(new + 1));
            prop_assert!(!verify_consistency(old, new + 1, &old_root, &longer, &proof));
            let shorter = root_of(&leaves[..old as usize - 1]);
            prop_assert!(!verify_consistency(old - 1, new, &shorter, &new_root, &proof));
        }
        prop_assert!(consistency_ranges(new + 1, new).is_none());
    }

    #[test]
    fn tiles_grown_in_any_steps_give_the_tree(steps in prop::collection::vec(1u64..700, 1..5)) {
        let total: u64 = steps.iter().sum();
        let leaves = leaves(total);
        let mut tiles: std::collections::BTreeMap<(u8, u64), Vec<Hash>> = Default::default();
        let mut size = 0;
        for step in steps {
            let partial = |level: u8| {
                partial_tiles(size)
                    .into_iter()
                    .find(|(l, _, _)| *l == level)
                    .and_then(|(l, i, _)| tiles.get(&(l, i)).cloned())
                    .unwrap_or_default()
            };
            let written = extend(size, &leaves[size as usize..(size + step) as usize], partial);
            for StoredTile { level, index, hashes } in written {
                tiles.insert((level, index), hashes);
            }
            size += step;
            // Every node of every proof's ranges is found in the tiles.
            for node in (Range { start: 0, end: size }).nodes() {
                let at = locate(node);
                let tile = &tiles[&(at.level, at.index)];
                let hash = fold(&tile[at.offset..at.offset + at.count]).expect("a power of two");
                let r = node.range();
                prop_assert_eq!(hash, root_of(&leaves[r.start as usize..r.end as usize]));
            }
            for (level, index, width) in partial_tiles(size) {
                prop_assert_eq!(tiles[&(level, index)].len(), width);
            }
        }
    }
}

#[test]
fn tile_paths_are_the_specifications() {
    let tile = TileId {
        level: 0,
        index: 1_234_067,
        width: 256,
    };
    assert_eq!(tile.path(), "0/x001/x234/067");
    assert_eq!(TileId::parse("0/x001/x234/067"), Some(tile));
    let partial = TileId {
        level: 2,
        index: 5,
        width: 17,
    };
    assert_eq!(partial.path(), "2/005.p/17");
    assert_eq!(TileId::parse("2/005.p/17"), Some(partial));
    for bad in [
        "0/1",
        "0/x1/067",
        "01/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/017",
        "64/000",
        "0/001/002",
        "0/x000/x",
    ] {
        assert_eq!(TileId::parse(bad), None, "{bad}");
    }
    // The specification's example: a tree of 70,000 leaves leaves a level-0
    // tile of 112, a level-1 tile of 17 and a level-2 tile of 1 partial.
    assert_eq!(
        partial_tiles(70_000),
        vec![(0, 273, 112), (1, 1, 17), (2, 0, 1)]
    );
    assert_eq!(partial_tiles(256), vec![(1, 0, 1)]);
}

#[test]
fn the_signed_note_example_verifies() {
    // The example of Go's `note` package and its Rust port.
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    let signed = format!(
        "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let key =
        VerifierKey::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .expect("the key");
    let note = Note::parse(&signed).expect("a note");
    assert_eq!(note.text, text);
    assert_eq!(key.verify(&note), Ok(None));
    let signer = SignerKey::parse(
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    )
    .expect("the signer");
    assert_eq!(signer.verifier(), key);
    // Ed25519 is deterministic: the same key signs the same text alike.
    assert_eq!(note.signatures[0], signer.sign(text, 0));
    let forged = signed.replace("answer", "ANSWER");
    assert!(key.verify(&Note::parse(&forged).expect("a note")).is_err());
}

#[test]
fn checkpoints_and_cosignatures_round_trip_and_refuse_alteration() {
    let log = SignerKey::from_seed("rectrack.example.org/iopc", KeyType::Ed25519, [7; 32])
        .expect("a name");
    let witness =
        SignerKey::from_seed("witness.example", KeyType::Cosignature, [9; 32]).expect("a name");
    let checkpoint = Checkpoint {
        origin: "rectrack.example.org/iopc".to_owned(),
        size: 70_000,
        root: leaf_hash(b"root"),
    };
    let text = checkpoint.text();
    let note = Note {
        text: text.clone(),
        signatures: vec![log.sign(&text, 0), witness.sign(&text, 1_700_000_000)],
    };
    let written = note.to_string();
    let read = Note::parse(&written).expect("a note");
    assert_eq!(read, note);
    assert_eq!(Checkpoint::parse(&read.text), Ok(checkpoint));
    let log_key = VerifierKey::parse(&log.verifier().to_string()).expect("a key");
    let witness_key = VerifierKey::parse(&witness.verifier().to_string()).expect("a key");
    assert_eq!(log_key.verify(&read), Ok(None));
    assert_eq!(witness_key.verify(&read), Ok(Some(1_700_000_000)));
    // A checkpoint with another size is signed by neither.
    let altered = Note::parse(&written.replace("70000", "70001")).expect("a note");
    assert!(log_key.verify(&altered).is_err());
    assert!(witness_key.verify(&altered).is_err());
    assert!(
        SignerKey::parse(&log.to_private_string())
            .expect("a key")
            .verifier()
            == log_key
    );
    for bad in [
        "",
        "a\n1\n",
        "a\n01\nAAAA\n",
        "\n1\nAAAA\n",
        "a\n1\nnot base64\n",
    ] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
    }
    let proof = ProofText {
        index: 3,
        proof: vec![leaf_hash(b"a"), leaf_hash(b"b")],
        checkpoint: written,
    };
    assert_eq!(ProofText::parse(&proof.to_string()), Ok(proof));
}

/// A hash reader over every stored hash, for the independent implementation.
struct Stored(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Stored {
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::tlog::Error> {
        Ok(indexes.iter().map(|i| self.0[*i as usize]).collect())
    }
}

#[test]
fn roots_and_proofs_agree_with_an_independent_implementation() {
    let n = 1_100_u64;
    let entries: Vec<[u8; 8]> = (0..n).map(u64::to_be_bytes).collect();
    let mut stored = Stored(Vec::new());
    for (i, entry) in entries.iter().enumerate() {
        let added = tlog_tiles::stored_hashes(i as u64, entry, &stored).expect("hashes");
        stored.0.extend(added);
    }
    let leaves = leaves(n);
    for size in [1, 2, 3, 255, 256, 257, 511, 1000, 1_100] {
        let theirs = tlog_tiles::tree_hash(size, &stored).expect("a root");
        assert_eq!(theirs.0, root_of(&leaves[..size as usize]).0, "size {size}");
        for index in [0, size / 3, size - 1] {
            let theirs = tlog_tiles::prove_record(size, index, &stored).expect("a proof");
            let ours = hashes(&leaves, &inclusion_ranges(index, size).expect("in range"));
            assert_eq!(
                theirs.iter().map(|h| h.0).collect::<Vec<_>>(),
                ours.iter().map(|h| h.0).collect::<Vec<_>>(),
                "inclusion of {index} in {size}"
            );
        }
        for old in [1, size / 2, size - 1] {
            if old == 0 || old >= size {
                continue;
            }
            let theirs = tlog_tiles::prove_tree(size, old, &stored).expect("a proof");
            let ours = hashes(&leaves, &consistency_ranges(old, size).expect("in range"));
            assert_eq!(
                theirs.iter().map(|h| h.0).collect::<Vec<_>>(),
                ours.iter().map(|h| h.0).collect::<Vec<_>>(),
                "consistency of {old} with {size}"
            );
        }
    }
}

#[test]
fn notes_agree_with_an_independent_implementation() {
    let log = SignerKey::from_seed("rectrack.example.org/iopc", KeyType::Ed25519, [3; 32])
        .expect("a name");
    let checkpoint = Checkpoint {
        origin: "rectrack.example.org/iopc".to_owned(),
        size: 12,
        root: leaf_hash(b"x"),
    };
    let text = checkpoint.text();
    let ours = Note {
        text: text.clone(),
        signatures: vec![log.sign(&text, 0)],
    }
    .to_string();
    let verifier =
        signed_note::StandardVerifier::new(&log.verifier().to_string()).expect("their key reader");
    let list = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    let theirs = signed_note::Note::from_bytes(ours.as_bytes()).expect("their note reader");
    let (verified, _) = theirs.verify(&list).expect("their verification");
    assert_eq!(verified.len(), 1);
    let theirs_tree = tlog_tiles::Checkpoint::from_bytes(text.as_bytes()).expect("their reader");
    assert_eq!(theirs_tree.size(), 12);
    assert_eq!(theirs_tree.hash().0, checkpoint.root.0);
}

mod witnessing {
    use super::super::note::{KeyType, Note, SignerKey};
    use super::super::proof::{Range, consistency_ranges};
    use super::super::witness::{AddCheckpoint, Cosigned, Refusal, check, cosign};
    use super::super::{Checkpoint, Hash, leaf_hash, root_of};

    fn log() -> SignerKey {
        SignerKey::from_seed("rectrack.test/iopc", KeyType::Ed25519, [1; 32]).unwrap()
    }

    fn witness() -> SignerKey {
        SignerKey::from_seed("witness.test/news", KeyType::Cosignature, [2; 32]).unwrap()
    }

    fn leaves(n: u64, salt: u8) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&[&i.to_be_bytes()[..], &[if i == 3 { salt } else { 0 }]].concat()))
            .collect()
    }

    fn signed(leaves: &[Hash], key: &SignerKey) -> (Checkpoint, String) {
        let checkpoint = Checkpoint {
            origin: "rectrack.test/iopc".to_owned(),
            size: leaves.len() as u64,
            root: root_of(leaves),
        };
        let text = checkpoint.text();
        let note = Note {
            signatures: vec![key.sign(&text, 0)],
            text,
        };
        (checkpoint, note.to_string())
    }

    fn proof(leaves: &[Hash], old: u64) -> Vec<Hash> {
        consistency_ranges(old, leaves.len() as u64)
            .unwrap()
            .into_iter()
            .map(|Range { start, end }| root_of(&leaves[start as usize..end as usize]))
            .collect()
    }

    #[test]
    fn a_witness_cosigns_only_what_extends_what_it_cosigned() {
        let keys = [log().verifier()];
        let honest = leaves(20, 0);
        let (first, first_note) = signed(&honest[..8], &log());
        let request = AddCheckpoint {
            old: 0,
            proof: vec![],
            checkpoint: first_note.clone(),
        };
        // The request goes over the wire and back unchanged.
        assert_eq!(
            AddCheckpoint::parse(&request.to_string()),
            Ok(request.clone())
        );
        let accepted = check(&request, &keys, |_| None).unwrap();
        assert_eq!(accepted.checkpoint, first);
        // The cosignature verifies with the witness's key, timestamped.
        let line = cosign(&witness(), &accepted, 1_700_000_000);
        let cosigned = Note::parse(&format!("{}{line}", first_note)).unwrap();
        assert_eq!(
            witness().verifier().verify(&cosigned),
            Ok(Some(1_700_000_000))
        );
        let last = Cosigned {
            size: 8,
            root: first.root,
        };
        // A later checkpoint of the same history, with its proof.
        let (_, later) = signed(&honest, &log());
        let extend = AddCheckpoint {
            old: 8,
            proof: proof(&honest, 8),
            checkpoint: later.clone(),
        };
        assert!(check(&extend, &keys, |_| Some(last.clone())).is_ok());
        // The refusals, each with the protocol's status.
        let refuse = |request: &AddCheckpoint, last: Option<Cosigned>| {
            check(request, &keys, move |_| last).unwrap_err()
        };
        let wrong_old = AddCheckpoint {
            old: 5,
            ..extend.clone()
        };
        assert_eq!(refuse(&wrong_old, Some(last.clone())), Refusal::WrongOld(8));
        assert_eq!(Refusal::WrongOld(8).status(), 409);
        let too_large = AddCheckpoint {
            old: 30,
            ..extend.clone()
        };
        assert_eq!(refuse(&too_large, Some(last.clone())).status(), 400);
        let rewritten = leaves(20, 1);
        let (_, forged) = signed(&rewritten, &log());
        let forged_request = AddCheckpoint {
            old: 8,
            proof: proof(&rewritten, 8),
            checkpoint: forged,
        };
        let refusal = refuse(&forged_request, Some(last.clone()));
        assert_eq!(refusal, Refusal::Inconsistent { old: 8 });
        assert_eq!(refusal.status(), 422);
        assert!(refusal.to_string().contains("rewritten"));
        let (_, same_size) = signed(&rewritten[..8], &log());
        let fork = AddCheckpoint {
            old: 8,
            proof: vec![],
            checkpoint: same_size,
        };
        assert_eq!(
            refuse(&fork, Some(last.clone())),
            Refusal::Forked { size: 8 }
        );
        let stranger =
            SignerKey::from_seed("rectrack.test/iopc", KeyType::Ed25519, [9; 32]).unwrap();
        let (_, unsigned) = signed(&honest, &stranger);
        let unsigned = AddCheckpoint {
            checkpoint: unsigned,
            ..extend.clone()
        };
        assert_eq!(refuse(&unsigned, Some(last.clone())).status(), 403);
        let other = SignerKey::from_seed("elsewhere.test/log", KeyType::Ed25519, [1; 32]).unwrap();
        let (mut checkpoint, _) = signed(&honest, &other);
        checkpoint.origin = "elsewhere.test/log".to_owned();
        let text = checkpoint.text();
        let unknown = AddCheckpoint {
            old: 0,
            proof: vec![],
            checkpoint: Note {
                signatures: vec![other.sign(&text, 0)],
                text,
            }
            .to_string(),
        };
        assert_eq!(refuse(&unknown, None).status(), 404);
        for bad in ["", "old 01\n\nx", "old 1\nnot a hash\n\nx", "new 1\n\nx"] {
            assert_eq!(
                AddCheckpoint::parse(bad).unwrap_err().status(),
                400,
                "{bad:?}"
            );
        }
    }
}

mod verifying {
    use super::super::note::{KeyType, Note, SignerKey};
    use super::super::proof::inclusion_ranges;
    use super::super::verify::{Policy, Receipt, ReceiptProof, export, receipt};
    use super::super::{Checkpoint, Hash, event_leaf, root_of};
    use crate::audit::{AuditActor, AuditEvent, GENESIS_HASH, NewAuditEvent};

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let event = NewAuditEvent {
                    at: chrono::DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap(),
                    actor: AuditActor::default(),
                    action: "organisation.created".to_owned(),
                    entity_type: "organisation".to_owned(),
                    entity_id: format!("force-{seq}"),
                    payload: serde_json::json!({"n": seq}),
                }
                .seal(seq, &prev);
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    fn keys() -> (SignerKey, SignerKey) {
        (
            SignerKey::from_seed("rectrack.test/iopc", KeyType::Ed25519, [1; 32]).unwrap(),
            SignerKey::from_seed("witness.test/news", KeyType::Cosignature, [2; 32]).unwrap(),
        )
    }

    /// The log's checkpoint of `events`, cosigned if `witnessed`.
    fn checkpoint(events: &[AuditEvent], witnessed: bool) -> (Checkpoint, String) {
        let (log, witness) = keys();
        let leaves: Vec<Hash> = events
            .iter()
            .map(|e| event_leaf(&e.hash).unwrap())
            .collect();
        let checkpoint = Checkpoint {
            origin: log.name().to_owned(),
            size: leaves.len() as u64,
            root: root_of(&leaves),
        };
        let text = checkpoint.text();
        let mut signatures = vec![log.sign(&text, 0)];
        if witnessed {
            signatures.push(witness.sign(&text, 1_700_000_000));
        }
        (checkpoint, Note { text, signatures }.to_string())
    }

    fn proof_of(events: &[AuditEvent], seq: u64) -> Vec<String> {
        let leaves: Vec<Hash> = events
            .iter()
            .map(|e| event_leaf(&e.hash).unwrap())
            .collect();
        inclusion_ranges(seq - 1, leaves.len() as u64)
            .unwrap()
            .into_iter()
            .map(|r| root_of(&leaves[r.start as usize..r.end as usize]).to_base64())
            .collect()
    }

    fn policy(quorum: usize) -> Policy {
        let (log, witness) = keys();
        Policy {
            log: log.verifier(),
            witnesses: vec![witness.verifier()],
            quorum,
        }
    }

    #[test]
    fn a_receipt_verifies_and_any_change_to_it_does_not() {
        let events = chain(13);
        let (checkpoint, note) = checkpoint(&events, true);
        let good = Receipt {
            event: events[6].clone(),
            proof: ReceiptProof {
                seq: 7,
                leaf_index: 6,
                tree_size: 13,
                hashes: proof_of(&events, 7),
                checkpoint: note.clone(),
            },
        };
        let verified = receipt(&policy(1), &good).unwrap();
        assert_eq!(verified.checkpoint, checkpoint);
        assert_eq!(verified.cosigned_by, vec!["witness.test/news".to_owned()]);
        let mut altered = good.clone();
        altered.event.payload = serde_json::json!({"n": 99});
        assert!(
            receipt(&policy(1), &altered)
                .unwrap_err()
                .contains("altered")
        );
        let mut resealed = good.clone();
        resealed.event.payload = serde_json::json!({"n": 99});
        resealed.event.hash = resealed.event.compute_hash();
        assert!(
            receipt(&policy(1), &resealed)
                .unwrap_err()
                .contains("not in the log")
        );
        let (_, unwitnessed) = super::verifying::checkpoint(&events, false);
        let mut lonely = good.clone();
        lonely.proof.checkpoint = unwitnessed;
        assert!(
            receipt(&policy(1), &lonely)
                .unwrap_err()
                .contains("cosigned by 0")
        );
        assert!(receipt(&policy(0), &lonely).is_ok());
        let stranger = Policy {
            log: SignerKey::from_seed("rectrack.test/iopc", KeyType::Ed25519, [7; 32])
                .unwrap()
                .verifier(),
            ..policy(0)
        };
        assert!(receipt(&stranger, &good).is_err());
    }

    #[test]
    fn an_export_verifies_whole_or_in_part_and_a_changed_line_does_not() {
        let events = chain(10);
        let (_, note) = checkpoint(&events, true);
        let line = |e: &AuditEvent| {
            serde_json::json!({"event": e, "proof": proof_of(&events, e.seq)}).to_string()
        };
        let head = serde_json::json!({"checkpoint": note}).to_string();
        let whole: Vec<String> = std::iter::once(head.clone())
            .chain(events.iter().map(line))
            .collect();
        let verified = export(&policy(1), &whole.join("\n")).unwrap();
        assert!(verified.whole);
        assert_eq!(verified.events, 10);
        // Only some events (what one force may read): each still proven.
        let part: Vec<String> = std::iter::once(head)
            .chain(events.iter().filter(|e| e.seq % 3 == 0).map(line))
            .collect();
        let verified = export(&policy(1), &part.join("\n")).unwrap();
        assert!(!verified.whole);
        assert_eq!(verified.events, 3);
        let mut changed = whole.clone();
        changed[4] = changed[4].replace("force-4", "force-X");
        assert!(export(&policy(1), &changed.join("\n")).is_err());
        let mut reordered = whole;
        reordered.swap(2, 3);
        assert!(export(&policy(1), &reordered.join("\n")).is_err());
    }
}
