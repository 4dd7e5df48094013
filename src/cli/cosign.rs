//! The log's side of C2SP `tlog-witness`: each new checkpoint is sent to
//! the configured witnesses with a consistency proof from the size each
//! last cosigned, and the cosignatures they answer are checked against
//! their keys and published with the checkpoint. A witness that is down or
//! refuses is logged and asked again at the next turn; writes never wait.

use std::time::Duration;

use rectrack_core::tlog::note::{KeyType, Note, VerifierKey};
use rectrack_core::tlog::witness::AddCheckpoint;
use rectrack_store::Store;
use rectrack_store::transparency::SignedCheckpoint;

/// How long a witness has to answer.
const WITNESS_TIMEOUT: Duration = Duration::from_secs(10);

/// A witness the log asks: its key, and the prefix `add-checkpoint` is
/// under.
#[derive(Debug, Clone)]
pub struct Witness {
    /// Its verifier key (a cosignature key).
    pub key: VerifierKey,
    /// Its submission prefix, e.g. `https://witness.example.org`.
    pub url: String,
}

impl Witness {
    /// Reads `KEY URL` (the key as `rectrack witness key` prints it).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split_whitespace();
        let (Some(key), Some(url), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "`{text}` is not `KEY URL` (the witness's verifier key, a space, its address)"
            ));
        };
        let key = VerifierKey::parse(key).map_err(|e| e.to_string())?;
        if key.kind() != KeyType::Cosignature {
            return Err(format!("{} is not a witness's key", key.name()));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("{url} is not an http:// or https:// address"));
        }
        Ok(Self {
            key,
            url: url.trim_end_matches('/').to_owned(),
        })
    }
}

/// An HTTP client for witnesses.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(WITNESS_TIMEOUT)
        .build()
        .unwrap_or_default()
}

/// Asks every witness that has not cosigned the latest checkpoint to
/// cosign it.
pub async fn collect(store: &Store, client: &reqwest::Client, witnesses: &[Witness]) {
    let latest = match store.latest_checkpoint().await {
        Ok(Some(latest)) => latest,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, "the latest checkpoint could not be read");
            return;
        }
    };
    for witness in witnesses {
        if latest.cosigned_by.iter().any(|w| w == witness.key.name()) {
            continue;
        }
        if let Err(why) = ask(store, client, witness, &latest).await {
            tracing::warn!(
                witness = witness.key.name(),
                size = latest.checkpoint.size,
                reason = %why,
                "a witness did not cosign"
            );
        }
    }
}

async fn ask(
    store: &Store,
    client: &reqwest::Client,
    witness: &Witness,
    latest: &SignedCheckpoint,
) -> Result<(), String> {
    let name = witness.key.name();
    let size = latest.checkpoint.size;
    let mut old = store.witness_size(name).await.map_err(|e| e.to_string())?;
    // At most one retry: after a 409 the witness has said where it stands.
    for _ in 0..2 {
        if old > size {
            return Err(format!(
                "it has cosigned size {old} already; it will be asked at the next checkpoint"
            ));
        }
        let proof = if old == 0 {
            Vec::new()
        } else {
            store
                .consistency_proof(old, size)
                .await
                .map_err(|e| e.to_string())?
        };
        let body = AddCheckpoint {
            old,
            proof,
            checkpoint: latest.note.clone(),
        }
        .to_string();
        let response = client
            .post(format!("{}/add-checkpoint", witness.url))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("it could not be reached: {e}"))?;
        let status = response.status().as_u16();
        let size_answer = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"text/x.tlog.size"));
        let text = response
            .text()
            .await
            .map_err(|e| format!("its answer could not be read: {e}"))?;
        match status {
            200 => {
                let mut kept = 0;
                for line in text.lines().filter(|l| l.starts_with('\u{2014}')) {
                    let note = format!("{}\n{line}\n", latest.checkpoint.text());
                    let verified = Note::parse(&note)
                        .ok()
                        .is_some_and(|note| witness.key.verify(&note).is_ok());
                    if verified {
                        store
                            .add_cosignature(size, name, line)
                            .await
                            .map_err(|e| e.to_string())?;
                        kept += 1;
                    }
                }
                store
                    .set_witness_size(name, size)
                    .await
                    .map_err(|e| e.to_string())?;
                if kept == 0 {
                    return Err("it answered no cosignature its key verifies".to_owned());
                }
                tracing::info!(witness = name, size, "a witness cosigned the checkpoint");
                return Ok(());
            }
            409 if size_answer => {
                old = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("it answered 409 with `{}`", text.trim()))?;
                store
                    .set_witness_size(name, old)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            _ => return Err(format!("it refused ({status}): {}", text.trim())),
        }
    }
    Err("it kept naming another size".to_owned())
}
