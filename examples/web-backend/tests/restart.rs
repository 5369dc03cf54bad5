//! The example end to end, over real HTTP on 127.0.0.1: the in-process plex.tv emulator,
//! instances of the app on ephemeral ports, one SQLite file between them.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use plex_pin::{ClientId, Config, LoginOptions, SavedPin, Token};
use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};
use plex_pin_web_backend::store::{
    Claimed, Ending, Lease, LoginId, LoginStatus, LoginStore, SqliteStore, StoreError,
};
use plex_pin_web_backend::{Instance, Settings};
use serde_json::Value;

/// Polls fast, and hands a crashed instance's logins over within a second.
fn settings() -> Settings {
    Settings::default()
        .login(LoginOptions::default().with_poll_interval(Duration::from_millis(100)))
        .lease(Duration::from_secs(1))
}

/// An instance over the store at `db`, signing in against `emulator`; `device` names it in
/// its requests' `X-Plex-Device-Name`, so that the emulator's log tells instances apart.
async fn start(
    db: &Path,
    emulator: &Emulator,
    device: &str,
    settings: Settings,
) -> Instance<SqliteStore> {
    let store = SqliteStore::open(db).expect("open the store");
    start_over(store, emulator, device, settings).await
}

/// [`start`] over any store.
async fn start_over<S: LoginStore>(
    store: S,
    emulator: &Emulator,
    device: &str,
    settings: Settings,
) -> Instance<S> {
    capture_logs();
    let client_id = store
        .client_id(&ClientId::generate())
        .await
        .expect("client id");
    let config = Config::builder("plex-pin web backend test", client_id)
        .server(emulator.url())
        .device_name(device)
        .build()
        .expect("config");
    let client = plex_pin_hyper::Client::new(config).expect("client");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    Instance::start(store, client, settings, listener)
        .await
        .expect("start the instance")
}

/// One request on a fresh connection (so that no kept-alive connection outlives an
/// instance): the status, the `Retry-After` header and the body.
async fn request<S: LoginStore>(
    instance: &Instance<S>,
    method: Method,
    path: &str,
    body: &[u8],
) -> (StatusCode, Option<String>, String) {
    static HTTP: OnceLock<Client<HttpConnector, Full<Bytes>>> = OnceLock::new();
    let http = HTTP.get_or_init(|| {
        Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build_http()
    });
    let request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", instance.addr()))
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("request");
    let response = http.request(request).await.expect("the app answers");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        retry_after,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `POST /login`, which must succeed: the login id and the approval URL.
async fn post_login<S: LoginStore>(instance: &Instance<S>) -> (LoginId, String) {
    let (status, _, body) = request(instance, Method::POST, "/login", b"").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let body = json(&body);
    let id = LoginId::parse(body["id"].as_str().expect("id")).expect("a login id");
    (id, body["url"].as_str().expect("url").to_owned())
}

/// `GET /login/{id}` until it is no longer pending (at most 20 s): its last answer.
async fn wait_until_settled<S: LoginStore>(instance: &Instance<S>, id: &LoginId) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _, body) = request(instance, Method::GET, &format!("/login/{id}"), b"").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let body = json(&body);
        if !matches!(body["status"].as_str(), Some("pending" | "creating")) {
            return body;
        }
        assert!(Instant::now() < deadline, "still {body} after 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The one live pin of an emulator that served one login.
fn only_pin(emulator: &Emulator) -> u64 {
    let pins = emulator.pin_ids();
    assert_eq!(pins.len(), 1, "one pin: {pins:?}");
    pins[0]
}

/// Everything the app logged in this test binary (every test's: the subscriber is global).
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| LogWriter)
            .init();
    });
}

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

