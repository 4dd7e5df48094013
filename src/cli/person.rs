//! `rectrack person invite|list|resend|disable|enable`: people's accounts
//! from the console. An invitation's one-time link is printed once, on its
//! own line; give it to the person privately.

use std::process::ExitCode;

use rectrack_api::app::DEFAULT_PUBLIC_URL;
use rectrack_api::routes::people::invitation_path;
use rectrack_core::role::{Principal, Role};
use rectrack_store::page::PageRequest;
use rectrack_store::people::{Invitation, PersonDraft};
use rectrack_store::{Ctx, Store};

use super::Error;

/// What to do with people.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Invite a person and print the one-time link on which they set a
    /// password (it works for seven days).
    Invite {
        /// The organisation the person acts for.
        #[arg(long, env = "RECTRACK_PERSON_ORGANISATION")]
        organisation: String,
        /// What the person may do.
        #[arg(long, env = "RECTRACK_PERSON_ROLE", value_parser = ["overseer", "recipient", "observer"])]
        role: String,
        /// The address the person signs in with.
        #[arg(long, env = "RECTRACK_PERSON_EMAIL")]
        email: String,
        /// The person's name, as the record shows it.
        #[arg(long, env = "RECTRACK_PERSON_NAME")]
        name: String,
        /// Where people reach the service; the link starts with it.
        #[arg(long, env = "RECTRACK_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
        public_url: String,
    },
    /// List people.
    List,
    /// Send an invitation again: print a new link (the old one stops working).
    Resend {
        /// The person's id (from `person list`).
        id: uuid::Uuid,
        /// Where people reach the service; the link starts with it.
        #[arg(long, env = "RECTRACK_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
        public_url: String,
    },
    /// Disable an account: its sessions end at once.
    Disable {
        /// The person's id (from `person list`).
        id: uuid::Uuid,
    },
    /// Enable a disabled account again.
    Enable {
        /// The person's id (from `person list`).
        id: uuid::Uuid,
    },
}

/// Runs `person`.
pub async fn run(store: &Store, action: Action) -> Result<ExitCode, Error> {
    let console = Principal::Console;
    match action {
        Action::Invite {
            organisation,
            role,
            email,
            name,
            public_url,
        } => {
            let role = match role.as_str() {
                "overseer" => Role::Overseer,
                "recipient" => Role::Recipient,
                _ => Role::Observer,
            };
            let draft = PersonDraft {
                organisation,
                role,
                email,
                name,
            };
            let invitation = store
                .invite_person(&Ctx::new(&console), &draft)
                .await?
                .fresh()
                .ok_or_else(|| Error::Message("no one was invited".to_owned()))?;
            print_link(&invitation, &public_url);
        }
        Action::List => {
            println!(
                "{:<36}  {:<16}  {:<9}  {:<8}  {:<3}  {:<32}  name",
                "id", "organisation", "role", "state", "2fa", "email"
            );
            let mut page = PageRequest::first(500);
            loop {
                let got = store.people(&console, &page).await?;
                for person in &got.items {
                    println!(
                        "{:<36}  {:<16}  {:<9}  {:<8}  {:<3}  {:<32}  {}",
                        person.id,
                        person.organisation.as_str(),
                        person.role.as_str(),
                        person.state.as_str(),
                        if person.two_factor { "yes" } else { "no" },
                        person.email.as_str(),
                        person.name.as_str(),
                    );
                }
                match got.next {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
        }
        Action::Resend { id, public_url } => {
            let invitation = store
                .renew_invitation(&Ctx::new(&console), id.into())
                .await?
                .fresh()
                .ok_or_else(|| Error::Message("no invitation was sent".to_owned()))?;
            print_link(&invitation, &public_url);
        }
        Action::Disable { id } => {
            store
                .set_person_disabled(&Ctx::new(&console), id.into(), true)
                .await?;
            println!("Disabled {id}; its sessions have ended.");
        }
        Action::Enable { id } => {
            store
                .set_person_disabled(&Ctx::new(&console), id.into(), false)
                .await?;
            println!("Enabled {id}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_link(invitation: &Invitation, public_url: &str) {
    eprintln!(
        "An invitation for {} <{}> as {} of `{}` (id {}), until {}; shown once:",
        invitation.person.name,
        invitation.person.email,
        invitation.person.role.as_str(),
        invitation.person.organisation,
        invitation.person.id,
        rectrack_core::time::format_timestamp(&invitation.expires_at),
    );
    println!(
        "{}{}",
        public_url.trim_end_matches('/'),
        invitation_path(&invitation.secret)
    );
}
