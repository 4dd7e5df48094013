//! `rectrack witness`: a C2SP `tlog-witness` another body can run (an
//! inspectorate, a newspaper) to cosign a rectrack log's checkpoints. It
//! keeps, per log, the last checkpoint it cosigned, and cosigns a new one
//! only if a consistency proof shows it extends that one: a log whose
//! history was rewritten cannot get its cosignature, and the refusal says
//! why.
//!
//! Its state is one JSON file, written whole (to a temporary file, then
//! renamed) before each cosignature is answered; checking and recording
//! happen under one lock, so two requests cannot roll it back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Response, Route, Server, handler, post};
use rectrack_core::tlog::Hash;
use rectrack_core::tlog::note::{KeyType, SignerKey, VerifierKey};
use rectrack_core::tlog::witness::{self, AddCheckpoint, Cosigned, Refusal};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::Error;
use super::log::{create_key, load_key};

/// Largest request a witness reads: a checkpoint, its signatures and 63
/// proof lines fit many times over.
const REQUEST_LIMIT: usize = 64 * 1024;

/// Where the witness's key is.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// The file holding the witness's signing key, readable by its owner only.
    #[arg(
        long,
        env = "RECTRACK_WITNESS_KEY_FILE",
        default_value = "rectrack-witness.key"
    )]
    pub key_file: PathBuf,
    /// The signing key itself (`PRIVATE+KEY+…`), instead of the file.
    #[arg(long, env = "RECTRACK_WITNESS_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

impl KeyArgs {
    fn load(&self) -> Result<SignerKey, Error> {
        let key = load_key(self.key.as_deref(), &self.key_file, "RECTRACK_WITNESS_KEY")?
            .ok_or_else(|| {
                Error::Message(format!(
                    "no witness key at {} (nor in RECTRACK_WITNESS_KEY): `rectrack witness init --name …` creates one",
                    self.key_file.display()
                ))
            })?;
        if key.verifier().kind() != KeyType::Cosignature {
            return Err(Error::Message(
                "that key is not a witness's (a cosignature key)".to_owned(),
            ));
        }
        Ok(key)
    }
}

/// What to do as a witness.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create the witness's signing key and print its verifier key.
    Init {
        /// The witness's name, by custom an address without the scheme,
        /// e.g. `witness.example.org/rectrack`.
        #[arg(long, env = "RECTRACK_WITNESS_NAME")]
        name: String,
        /// Where the key is.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Print the witness's verifier key, for logs and readers to pin.
    Key(KeyArgs),
    /// Serve `POST /add-checkpoint` for the logs given.
    Serve(ServeArgs),
}

/// Flags of `witness serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A log to witness, by its verifier key (`origin+hash+key`, as
    /// `rectrack log key` prints it); repeat, or separate with commas.
    #[arg(
        long = "log",
        env = "RECTRACK_WITNESS_LOGS",
        value_delimiter = ',',
        required = true
    )]
    pub logs: Vec<String>,
    /// The address to listen on.
    #[arg(long, env = "RECTRACK_WITNESS_BIND", default_value = "127.0.0.1:7380")]
    pub bind: String,
    /// The file where the witness keeps the last checkpoint it cosigned of
    /// each log.
    #[arg(
        long,
        env = "RECTRACK_WITNESS_STATE",
        default_value = "rectrack-witness.json"
    )]
    pub state: PathBuf,
    /// Where the key is.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// Runs `witness`.
pub async fn run(action: Action) -> Result<ExitCode, Error> {
    match action {
        Action::Init { name, key } => {
            let signer = match load_key(key.key.as_deref(), &key.key_file, "RECTRACK_WITNESS_KEY")?
            {
                Some(existing) => {
                    eprintln!("The witness key exists already; it was left as it is.");
                    existing
                }
                None => {
                    let created = create_key(&key.key_file, &name, KeyType::Cosignature)?;
                    eprintln!("Created the witness key {}.", key.key_file.display());
                    created
                }
            };
            eprintln!("The key that verifies this witness's cosignatures:");
            println!("{}", signer.verifier());
            Ok(ExitCode::SUCCESS)
        }
        Action::Key(key) => {
            println!("{}", key.load()?.verifier());
            Ok(ExitCode::SUCCESS)
        }
        Action::Serve(args) => serve(args).await,
    }
}

