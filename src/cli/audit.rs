//! `rectrack audit verify`: checks every event of the chain — in place,
//! unchanged, linked. Exits 0 printing the length and head hash, or 1
//! printing `invalid at seq N`.

use std::process::ExitCode;

use rectrack_store::Store;

use super::{Error, progress};

/// What to do with the audit chain.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Verify the whole chain.
    Verify,
}

/// Runs `audit`.
pub async fn run(store: &Store, action: Action) -> Result<ExitCode, Error> {
    match action {
        Action::Verify => {
            let bar = progress(0, "verifying");
            let verdict = store.verify_chain_with(|n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            match verdict.first_invalid_seq {
                None => {
                    println!(
                        "valid: {} events, head {}",
                        verdict.length, verdict.head_hash
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(seq) => {
                    println!("invalid at seq {seq} (of {} events)", verdict.length);
                    if let Some(detail) = &verdict.detail {
                        println!("{detail}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
