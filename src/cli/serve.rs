//! `rectrack serve`: migrates, optionally loads the demo, and serves the API
//! until SIGTERM or Ctrl-C, then lets requests in flight finish.
//!
//! With `--demo`, the Operation Hotton data set is loaded (idempotently) and
//! an overseer token and an MPS recipient token are printed, each on its own
//! line. Their secrets are kept in the `--demo-tokens` file (mode 0600) so a
//! second start prints the same tokens and adds nothing.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use rectrack_api::app::{AppState, JSON_LIMIT, UPLOAD_LIMIT, bind, serve_with};
use rectrack_api::connection::{self, ConnectionLimits};
use rectrack_core::role::{Principal, Role};
use rectrack_core::tlog::note::SignerKey;
use rectrack_store::tokens::TokenDraft;
use rectrack_store::{Ctx, Store};
use tracing_subscriber::EnvFilter;

use super::{Error, open, seed};

/// Flags of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "RECTRACK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Load the Operation Hotton data set and print demo tokens.
    #[arg(long, env = "RECTRACK_DEMO")]
    pub demo: bool,
    /// Where `--demo` keeps its tokens' secrets between starts.
    #[arg(
        long,
        env = "RECTRACK_DEMO_TOKENS",
        default_value = "rectrack-demo-tokens.json"
    )]
    pub demo_tokens: PathBuf,
    /// Where people reach the service (scheme, host and port), when not at
    /// the address it listens on: behind a proxy, say. Invitation links
    /// start with it, and the workspace's forms are accepted only from it.
    #[arg(long, env = "RECTRACK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The address of a proxy in front of the service (repeat, or separate
    /// with commas): a request from one is taken to come from the address
    /// its `X-Forwarded-For` names, so that sign-in is throttled per client,
    /// not per proxy. Without it, that header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "RECTRACK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Make every /v1 read need a token.
    #[arg(long, env = "RECTRACK_PRIVATE")]
    pub private: bool,
    /// Largest JSON body, in bytes.
    #[arg(long, env = "RECTRACK_JSON_LIMIT", default_value_t = JSON_LIMIT)]
    pub json_limit: u64,
    /// Largest evidence upload, in bytes.
    #[arg(long, env = "RECTRACK_UPLOAD_LIMIT", default_value_t = UPLOAD_LIMIT)]
    pub upload_limit: u64,
    /// Seconds a client has to send a request's head.
    #[arg(long, env = "RECTRACK_HEADER_READ_TIMEOUT", default_value_t = connection::HEADER_READ.as_secs())]
    pub header_read_timeout: u64,
    /// Seconds a client has to send each 64 KiB of a request body.
    #[arg(long, env = "RECTRACK_BODY_READ_TIMEOUT", default_value_t = connection::BODY_READ.as_secs())]
    pub body_read_timeout: u64,
    /// Seconds a connection may sit idle (no new request, or a response the
    /// client does not read) before it is closed.
    #[arg(long, env = "RECTRACK_IDLE_TIMEOUT", default_value_t = connection::IDLE.as_secs())]
    pub idle_timeout: u64,
    /// Most connections open at once (more wait to be accepted); by
    /// default 1024, or fewer if the open-file limit would not allow it.
    #[arg(long, env = "RECTRACK_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// How logs are written to standard error: `text` for people, `json` for
    /// collectors; `auto` is text on a terminal and JSON otherwise.
    #[arg(long, env = "RECTRACK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
    /// Where the transparency log's signing key is. Without one, the
    /// server signs no checkpoints (`--demo` creates one).
    #[command(flatten)]
    pub key: super::log::KeyArgs,
    /// Seconds at least between two checkpoints (a new one is signed only
    /// when the log has grown).
    #[arg(long, env = "RECTRACK_CHECKPOINT_INTERVAL", default_value_t = 60)]
    pub checkpoint_interval: u64,
    /// A witness to send each new checkpoint to, as `KEY URL`: its verifier
    /// key (as `rectrack witness key` prints it) and its address; repeat,
    /// or separate with commas.
    #[arg(long = "witness", env = "RECTRACK_WITNESSES", value_delimiter = ',')]
    pub witnesses: Vec<String>,
    /// How many witnesses' cosignatures a checkpoint needs to count as
    /// witnessed (all of them by default). One published with fewer says so.
    #[arg(long, env = "RECTRACK_WITNESS_QUORUM")]
    pub witness_quorum: Option<usize>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// Starts logging to standard error. `RECTRACK_LOG` sets the filter (e.g.
