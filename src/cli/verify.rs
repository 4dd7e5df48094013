//! `rectrack verify`: checks, offline (no database, no network), what a
//! rectrack log handed out: a receipt or an exported chain, against the
//! log's verifier key and, optionally, a witness policy (k of n keys), and
//! the log's consistency with a checkpoint kept from before. Exits 0 saying
//! what was proven, or 1 saying why not. `docs/verifying.md` walks through it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rectrack_core::tlog::Checkpoint;
use rectrack_core::tlog::note::{KeyType, VerifierKey};
use rectrack_core::tlog::verify::{self, ConsistencyProof, Policy, Receipt, Verified, witness_key};

use super::Error;

/// Flags of `verify`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["receipt", "export"]))]
pub struct Args {
    /// The log's verifier key (`origin+hash+key`, as `rectrack log key`
    /// prints it), or a file holding it.
    #[arg(long)]
    pub key: String,
    /// A witness's verifier key (or a file holding it); repeat for each
    /// witness trusted.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// How many of the witnesses must have cosigned (all given, by default).
    #[arg(long)]
    pub quorum: Option<usize>,
    /// A receipt, as `GET /v1/audit/events/{seq}/receipt` answers.
    #[arg(long)]
    pub receipt: Option<PathBuf>,
    /// An export, as `rectrack export --format audit-jsonl` writes it.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// Another checkpoint of the log (as `GET /v1/log/checkpoint` serves
    /// it): one kept from before, or today's. With --consistency, checks
    /// that it and the receipt's (or export's) are one history, the earlier
    /// a prefix of the later.
    #[arg(long, requires = "consistency")]
    pub checkpoint: Option<PathBuf>,
    /// The consistency proof between the two checkpoints' sizes, as
    /// `GET /v1/log/consistency?from=&to=` answers.
    #[arg(long, requires = "checkpoint")]
    pub consistency: Option<PathBuf>,
}

/// Runs `verify`: exit 0 with what was proven, or 1 with why not.
pub fn run(args: Args) -> Result<ExitCode, Error> {
    match check(&args) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            println!("NOT VERIFIED: {why}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{} cannot be read: {e}", path.display()))
}

/// A key given whole, or the name of a file holding it.
fn key_text(text: &str) -> Result<String, String> {
    let path = Path::new(text);
    if !text.contains('+') && path.exists() {
        return read(path).map(|t| t.trim().to_owned());
    }
    Ok(text.trim().to_owned())
}

fn check(args: &Args) -> Result<Vec<String>, String> {
    let log = VerifierKey::parse(&key_text(&args.key)?).map_err(|e| format!("--key: {e}"))?;
    if log.kind() != KeyType::Ed25519 {
        return Err(format!(
            "--key: {} is a witness's key, not a log's",
            log.name()
        ));
    }
    let witnesses = args
        .witnesses
        .iter()
        .map(|w| witness_key(&key_text(w)?).map_err(|e| format!("--witness: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let quorum = args.quorum.unwrap_or(witnesses.len());
    if quorum > witnesses.len() {
        return Err(format!(
            "--quorum {quorum} is more than the {} witnesses given",
            witnesses.len()
        ));
    }
    let policy = Policy {
        log,
        witnesses,
        quorum,
    };
    let mut lines = Vec::new();
    let verified = if let Some(path) = &args.receipt {
        let receipt: Receipt = serde_json::from_str(&read(path)?)
            .map_err(|e| format!("{} is not a receipt: {e}", path.display()))?;
        let verified = verify::receipt(&policy, &receipt)?;
        let event = &receipt.event;
        lines.push(format!(
            "VERIFIED: event {} ({} on {} {}, recorded {}) is in the log {} at size {}",
            event.seq,
            event.action,
            event.entity_type,
            event.entity_id,
            rectrack_core::time::format_timestamp(&event.at),
            verified.checkpoint.origin,
            verified.checkpoint.size
        ));
        verified
    } else if let Some(path) = &args.export {
        let exported = verify::export(&policy, &read(path)?)?;
        lines.push(format!(
            "VERIFIED: {} events, each whole and in the log {} at size {}{}",
            exported.events,
            exported.verified.checkpoint.origin,
            exported.verified.checkpoint.size,
            if exported.whole {
                "; they are the whole log, and make its root"
            } else {
                ""
            }
        ));
        exported.verified
    } else {
        return Err("give --receipt or --export".to_owned());
    };
    lines.push(signed_by(&policy, &verified));
    if let (Some(other), Some(proof)) = (&args.checkpoint, &args.consistency) {
        // The other checkpoint needs the log's signature; the question
        // asked of it is whether it tells the same history.
        let log_only = Policy {
            quorum: 0,
            ..policy.clone()
        };
        let other = log_only
            .checkpoint(&read(other)?)
            .map_err(|e| format!("--checkpoint: {e}"))?;
        let proof: ConsistencyProof = serde_json::from_str(&read(proof)?)
            .map_err(|e| format!("--consistency is not a consistency proof: {e}"))?;
        verify::consistent(&other.checkpoint, &verified.checkpoint, &proof)?;
        let (earlier, later) = if other.checkpoint.size <= verified.checkpoint.size {
            (other.checkpoint.size, verified.checkpoint.size)
        } else {
            (verified.checkpoint.size, other.checkpoint.size)
        };
        lines.push(format!(
            "  the log at size {earlier} is a prefix of the log at size {later}: one history, only grown"
        ));
    }
    Ok(lines)
}

fn signed_by(policy: &Policy, verified: &Verified) -> String {
    let Checkpoint { origin, .. } = &verified.checkpoint;
    if policy.witnesses.is_empty() {
        return format!(
            "  the checkpoint is signed by the log's key ({origin}); no witness was asked for"
        );
    }
    format!(
        "  the checkpoint is signed by the log's key ({origin}) and cosigned by {} ({} of {} required)",
        verified.cosigned_by.join(", "),
        verified.cosigned_by.len(),
        policy.quorum
    )
}
