//! `rectrack token create|list|revoke`: tokens from the console. A new
//! token's secret is printed once, on its own line, and stored nowhere.

use std::process::ExitCode;

use rectrack_core::role::{Principal, Role};
use rectrack_store::page::PageRequest;
use rectrack_store::tokens::TokenDraft;
use rectrack_store::{Ctx, Store};

use super::Error;

/// What to do with tokens.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create a token and print it (once).
    Create {
        /// The organisation it acts for.
        #[arg(long, env = "RECTRACK_TOKEN_ORGANISATION")]
        organisation: String,
        /// What it may do.
        #[arg(long, env = "RECTRACK_TOKEN_ROLE", value_parser = ["overseer", "recipient", "observer"])]
        role: String,
        /// A label to recognise it by.
        #[arg(long, env = "RECTRACK_TOKEN_LABEL")]
        label: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token's id (from `token list`).
        id: uuid::Uuid,
    },
}

/// Runs `token`.
pub async fn run(store: &Store, action: Action) -> Result<ExitCode, Error> {
    let console = Principal::Console;
    match action {
        Action::Create {
            organisation,
            role,
            label,
        } => {
            let role = match role.as_str() {
                "overseer" => Role::Overseer,
                "recipient" => Role::Recipient,
                _ => Role::Observer,
            };
            let created = store
                .create_token(
                    &Ctx::new(&console),
                    &TokenDraft {
                        organisation: organisation.clone(),
                        role,
                        label,
                    },
                )
                .await?
                .fresh()
                .ok_or_else(|| Error::Message("no token was created".to_owned()))?;
            eprintln!(
                "A {} token for `{organisation}` (id {}; shown once):",
                role.as_str(),
                created.record.id
            );
            println!("{}", created.secret);
        }
        Action::List => {
            println!(
                "{:<36}  {:<16}  {:<9}  {:<27}  {:<10}  label",
                "id", "organisation", "role", "created", "state"
            );
            let mut page = PageRequest::first(500);
            loop {
                let got = store.tokens(&page).await?;
                for token in &got.items {
                    println!(
                        "{:<36}  {:<16}  {:<9}  {:<27}  {:<10}  {}",
                        token.id,
                        token.organisation.as_str(),
                        token.role.as_str(),
                        rectrack_core::time::format_timestamp(&token.created_at),
                        if token.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        },
                        token.label.as_ref().map_or("", |l| l.as_str())
                    );
                }
                match got.next {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
        }
        Action::Revoke { id } => {
            store.revoke_token(&Ctx::new(&console), id.into()).await?;
            println!("Revoked token {id}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