/// The scenario: a login started on one instance, which then stops as a crash
/// would (its tasks dropped, its lease left to run out), is completed by the next instance
/// over the same SQLite file; the token stays on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_started_before_a_restart_completes_after_it() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logins.sqlite3");

    let first = start(&db, &emulator, "first", settings()).await;
    let (id, url) = post_login(&first).await;
    assert!(
        url.starts_with(&format!("{}/auth#?", emulator.url())),
        "{url}"
    );
    drop(first);
    // A request it had sent already may still land; nothing after that.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_at = emulator.stats().recent.last().map_or(0, |r| r.seq);

    let second = start(&db, &emulator, "second", settings()).await;
    let token = emulator.approve(only_pin(&emulator)).expect("a live pin");
    let status = wait_until_settled(&second, &id).await;
    assert_eq!(status["status"], "signed_in", "{status}");
    assert_eq!(status["displayName"], "Emulated User");
    assert!(status["accountId"].as_u64().is_some(), "{status}");

    // The second instance finished it: nothing of the first ran after it stopped.
    let stats = emulator.stats();
    let late: Vec<_> = stats
        .recent
        .iter()
        .filter(|r| r.seq > stopped_at && r.header("x-plex-device-name") != Some("second"))
        .map(|r| (&r.route, &r.path))
        .collect();
    assert!(
        late.is_empty(),
        "requests after the first instance stopped: {late:?}"
    );
    assert!(
        stats.on_route("user").count() == 1,
        "the account was read once"
    );

    // The token: kept by the store, in no answer and no log line.
    let kept = second.store().token(&id).await.unwrap().expect("a token");
    assert_eq!(kept.expose_secret(), token);
    assert!(!status.to_string().contains(&token));
    let logs = logs();
    assert!(logs.contains(&format!("login={id}")), "logs are captured");
    assert!(!logs.contains(&token), "the token was logged");
    second.shutdown().await.unwrap();
}

/// Two instances that start together over one store, after a clean stop of the instance
/// that created the logins, poll each login from one of them only; all complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_poll_the_same_login() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logins.sqlite3");
    // A lease long enough that no renewal of a busy machine comes late: no handover here.
    let settings = settings().lease(Duration::from_secs(5));

    let first = start(&db, &emulator, "first", settings.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(post_login(&first).await.0);
    }
    first.shutdown().await.unwrap();
    let polls_before = emulator.stats().count("check_pin");

    let (b, c) = tokio::join!(
        start(&db, &emulator, "b", settings.clone()),
        start(&db, &emulator, "c", settings.clone()),
    );
    // About ten polls of each login.
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let stats = emulator.stats();
    assert!(
        stats.count("check_pin") > polls_before + 6 * 5,
        "the logins are polled"
    );
    let mut pollers =
        std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for poll in stats.on_route("check_pin") {
        let device = poll.header("x-plex-device-name").unwrap_or_default();
        if device != "first" {
            pollers
                .entry(poll.path.clone())
                .or_default()
                .insert(device.to_owned());
        }
    }
    assert_eq!(pollers.len(), 6, "every login is resumed: {pollers:?}");
    for (pin, devices) in &pollers {
        assert_eq!(devices.len(), 1, "{pin} was polled by {devices:?}");
    }

    for pin in emulator.pin_ids() {
        emulator.approve(pin).expect("a live pin");
    }
    for id in &ids {
        let status = wait_until_settled(&b, id).await;
        assert_eq!(status["status"], "signed_in", "{status}");
    }
    drop((b, c));
}

/// A pin that runs out of time ends as expired; one the user denies, as denied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_denied_pins_end_as_such() {
    let dir = tempfile::tempdir().unwrap();

    let short = Emulator::start(Options::default().pin_lifetime(Duration::from_secs(2))).unwrap();
    let instance = start(&dir.path().join("expired.sqlite3"), &short, "a", settings()).await;
    let (id, _) = post_login(&instance).await;
    let status = wait_until_settled(&instance, &id).await;
    assert_eq!(status, serde_json::json!({"status": "expired"}));
    drop(instance);

    let emulator = Emulator::start(Options::default()).unwrap();
    let instance = start(
        &dir.path().join("denied.sqlite3"),
        &emulator,
        "a",
        settings(),
    )
    .await;
    let (id, _) = post_login(&instance).await;
    assert!(emulator.deny(only_pin(&emulator)));
    let status = wait_until_settled(&instance, &id).await;
    assert_eq!(status, serde_json::json!({"status": "denied"}));
}

/// plex.tv failing: a pin that cannot be created answers `POST /login` with 502 and why; a
/// poll answered with a redirect (never followed) fails the login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plex_failures_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(Options::default()).unwrap();
    let instance = start(
        &dir.path().join("logins.sqlite3"),
        &emulator,
        "a",
        settings(),
    )
    .await;

    emulator.inject(FaultRule::always(Fault::ServerError).on(Route::CreatePin));
    let (status, _, body) = request(&instance, Method::POST, "/login", b"").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let body = json(&body);
    assert_eq!(body["error"], "plex_failed");
    assert!(body["message"].as_str().unwrap().contains("500"), "{body}");
    emulator.clear_faults();

    emulator.inject(FaultRule::always(Fault::Redirect).on(Route::CheckPin));
    let (id, _) = post_login(&instance).await;
    let status = wait_until_settled(&instance, &id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert!(
        status["reason"].as_str().unwrap().contains("302"),
        "{status}"
    );
}