/// `debug`, `info,rectrack=debug`). Without it, everything at `info` and up
/// is logged, except that text logs leave out each migration applied:
/// someone at a terminal wants the address and the tokens, not seven lines
/// about the schema.
pub(super) fn start_logging(format: LogFormat) {
    let terminal = std::io::stderr().is_terminal();
    let text = match format {
        LogFormat::Auto => terminal,
        LogFormat::Text => true,
        LogFormat::Json => false,
    };
    let filter = EnvFilter::try_from_env("RECTRACK_LOG").unwrap_or_else(|_| {
        EnvFilter::new(if text {
            "info,sea_orm_migration=warn"
        } else {
            "info"
        })
    });
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .with_env_filter(filter);
    if text {
        logs.compact().with_target(false).init();
    } else {
        logs.json().init();
    }
}

/// Runs `serve`.
pub async fn run(database: &str, blobs: &Path, args: Args) -> Result<ExitCode, Error> {
    start_logging(args.log_format);
    let store = open(database, blobs).await?;
    let tokens = if args.demo {
        let added = seed::hotton(&store).await?;
        if added > 0 {
            tracing::info!(records = added, "loaded the Operation Hotton data set");
        }
        Some(demo_tokens(&store, &args.demo_tokens).await?)
    } else {
        None
    };
    let people = if args.demo {
        Some(demo_people(&store, &args.demo_tokens).await?)
    } else {
        None
    };
    let witnesses = args
        .witnesses
        .iter()
        .map(|w| {
            super::cosign::Witness::parse(w).map_err(|e| Error::Message(format!("--witness: {e}")))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let quorum = args.witness_quorum.unwrap_or(witnesses.len());
    if quorum > witnesses.len() {
        return Err(Error::Message(format!(
            "--witness-quorum {quorum} is more than the {} witnesses given",
            witnesses.len()
        )));
    }
    let signer = if args.demo {
        Some(args.key.load_or_create("rectrack.demo/iopc")?.0)
    } else {
        args.key.load()?
    };
    match &signer {
        Some(key) => {
            tracing::info!(verifier_key = %key.verifier(), "the transparency log is signed");
            if key.verifier().kind() != rectrack_core::tlog::note::KeyType::Ed25519 {
                return Err(Error::Message(
                    "the log key is not a log's (Ed25519) key".to_owned(),
                ));
            }
            tokio::spawn(sign_checkpoints(
                store.clone(),
                key.clone(),
                Duration::from_secs(args.checkpoint_interval),
                witnesses.clone(),
            ));
        }
        None => tracing::warn!(
            key_file = %args.key.log_key_file.display(),
            "no transparency log key: no checkpoint is signed (`rectrack log init --origin …` creates one)"
        ),
    }
    let (acceptor, addr) = bind(&args.bind).await?;
    // Listening for the stop before the address is printed: a supervisor
    // that stops the server as soon as it is up still stops it gracefully.
    let shutdown = shutdown_signal()?;
    // Written at once, and a reader that has gone (`serve --demo | head`)
    // does not stop the server: `println!` would panic on the closed pipe.
    let mut said = String::new();
    let mut say = |line: String| {
        said.push_str(&line);
        said.push('\n');
    };
    say(format!("rectrack is serving on http://{addr}"));
    if !args.private {
        say(format!("The public record: http://{addr}/"));
    }
    say(format!("API documentation: http://{addr}/docs"));
    if let Some(key) = &signer {
        say(format!(
            "The transparency log: http://{addr}/v1/log/checkpoint"
        ));
        say(format!("  verifier key: {}", key.verifier()));
    }
    if let Some((overseer, mps)) = tokens {
        say("Overseer token (IOPC):".to_owned());
        say(overseer);
        say("Recipient token (MPS):".to_owned());
        say(mps);
    }
    if let Some(people) = &people {
        say(format!("The workspace: http://{addr}/workspace/sign-in"));
        for person in people {
            say(format!("Demo sign-in, {}:", person.label));
            say(format!("  email: {}", person.email));
            say(format!("  password: {}", person.password));
            if let Some(secret) = &person.totp_secret {
                say(format!("  authenticator secret (TOTP): {secret}"));
            }
        }
    }
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if stdout
            .write_all(said.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            tracing::warn!("the address and demo sign-ins could not be printed");
        }
    }
    let state = AppState {
        private: args.private,
        json_limit: args.json_limit,
        upload_limit: args.upload_limit,
        connections: ConnectionLimits {
            header_read: Duration::from_secs(args.header_read_timeout),
            body_read: Duration::from_secs(args.body_read_timeout),
            idle: Duration::from_secs(args.idle_timeout),
            max_connections: args.max_connections.unwrap_or_else(default_max_connections),
        },
        public_url: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
        trusted_proxies: args.trusted_proxies.clone(),
        witness_quorum: quorum,
        ..AppState::new(store)
    };
    serve_with(acceptor, state, rectrack_web::site, shutdown).await?;
    tracing::info!("rectrack stopped");
    Ok(ExitCode::SUCCESS)
}

/// Signs a checkpoint whenever the log has grown, at most once per
/// `interval`, for as long as the server runs. Servers sharing a database
/// each run this; the store lets one sign at a time. A failure is logged
/// and tried again at the next turn: writes never wait on the log.
async fn sign_checkpoints(
    store: Store,
    key: SignerKey,
    interval: Duration,
    witnesses: Vec<super::cosign::Witness>,
) {
    let client = super::cosign::client();
    let wanted = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
    // Looked at often enough that a checkpoint follows the interval closely.
    let mut ticks =
        tokio::time::interval(interval.clamp(Duration::from_millis(200), Duration::from_secs(5)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match store.sign_checkpoint(&key, wanted).await {
            Ok(Ok(signed)) => tracing::info!(
                size = signed.checkpoint.size,
                root = %signed.checkpoint.root,
                "signed a checkpoint"
            ),
            Ok(Err(_)) => {}
            Err(error) => tracing::error!(%error, "the log could not sign a checkpoint"),
        }
        if !witnesses.is_empty() {
            super::cosign::collect(&store, &client, &witnesses).await;
        }
    }
}

/// The default cap on connections: 1024, or what the open-file limit leaves
/// after 64 files for the database, blobs and logs.
fn default_max_connections() -> usize {
    use nix::sys::resource::{Resource, getrlimit};
    let files = getrlimit(Resource::RLIMIT_NOFILE).map_or(u64::MAX, |(soft, _)| soft);
    let room = usize::try_from(files.saturating_sub(64).max(16)).unwrap_or(usize::MAX);
    room.min(connection::MAX_CONNECTIONS)
}

/// The demo's overseer and MPS tokens: those kept in `path` if they still
/// work, else new ones (kept there for the next start).
async fn demo_tokens(store: &Store, path: &Path) -> Result<(String, String), Error> {
    if let Ok(text) = std::fs::read_to_string(path)
        && let Ok(kept) = serde_json::from_str::<serde_json::Value>(&text)
        && let (Some(overseer), Some(mps)) = (kept["overseer"].as_str(), kept["mps"].as_str())
        && store.authenticate(overseer).await?.is_some()
        && store.authenticate(mps).await?.is_some()
    {
        return Ok((overseer.to_owned(), mps.to_owned()));
    }
    let console = Principal::Console;
    let make = async |organisation: &str, role: Role| -> Result<String, Error> {
        let draft = TokenDraft {
            organisation: organisation.to_owned(),
            role,
            label: Some("demo".to_owned()),
        };
        store
            .create_token(&Ctx::new(&console), &draft)
            .await?
            .fresh()
            .map(|created| created.secret)
            .ok_or_else(|| Error::Message("no token was created".to_owned()))
    };
    let overseer = make("iopc", Role::Overseer).await?;
    let mps = make("mps", Role::Recipient).await?;
    write_private(
        path,
        &serde_json::json!({"overseer": overseer, "mps": mps}).to_string(),
    )?;
    Ok((overseer, mps))
}

/// A demo person's sign-in, as printed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct DemoPerson {
    label: String,
    email: String,
    password: String,
    totp_secret: Option<String>,
}

/// The demo's two caseworkers, an IOPC overseer (with a second factor, as
/// overseers must have) and an MPS recipient: those kept beside the demo
/// tokens if their accounts exist, else new accounts with random passwords
/// (kept there for the next start). Their making is audited as any
/// account's is: invited, activated, second factor set up.
async fn demo_people(store: &Store, tokens: &Path) -> Result<Vec<DemoPerson>, Error> {
    let path = tokens.with_extension("people.json");
    let console = Principal::Console;
    let existing = store
        .people(&console, &rectrack_store::page::PageRequest::first(500))
        .await?
        .items;
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(kept) = serde_json::from_str::<Vec<DemoPerson>>(&text)
        && kept.iter().all(|p| {
            existing
                .iter()
                .any(|e| e.email.key() == p.email.to_lowercase())
        })
    {
        return Ok(kept);
    }
    let wanted = [
        (
            "iopc",
            Role::Overseer,
            "caseworker@iopc.example",
            "Demo IOPC caseworker",
            "IOPC caseworker (overseer)",
        ),
        (
            "mps",
            Role::Recipient,
            "caseworker@met.example",
            "Demo MPS caseworker",
            "MPS caseworker (recipient)",
        ),
    ];
    let mut people = Vec::new();
    for (organisation, role, email, name, label) in wanted {
        if existing.iter().any(|e| e.email.key() == email) {
            tracing::warn!(
                email,
                "a demo account exists but its password was not kept; it is not printed"
            );
            continue;
        }
        let invitation = store
            .invite_person(
                &Ctx::new(&console),
                &rectrack_store::people::PersonDraft {
                    organisation: organisation.to_owned(),
                    role,
                    email: email.to_owned(),
                    name: name.to_owned(),
                },
            )
            .await?
            .fresh()
            .ok_or_else(|| Error::Message("no demo person was invited".to_owned()))?;
        let password = random_words()?;
        let signed = store
            .accept_invitation(&invitation.secret, &password)
            .await?;
        let mut totp_secret = None;
        if signed.session.stage == rectrack_store::people::Stage::Enrol {
            let setup = store.begin_two_factor(&signed.session.person, None)?;
            let code = totp_now(&setup.secret)?;
            store
                .enable_two_factor(&signed.session, &setup.secret, &code)
                .await?;
            totp_secret = Some(setup.secret);
        }
        store.sign_out(&signed.secret).await?;
        people.push(DemoPerson {
            label: label.to_owned(),
            email: email.to_owned(),
            password,
            totp_secret,
        });
    }
    write_private(&path, &serde_json::to_string(&people).unwrap_or_default())?;
    Ok(people)
}

/// A random password for a demo account: 16 base64url characters.
fn random_words() -> Result<String, Error> {
    use base64::Engine as _;
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| Error::Message(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The TOTP code of `secret` (base32) now, as an authenticator app shows it.
fn totp_now(secret: &str) -> Result<String, Error> {
    let bytes = totp_rs::Secret::try_from_base32(secret)
        .map_err(|e| Error::Message(format!("a demo secret: {e}")))?;
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.as_ref().to_vec())
        .with_account_name("demo")
        .build()
        .map_err(|e| Error::Message(format!("a demo secret: {e}")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| Error::Message(format!("the clock: {e}")))?;
    Ok(totp.generate(now.as_secs()).to_string())
}

/// Writes `text` to `path`, readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Starts listening for Ctrl-C and SIGTERM; the future resolves on either.
pub(super) fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let stopped = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
        }
    };
    #[cfg(not(unix))]
    let stopped = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Ok(async {
        stopped.await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}
