//! `TestApp::spawn()`: the real service on `127.0.0.1:0` with its own
//! temporary SQLite database and blob directory, and a real HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;

use rectrack_api::app::{AppState, bind, serve_with};
use rectrack_core::organisation::{OrganisationDraft, OrganisationKind};
use rectrack_core::role::{Principal, Role};
use rectrack_store::tokens::TokenDraft;
use rectrack_store::{BlobStore, Ctx, Store, SystemClock, db};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// An assignment made for a test, and a recipient token of the MPS.
pub struct Fixture {
    /// The MPS's assignment's id.
    pub assignment: String,
    /// A recipient token of the MPS.
    pub mps: String,
}

/// The test log's signing key.
pub fn log_key() -> rectrack_core::tlog::note::SignerKey {
    rectrack_core::tlog::note::SignerKey::from_seed(
        "rectrack.test/iopc",
        rectrack_core::tlog::note::KeyType::Ed25519,
        [11; 32],
    )
    .unwrap()
}

/// A running service.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub store: Store,
    /// A token of the IOPC's overseer.
    pub overseer: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// A public service with the IOPC and an overseer token.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A service whose state `configure` may change (e.g. `private`).
    pub async fn spawn_with(configure: impl FnOnce(&mut AppState)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/rectrack.db?mode=rwc", dir.path().display());
        let connection = db::connect(&url).await.unwrap();
        db::migrate(&connection).await.unwrap();
        let blobs = BlobStore::local(&dir.path().join("blobs")).unwrap();
        let store = Store::new(connection, blobs, Arc::new(SystemClock));
        organisation(
            &store,
            "iopc",
            "Independent Office for Police Conduct",
            OrganisationKind::OversightBody,
        )
        .await;
        let overseer = token(&store, "iopc", Role::Overseer).await;
        let mut state = AppState::new(store.clone());
        configure(&mut state);
        let (acceptor, addr) = bind("127.0.0.1:0").await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            serve_with(acceptor, state, rectrack_web::site, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            client: reqwest::Client::new(),
            store,
            overseer,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    /// Signs a checkpoint of the log as it stands, as the server's signer
    /// would, with [`log_key`].
    pub async fn sign_checkpoint(&self) -> rectrack_store::transparency::SignedCheckpoint {
        self.store
            .sign_checkpoint(&log_key(), chrono::Duration::zero())
            .await
            .unwrap()
            .unwrap()
    }

    /// Adds the Metropolitan Police Service, the recipient most tests act as.
    pub async fn add_mps(&self) {
        organisation(
            &self.store,
            "mps",
            "Metropolitan Police Service",
            OrganisationKind::PoliceForce,
        )
        .await;
    }

    /// The MPS, a report `op-test` and its recommendation 1 to the MPS,
    /// issued on 1 February 2022 and due on 31 December 2099 (so nothing
    /// about it is ever overdue).
    /// Answers the MPS assignment, awaiting its response at version 1.
    pub async fn open_assignment(&self) -> Fixture {
        self.add_mps().await;
        let mps = token(&self.store, "mps", Role::Recipient).await;
        let report = json!({"slug": "op-test", "title": "Test report", "issued_by": "iopc", "published_on": "2099-01-01"});
        let created = self
            .post("/v1/reports", Some(&self.overseer), &report)
            .await;
        assert_eq!(created.status(), 201);
        let recommendation = json!({"number": 1, "title": "Publish a plan", "body": "Publish a plan.", "themes": ["culture"], "recipients": ["mps"], "issued_on": "2022-02-01", "response_due_on": "2099-12-31"});
        let created = self
            .post(
                "/v1/reports/op-test/recommendations",
                Some(&self.overseer),
                &recommendation,
            )
            .await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        Fixture {
            assignment: created["assignments"][0]["id"].as_str().unwrap().to_owned(),
            mps,
        }
    }

    /// Adds recommendation `number` of `op-test` (made by
    /// [`TestApp::open_assignment`]) to the MPS, its response due on `due`;
    /// answers its MPS assignment's id.
    pub async fn add_recommendation(&self, number: u32, title: &str, due: &str) -> String {
        let body = json!({"number": number, "title": title, "body": "Act.", "recipients": ["mps"], "issued_on": "2022-02-01", "response_due_on": due});
        let created = self
            .post(
                "/v1/reports/op-test/recommendations",
                Some(&self.overseer),
                &body,
            )
            .await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        created["assignments"][0]["id"].as_str().unwrap().to_owned()
    }

    /// `POST`s `body` to `path` of assignment `id` (`claim`, `reviews`)
    /// with `If-Match` at its current version; answers the status.
    pub async fn post_current(&self, id: &str, path: &str, token: &str, body: &Value) -> u16 {
        let current: Value = self
            .get(&format!("/v1/assignments/{id}"), None)
            .await
            .json()
            .await
            .unwrap();
        self.request(
            Method::POST,
            &format!("/v1/assignments/{id}/{path}"),
            Some(token),
        )
        .header("If-Match", format!("\"{}\"", current["version"]))
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
    }

    /// As [`TestApp::open_assignment`], accepted by the MPS: version 2.
    pub async fn accepted_assignment(&self) -> Fixture {
        let fixture = self.open_assignment().await;
        let accepted = self
            .request(
                Method::PUT,
                &format!("/v1/assignments/{}/response", fixture.assignment),
                Some(&fixture.mps),
            )
            .header("If-Match", "\"1\"")
            .json(&json!({"decision": "accepted", "rationale": "We accept it.", "planned_completion_on": "2099-12-31"}))
            .send()
            .await
            .unwrap();
        assert_eq!(accepted.status(), 200);
        fixture
    }

    /// The directory holding its database and blobs.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The address of `path` on this service.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request, with a bearer token if given.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The audit chain's length, as `/v1/audit/verify` reports it (asserting it is valid).
    pub async fn chain_length(&self) -> u64 {
        let verdict: Value = self
            .get("/v1/audit/verify", None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verdict["valid"], true, "{verdict}");
        verdict["length"].as_u64().unwrap()
    }

    /// Stops the server, letting requests in flight finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }
}

/// Creates an organisation at the console.
pub async fn organisation(store: &Store, code: &str, name: &str, kind: OrganisationKind) {
    let draft = OrganisationDraft {
        code: code.into(),
        name: name.into(),
        kind,
    };
    store
        .create_organisation(&Ctx::new(&Principal::Console), &draft)
        .await
        .unwrap();
}

/// Creates a token at the console and returns its secret.
pub async fn token(store: &Store, organisation: &str, role: Role) -> String {
    let draft = TokenDraft {
        organisation: organisation.into(),
        role,
        label: None,
    };
    store
        .create_token(&Ctx::new(&Principal::Console), &draft)
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .secret
}

/// Asserts `response` is a problem document with `status`, and returns it.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "unexpected status for {}",
        response.url()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/problem+json"),
        "not a problem document: {body}"
    );
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], status, "{problem}");
    assert!(
        problem["type"].is_string()
            && problem["title"].is_string()
            && problem["detail"].is_string(),
        "{problem}"
    );
    problem
}
