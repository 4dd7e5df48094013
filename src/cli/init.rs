//! `rectrack init`: from nothing to a working overseer token. Creates and
//! migrates the database, creates the oversight body if it is missing, and
//! prints a new overseer token on its own line. Running it again is safe: it
//! only adds another token.

use std::path::Path;
use std::process::ExitCode;

use rectrack_core::organisation::{OrganisationDraft, OrganisationKind};
use rectrack_core::role::{Principal, Role};
use rectrack_store::Ctx;
use rectrack_store::tokens::TokenDraft;

use super::{Error, open};

/// Flags of `init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Code of the oversight body (e.g. `iopc`).
    #[arg(long, env = "RECTRACK_ORGANISATION")]
    pub organisation: String,
    /// Its full name, if it must be created.
    #[arg(long, env = "RECTRACK_ORGANISATION_NAME")]
    pub name: Option<String>,
    /// A label for the token.
    #[arg(
        long,
        env = "RECTRACK_TOKEN_LABEL",
        default_value = "created by rectrack init"
    )]
    pub label: String,
    /// The transparency log's origin, named in every checkpoint: by custom
    /// the address it is served at without the scheme (e.g.
    /// `rectrack.example.org/iopc`); `rectrack/ORGANISATION` by default.
    #[arg(long, env = "RECTRACK_LOG_ORIGIN")]
    pub log_origin: Option<String>,
    /// Where the log's signing key is kept.
    #[command(flatten)]
    pub key: super::log::KeyArgs,
}

/// Runs `init`.
pub async fn run(database: &str, blobs: &Path, args: Args) -> Result<ExitCode, Error> {
    let store = open(database, blobs).await?;
    match store.organisation(&args.organisation).await {
        Ok(existing) if existing.kind != OrganisationKind::OversightBody => {
            return Err(Error::Message(format!(
                "`{}` exists but is not an oversight body",
                args.organisation
            )));
        }
        Ok(_) => eprintln!("The oversight body `{}` already exists.", args.organisation),
        Err(rectrack_store::Error::NotFound { .. }) => {
            let name = args.name.clone().ok_or_else(|| {
                Error::Message(format!(
                    "`{}` does not exist yet: give its --name",
                    args.organisation
                ))
            })?;
            let draft = OrganisationDraft {
                code: args.organisation.clone(),
                name,
                kind: OrganisationKind::OversightBody,
            };
            store
                .create_organisation(&Ctx::new(&Principal::Console), &draft)
                .await?;
            eprintln!("Created the oversight body `{}`.", args.organisation);
        }
        Err(error) => return Err(error.into()),
    }
    let origin = args
        .log_origin
        .clone()
        .unwrap_or_else(|| format!("rectrack/{}", args.organisation));
    let (signer, created) = args.key.load_or_create(&origin)?;
    if created {
        eprintln!(
            "Created the transparency log's signing key {} (keep it secret). Its verifier key:",
            args.key.log_key_file.display()
        );
    } else {
        eprintln!("The transparency log's signing key exists already. Its verifier key:");
    }
    eprintln!("{}", signer.verifier());
    let draft = TokenDraft {
        organisation: args.organisation.clone(),
        role: Role::Overseer,
        label: Some(args.label),
    };
    let created = store
        .create_token(&Ctx::new(&Principal::Console), &draft)
        .await?
        .fresh()
        .ok_or_else(|| Error::Message("no token was created".to_owned()))?;
    eprintln!(
        "An overseer token for `{}` (shown once; keep it secret):",
        args.organisation
    );
    println!("{}", created.secret);
    Ok(ExitCode::SUCCESS)
}