/// The bounds, each with a clear error: pending logins, request bodies, login ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounds_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(Options::default()).unwrap();
    let instance = start(
        &dir.path().join("logins.sqlite3"),
        &emulator,
        "a",
        settings().max_pending(2),
    )
    .await;

    post_login(&instance).await;
    post_login(&instance).await;
    let (status, retry_after, body) = request(&instance, Method::POST, "/login", b"").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(json(&body)["error"], "too_many_logins");
    assert_eq!(retry_after.as_deref(), Some("30"));
    assert_eq!(
        emulator.pin_ids().len(),
        2,
        "no pin was created past the bound"
    );

    // A finished login makes room.
    assert!(emulator.deny(emulator.pin_ids()[0]));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, _) = request(&instance, Method::POST, "/login", b"").await;
        if status == StatusCode::CREATED {
            break;
        }
        assert!(Instant::now() < deadline, "no room after a login ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let big = vec![b'x'; plex_pin_web_backend::MAX_BODY as usize + 1];
    let (status, _, body) = request(&instance, Method::POST, "/login", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(json(&body)["error"], "body_too_large");

    let (status, _, body) = request(&instance, Method::GET, "/login/not-an-id", b"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(json(&body)["error"], "bad_login_id");
    let unknown = LoginId::generate();
    let (status, _, body) =
        request(&instance, Method::GET, &format!("/login/{unknown}"), b"").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(json(&body)["error"], "unknown_login");
}

/// `POST /login` answers only once the pin is stored, however slow the store: here one
/// that takes 500 ms to store a pin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_login_answers_once_the_pin_is_stored() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inner = SqliteStore::open(dir.path().join("logins.sqlite3")).unwrap();
    let store = SlowPinStore(inner.clone());
    let instance = start_over(store, &emulator, "a", settings()).await;

    let (id, url) = post_login(&instance).await;
    match inner.status(&id).await.unwrap() {
        Some(LoginStatus::Pending {
            url: stored,
            expires_at,
        }) => {
            assert_eq!(stored, url);
            assert!(expires_at > 0);
        }
        other => panic!("answered before the pin was stored: {other:?}"),
    }
}

/// A store that takes 500 ms to store a pin: any other store can stand in for SQLite.
struct SlowPinStore(SqliteStore);

impl LoginStore for SlowPinStore {
    async fn client_id(&self, candidate: &ClientId) -> Result<ClientId, StoreError> {
        self.0.client_id(candidate).await
    }
    async fn reserve(&self, id: &LoginId, lease: &Lease, max: usize) -> Result<bool, StoreError> {
        self.0.reserve(id, lease, max).await
    }
    async fn pin_ready(
        &self,
        id: &LoginId,
        lease: &Lease,
        saved: &SavedPin,
        url: &str,
    ) -> Result<bool, StoreError> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.0.pin_ready(id, lease, saved, url).await
    }
    async fn claim(&self, lease: &Lease, limit: usize) -> Result<Vec<Claimed>, StoreError> {
        self.0.claim(lease, limit).await
    }
    async fn renew(&self, id: &LoginId, lease: &Lease) -> Result<bool, StoreError> {
        self.0.renew(id, lease).await
    }
    async fn finish(
        &self,
        id: &LoginId,
        lease: &Lease,
        ending: &Ending,
    ) -> Result<bool, StoreError> {
        self.0.finish(id, lease, ending).await
    }
    async fn release(&self, lease: &Lease) -> Result<usize, StoreError> {
        self.0.release(lease).await
    }
    async fn status(&self, id: &LoginId) -> Result<Option<LoginStatus>, StoreError> {
        self.0.status(id).await
    }
    async fn token(&self, id: &LoginId) -> Result<Option<Token>, StoreError> {
        self.0.token(id).await
    }
    async fn housekeeping(&self, keep: Duration) -> Result<usize, StoreError> {
        self.0.housekeeping(keep).await
    }
}
