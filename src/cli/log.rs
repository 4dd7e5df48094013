//! `rectrack log`: the transparency log's signing key and checkpoints.
//!
//! The key is an Ed25519 key in the C2SP signed-note form
//! (`PRIVATE+KEY+origin+hash+key`), named by the log's origin. It is kept in
//! a file readable by its owner only (`--log-key-file`), or given whole in
//! `RECTRACK_LOG_KEY`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rectrack_core::tlog::note::{KeyType, SignerKey};
use rectrack_store::Store;
use rectrack_store::transparency::Unsigned;

use super::Error;

/// Where the log's signing key is.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// The file holding the log's signing key, readable by its owner only.
    #[arg(
        long,
        env = "RECTRACK_LOG_KEY_FILE",
        default_value = "rectrack-log.key"
    )]
    pub log_key_file: PathBuf,
    /// The signing key itself (`PRIVATE+KEY+…`), instead of the file.
    #[arg(long, env = "RECTRACK_LOG_KEY", hide_env_values = true)]
    pub log_key: Option<String>,
}

impl KeyArgs {
    /// The key, if one is given or its file exists.
    pub fn load(&self) -> Result<Option<SignerKey>, Error> {
        load_key(
            self.log_key.as_deref(),
            &self.log_key_file,
            "RECTRACK_LOG_KEY",
        )
    }

    /// The key, created (named `origin`) in its file if there is none yet;
    /// whether it was created.
    pub fn load_or_create(&self, origin: &str) -> Result<(SignerKey, bool), Error> {
        match self.load()? {
            Some(key) => Ok((key, false)),
            None => Ok((
                create_key(&self.log_key_file, origin, KeyType::Ed25519)?,
                true,
            )),
        }
    }
}

/// A signing key given whole (`inline`, from the variable `variable`) or
/// kept in `path`, which must be readable by its owner only; none if
/// neither is there.
pub fn load_key(
    inline: Option<&str>,
    path: &Path,
    variable: &str,
) -> Result<Option<SignerKey>, Error> {
    if let Some(text) = inline {
        return parse(text, variable).map(Some);
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Message(format!(
                "cannot read the key {}: {e}",
                path.display()
            )));
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::Message(format!(
                "the key {} may be read by others (mode {:o}); make it its owner's only: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    parse(&text, &path.display().to_string()).map(Some)
}

/// Creates a new key named `name` in `path` (which must not exist),
/// readable by its owner only.
pub fn create_key(path: &Path, name: &str, kind: KeyType) -> Result<SignerKey, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Message(format!("no randomness: {e}")))?;
    let key = SignerKey::from_seed(name, kind, seed).map_err(|e| Error::Message(e.to_string()))?;
    write_new_private(path, &key.to_private_string())?;
    Ok(key)
}

fn parse(text: &str, source: &str) -> Result<SignerKey, Error> {
    SignerKey::parse(text).map_err(|e| Error::Message(format!("the key in {source}: {e}")))
}

/// Creates `path` (which must not exist) with `text`, readable by its owner only.
fn write_new_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| Error::Message(format!("cannot create the key {}: {e}", path.display())))?;
    file.write_all(format!("{text}\n").as_bytes())?;
    Ok(())
}

/// What to do with the log.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print the key that verifies the log's checkpoints
    /// (`origin+hash+key`), for readers and witnesses to pin.
    Key(KeyArgs),
    /// Create the signing key, if there is none (`rectrack init` does too).
    Init {
        /// The log's origin: its name in every checkpoint, by custom the
        /// address it is served at without the scheme, e.g.
        /// `rectrack.example.org/iopc`.
        #[arg(long, env = "RECTRACK_LOG_ORIGIN")]
        origin: String,
        /// Where the key is.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Sign a checkpoint now if the log has grown, and print the latest.
    Checkpoint(KeyArgs),
}

/// Runs `log`.
pub async fn run(database: &str, blobs: &Path, action: Action) -> Result<ExitCode, Error> {
    match action {
        Action::Key(key) => {
            let key = key.load()?.ok_or_else(|| no_key(&key))?;
            println!("{}", key.verifier());
            Ok(ExitCode::SUCCESS)
        }
        Action::Init { origin, key } => {
            let (signer, created) = key.load_or_create(&origin)?;
            if created {
                eprintln!("Created the log key {}.", key.log_key_file.display());
            } else {
                eprintln!("The log key exists already; it was left as it is.");
            }
            eprintln!("The key that verifies the log's checkpoints:");
            println!("{}", signer.verifier());
            Ok(ExitCode::SUCCESS)
        }
        Action::Checkpoint(key) => {
            let signer = key.load()?.ok_or_else(|| no_key(&key))?;
            let store = super::open(database, blobs).await?;
            match store
                .sign_checkpoint(&signer, chrono::Duration::zero())
                .await?
            {
                Ok(_) => eprintln!("Signed a checkpoint."),
                Err(Unsigned::Unchanged) => {
                    eprintln!("The log has not grown since its last checkpoint.")
                }
                Err(Unsigned::TooSoon | Unsigned::SignedElsewhere) => {
                    eprintln!("Another server signed a checkpoint meanwhile.");
                }
            }
            print_latest(&store).await
        }
    }
}

async fn print_latest(store: &Store) -> Result<ExitCode, Error> {
    match store.latest_checkpoint().await? {
        Some(latest) => {
            print!("{}", latest.note);
            Ok(ExitCode::SUCCESS)
        }
        None => Err(Error::Message(
            "the log has signed no checkpoint".to_owned(),
        )),
    }
}

fn no_key(key: &KeyArgs) -> Error {
    Error::Message(format!(
        "no log key at {} (nor in RECTRACK_LOG_KEY): `rectrack init` or `rectrack log init --origin …` creates one",
        key.log_key_file.display()
    ))
}