/// One log's record, as kept in the state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    size: u64,
    root: String,
}

struct Witness {
    key: SignerKey,
    logs: Vec<VerifierKey>,
    path: PathBuf,
    state: Mutex<BTreeMap<String, Record>>,
}

async fn serve(args: ServeArgs) -> Result<ExitCode, Error> {
    super::serve::start_logging(super::serve::LogFormat::Auto);
    let key = args.key.load()?;
    let logs = args
        .logs
        .iter()
        .map(|text| {
            let key =
                VerifierKey::parse(text).map_err(|e| Error::Message(format!("--log: {e}")))?;
            if key.kind() != KeyType::Ed25519 {
                return Err(Error::Message(format!(
                    "--log: {} is not a log's key",
                    key.name()
                )));
            }
            Ok(key)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let state = read_state(&args.state)?;
    let witness = Arc::new(Witness {
        key,
        logs,
        path: args.state.clone(),
        state: Mutex::new(state),
    });
    let acceptor = TcpListener::bind(args.bind.clone()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .into_iter()
        .find_map(|a| a.as_socket_addr().copied())
        .ok_or_else(|| Error::Message("the listener has no address".to_owned()))?;
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "rectrack witness is serving on http://{addr}");
        let _ = writeln!(out, "  verifier key: {}", witness.key.verifier());
        let _ = out.flush();
    }
    for log in &witness.logs {
        tracing::info!(log = log.name(), "witnessing");
    }
    let app = Route::new()
        .at("/add-checkpoint", post(add_checkpoint))
        .with(poem::middleware::SizeLimit::new(REQUEST_LIMIT))
        .data(witness);
    let shutdown = super::serve::shutdown_signal()?;
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, shutdown, Some(std::time::Duration::from_secs(10)))
        .await?;
    Ok(ExitCode::SUCCESS)
}

fn read_state(path: &Path) -> Result<BTreeMap<String, Record>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Error::Message(format!(
                "the witness state {} is unreadable: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e.into()),
    }
}

/// Writes the state whole, then renames it into place, so a crash leaves
/// the old state or the new, never half of one.
fn write_state(path: &Path, state: &BTreeMap<String, Record>) -> std::io::Result<()> {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(state).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.new");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

#[handler]
async fn add_checkpoint(body: String, witness: poem::web::Data<&Arc<Witness>>) -> Response {
    let request = match AddCheckpoint::parse(&body) {
        Ok(request) => request,
        Err(refusal) => return refused(&refusal),
    };
    let mut state = witness.state.lock().await;
    let checked = witness::check(&request, &witness.logs, |origin| {
        state.get(origin).and_then(|r| {
            Some(Cosigned {
                size: r.size,
                root: Hash::from_base64(&r.root)?,
            })
        })
    });
    let accepted = match checked {
        Ok(accepted) => accepted,
        Err(refusal) => return refused(&refusal),
    };
    let origin = accepted.checkpoint.origin.clone();
    let previous = state.insert(
        origin.clone(),
        Record {
            size: accepted.checkpoint.size,
            root: accepted.checkpoint.root.to_base64(),
        },
    );
    if let Err(error) = write_state(&witness.path, &state) {
        // Not kept, so not cosigned: put the record back as it was.
        match previous {
            Some(previous) => state.insert(origin, previous),
            None => state.remove(&origin),
        };
        tracing::error!(%error, "the witness state could not be written");
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .content_type("text/plain; charset=utf-8")
            .body("the witness could not record the checkpoint\n");
    }
    drop(state);
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    tracing::info!(
        log = origin,
        size = accepted.checkpoint.size,
        "cosigned a checkpoint"
    );
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/plain; charset=utf-8")
        .body(witness::cosign(&witness.key, &accepted, now))
}

fn refused(refusal: &Refusal) -> Response {
    tracing::warn!(status = refusal.status(), reason = %refusal, "refused to cosign");
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    match refusal {
        Refusal::WrongOld(size) => Response::builder()
            .status(status)
            .content_type("text/x.tlog.size")
            .body(format!("{size}\n")),
        _ => Response::builder()
            .status(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{refusal}\n")),
    }
}
