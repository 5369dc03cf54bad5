//! The conformance suite: the same scenarios, written once, run against every transport.
//!
//! A transport joins by implementing [`Transport`] (a blocking adapter is fine: an async
//! transport runs each call on its own runtime) and invoking [`conformance!`] in a test
//! file. Every scenario starts its own emulator on 127.0.0.1, drives a real login or call
//! through the transport, and checks the typed outcome, the time it took and what the
//! emulator saw on the wire.

#![deny(missing_docs)]

pub mod alloc;
pub mod hostile;

/// The README's examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../../README.md")]
pub mod readme {}
/// The core crate's README, compiled the same way.
#[doc = include_str!("../../core/README.md")]
pub mod core_readme {}
/// The blocking transport's README.
#[doc = include_str!("../../transport-ureq/README.md")]
pub mod ureq_readme {}
/// The async transport's README.
#[doc = include_str!("../../transport-hyper/README.md")]
pub mod hyper_readme {}
pub mod hyper;
pub mod ureq;

use std::sync::Arc;
use std::time::{Duration, Instant};

use plex_pin::jwt::{verify_jwt, DeviceClaims, DeviceKey, Jwk, PlexClaims};
use plex_pin::{
    request, response, ClientId, Config, Error, ExpiredBy, LoginOptions, Pin, PinOptions, Token,
    User,
};
use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};

/// How a transport call failed, in terms every transport can map to.
#[derive(Debug)]
pub enum Failure {
    /// plex.tv answered; the core's error.
    Plex(Error),
    /// The body was over the cap.
    BodyTooLarge,
    /// The call timed out.
    Timeout,
    /// The server could not be reached or closed the connection.
    Connect(String),
    /// Anything else, described.
    Other(String),
}

/// A transport under test. Calls block; `timeout` is the per-request timeout.
pub trait Transport: Sized {
    /// Shown in failure messages.
    const NAME: &'static str;
    /// A client for `config` with this per-request timeout.
    fn new(config: Config, timeout: Duration) -> Self;
    /// `create_pin` of the transport.
    fn create_pin(&self, options: &PinOptions) -> Result<Pin, Failure>;
    /// `check_pin` of the transport.
    fn check_pin(&self, id: u64) -> Result<Pin, Failure>;
    /// `user` of the transport.
    fn user(&self, token: &Token) -> Result<User, Failure>;
    /// `login` of the transport; `on_pin` sees the pin once.
    fn login(
        &self,
        options: LoginOptions,
        on_pin: Box<dyn FnMut(&Pin) + Send>,
    ) -> Result<Token, Failure>;
    /// `login_jwt` of the transport.
    fn login_jwt(
        &self,
        options: LoginOptions,
        key: &DeviceKey,
        on_pin: Box<dyn FnMut(&Pin) + Send>,
    ) -> Result<Token, Failure>;
    /// `refresh` of the transport.
    fn refresh(&self, key: &DeviceKey) -> Result<Token, Failure>;
    /// `register_key` of the transport.
    fn register_key(&self, token: &Token, key: &DeviceKey) -> Result<(), Failure>;
    /// `plex_keys` of the transport.
    fn plex_keys(&self) -> Result<Vec<Jwk>, Failure>;
    /// `link_pin` of the transport.
    fn link_pin(&self, token: &Token, code: &str) -> Result<(), Failure>;
    /// Sends one raw request (to craft forged or replayed ones).
    fn send(
        &self,
        request: plex_pin::Request,
    ) -> Result<plex_pin::http::Response<Vec<u8>>, Failure>;
}

/// The configuration every scenario uses, pointed at `emulator`.
pub fn config_for(emulator: &Emulator, client_id: &str) -> Config {
    Config::builder("plex-pin conformance", ClientId::new(client_id).unwrap())
        .version("1.0")
        .device_name("Test Rig")
        .base_url(emulator.url())
        .build()
        .unwrap()
}

/// Fast options: 50 ms polls, 3 failures in a row, 20 s overall.
pub fn fast_options() -> LoginOptions {
    LoginOptions::default()
        .with_poll_interval(Duration::from_millis(50))
        .with_max_consecutive_failures(3)
        .with_timeout(Duration::from_secs(20))
}

fn client<T: Transport>(emulator: &Emulator) -> T {
    T::new(
        config_for(emulator, "conformance-client"),
        Duration::from_secs(2),
    )
}

fn approve_when_shown(emulator: &Arc<Emulator>) -> Box<dyn FnMut(&Pin) + Send> {
    let emulator = Arc::clone(emulator);
    Box::new(move |pin: &Pin| {
        assert!(emulator.approve(pin.id).is_some(), "pin {} is live", pin.id);
    })
}

fn ignore_pin() -> Box<dyn FnMut(&Pin) + Send> {
    Box::new(|_| {})
}

fn expect_plex<T>(result: Result<T, Failure>) -> Error {
    match result {
        Err(Failure::Plex(e)) => e,
        Err(other) => panic!("expected a plex.tv error, got {other:?}"),
        Ok(_) => panic!("expected a plex.tv error, got success"),
    }
}

/// Full login, approved by the user after the pin is shown; the token then checks valid,
/// and the emulator saw the identity headers and a polite poll interval.
pub fn login_approved<T: Transport>() {
    let emulator = Arc::new(Emulator::start(Options::default()).unwrap());
    let client: T = client(&emulator);
    let options = fast_options().with_poll_interval(Duration::from_millis(100));
    let token = client
        .login(options, approve_when_shown(&emulator))
        .unwrap_or_else(|e| panic!("{}: {e:?}", T::NAME));
    let user = client.user(&token).unwrap();
    assert_eq!(user.username.as_deref(), Some("emulated-user"));

    let stats = emulator.stats();
    assert_eq!(stats.count("create_pin"), 1);
    assert!(stats.count("check_pin") >= 1);
    for seen in stats.recent.iter().filter(|r| r.route != "preflight") {
        assert_eq!(
            seen.header("x-plex-client-identifier"),
            Some("conformance-client")
        );
        assert_eq!(seen.header("x-plex-product"), Some("plex-pin conformance"));
        assert_eq!(seen.header("x-plex-device-name"), Some("Test Rig"));
        assert!(seen
            .header("accept")
            .unwrap_or("")
            .contains("application/json"));
    }
    let creates: Vec<_> = stats.on_route("create_pin").collect();
    assert!(creates[0].path.ends_with("?strong=true"));
    let polls: Vec<Duration> = stats.on_route("check_pin").map(|r| r.at).collect();
    for pair in polls.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(90),
            "polls too close: {polls:?}"
        );
    }
    let user_call = stats.on_route("user").next().unwrap();
    assert_eq!(user_call.header("x-plex-token"), Some("***"));
}

/// A 4-character link pin, approved the same way.
pub fn login_link_code<T: Transport>() {
    let emulator = Arc::new(Emulator::start(Options::default()).unwrap());
    let client: T = client(&emulator);
    let seen_code = Arc::new(std::sync::Mutex::new(String::new()));
    let (em, code) = (Arc::clone(&emulator), Arc::clone(&seen_code));
    let token = client
        .login(
            fast_options().with_pin(PinOptions::link()),
            Box::new(move |pin| {
                *code.lock().unwrap() = pin.code.clone();
                em.approve_code(&pin.code).unwrap();
            }),
        )
        .unwrap();
    assert!(!token.expose_secret().is_empty());
    let code = seen_code.lock().unwrap().clone();
    assert_eq!(code.len(), 4);
    assert_eq!(code, code.to_uppercase());
}

/// The user denies: the pin disappears and the login ends with a server-side expiry.
pub fn login_denied<T: Transport>() {
    let emulator = Arc::new(Emulator::start(Options::default()).unwrap());
    let client: T = client(&emulator);
    let em = Arc::clone(&emulator);
    let err = expect_plex(client.login(
        fast_options(),
        Box::new(move |pin| assert!(em.deny(pin.id))),
    ));
    assert_eq!(
        err,
        Error::PinExpired {
            by: ExpiredBy::Server
        }
    );
}

/// Nobody approves a pin that lives 1 s: the login ends as expired within a few seconds.
pub fn login_expired<T: Transport>() {
    let emulator =
        Emulator::start(Options::default().pin_lifetime(Duration::from_secs(1))).unwrap();
    let client: T = client(&emulator);
    let started = Instant::now();
    let err = expect_plex(client.login(fast_options(), ignore_pin()));
    assert!(matches!(err, Error::PinExpired { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// The caller's deadline passes first.
pub fn login_caller_timeout<T: Transport>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let client: T = client(&emulator);
    let started = Instant::now();
    let options = fast_options().with_timeout(Duration::from_millis(600));
    assert_eq!(
        expect_plex(client.login(options, ignore_pin())),
        Error::TimedOut
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// Polling with another client identifier than the creator's looks like an expired pin.
pub fn client_identifier_mismatch<T: Transport>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let creator: T = T::new(config_for(&emulator, "device-a"), Duration::from_secs(2));
    let other: T = T::new(config_for(&emulator, "device-b"), Duration::from_secs(2));
    let pin = creator.create_pin(&PinOptions::strong()).unwrap();
    assert_eq!(pin.code.len(), 25);
    assert_eq!(pin.client_identifier, "device-a");
    assert!(creator.check_pin(pin.id).unwrap().auth_token.is_none());
    let err = expect_plex(other.check_pin(pin.id));
    assert_eq!(
        err,
        Error::PinExpired {
            by: ExpiredBy::Server
        }
    );
}

/// Token checks: an issued token is valid, an unknown one is 401, a revoked one 422 XML.
pub fn token_check<T: Transport>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let client: T = client(&emulator);
    let token = Token::new(emulator.issue_token()).unwrap();
    assert_eq!(client.user(&token).unwrap().id, 4_242_424);
    let unknown = Token::new("not-a-real-token").unwrap();
    assert!(matches!(
        expect_plex(client.user(&unknown)),
        Error::Unauthorized { status } if status == 401
    ));
    emulator.revoke(token.expose_secret());
    assert!(matches!(
        expect_plex(client.user(&token)),
        Error::Unauthorized { status } if status == 422
    ));
}

/// Runs a login against an emulator that auto-approves after 200 ms and injects `rule`.
fn login_with_fault<T: Transport>(
    rule: FaultRule,
    timeout: Duration,
) -> (Result<Token, Failure>, Duration, Emulator) {
    let emulator = Emulator::start(
        Options::default()
            .auto_approve(Duration::from_millis(200))
            .fault(rule),
    )
    .unwrap();
    let client = T::new(config_for(&emulator, "conformance-client"), timeout);
    let started = Instant::now();
    let result = client.login(fast_options(), ignore_pin());
    (result, started.elapsed(), emulator)
}

fn on_polls(fault: Fault) -> FaultRule {
    FaultRule::always(fault).on(Route::CheckPin)
}

/// 429 with `Retry-After: 1`, twice, then normal: the login succeeds and waited as told.
pub fn rate_limited_with_retry_after_recovers<T: Transport>() {
    let rule = on_polls(Fault::RateLimited {
        retry_after: Some(1),
    })
    .times(2);
    let (result, took, emulator) = login_with_fault::<T>(rule, Duration::from_secs(2));
    assert!(result.is_ok(), "{result:?}");
    assert!(
        took >= Duration::from_secs(2),
        "Retry-After honoured twice: {took:?}"
    );
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert!(emulator.stats().count("check_pin") >= 3);
}

/// 429 without `Retry-After`, forever: backoff, then `RateLimited` after 3 in a row.
pub fn rate_limited_forever_gives_up<T: Transport>() {
    let (result, took, emulator) = login_with_fault::<T>(
        on_polls(Fault::RateLimited { retry_after: None }),
        Duration::from_secs(2),
    );
    assert_eq!(
        expect_plex(result),
        Error::RateLimited { retry_after: None }
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(emulator.stats().count("check_pin"), 3);
}

/// 500, forever.
pub fn server_error_gives_up<T: Transport>() {
    let (result, took, _e) =
        login_with_fault::<T>(on_polls(Fault::ServerError), Duration::from_secs(2));
    assert!(matches!(expect_plex(result), Error::UnexpectedStatus { status, .. } if status == 500));
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// 502 with an HTML page, forever.
pub fn bad_gateway_html_gives_up<T: Transport>() {
    let (result, _, _e) =
        login_with_fault::<T>(on_polls(Fault::BadGatewayHtml), Duration::from_secs(2));
    match expect_plex(result) {
        Error::UnexpectedStatus { status, body, .. } => {
            assert_eq!(status, 502);
            assert!(body.as_str().contains("502 Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
}

/// 500 twice, then normal: backoff recovers.
pub fn transient_errors_recover<T: Transport>() {
    let (result, _, _e) = login_with_fault::<T>(
        on_polls(Fault::ServerError).times(2),
        Duration::from_secs(2),
    );
    assert!(result.is_ok(), "{result:?}");
}

/// Malformed JSON on a 200, forever.
pub fn malformed_json_gives_up<T: Transport>() {
    let (result, _, _e) =
        login_with_fault::<T>(on_polls(Fault::MalformedJson), Duration::from_secs(2));
    assert!(matches!(expect_plex(result), Error::Decode { .. }));
}

/// XML answers whatever the Accept header said.
pub fn xml_answer_gives_up<T: Transport>() {
    let (result, _, _e) = login_with_fault::<T>(on_polls(Fault::Xml), Duration::from_secs(2));
    assert!(matches!(expect_plex(result), Error::NotJson { .. }));
}

/// A 10 MB body: refused without being read into memory (the process's peak heap grows by
/// far less than the body), and the login gives up with the transport's size error.
pub fn oversized_body_is_refused_unread<T: Transport>() {
    let emulator = Emulator::start(
        Options::default().fault(FaultRule::always(Fault::Oversized).on(Route::CreatePin)),
    )
    .unwrap();
    let client: T = client(&emulator);
    // The first call makes the emulator build its shared 10 MB body; measure the second.
    assert!(matches!(
        client.create_pin(&PinOptions::strong()),
        Err(Failure::BodyTooLarge)
    ));
    alloc::reset_peak();
    let result = client.create_pin(&PinOptions::strong());
    let grew = alloc::peak_growth();
    assert!(matches!(result, Err(Failure::BodyTooLarge)), "{result:?}");
    assert!(
        grew < 2 * 1024 * 1024,
        "heap peak grew by {grew} bytes for a 10 MB body"
    );
    let result = client.login(fast_options(), ignore_pin());
    assert!(matches!(result, Err(Failure::BodyTooLarge)), "{result:?}");
}

/// An answer slower than the request timeout: the transport times out, the login retries
/// and then reports the timeout, all within a bounded time.
pub fn slow_answer_times_out<T: Transport>() {
    let (result, took, _e) = login_with_fault::<T>(
        on_polls(Fault::Slow(Duration::from_secs(5))),
        Duration::from_millis(300),
    );
    assert!(matches!(result, Err(Failure::Timeout)), "{result:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// The connection is closed without an answer, forever.
pub fn dropped_connection_gives_up<T: Transport>() {
    let (result, took, _e) =
        login_with_fault::<T>(on_polls(Fault::DropConnection), Duration::from_secs(2));
    assert!(
        matches!(result, Err(Failure::Connect(_) | Failure::Other(_))),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// A 302 is handed to the core as a status, never followed (the target would sign in).
pub fn redirect_is_not_followed<T: Transport>() {
    let (result, _, emulator) =
        login_with_fault::<T>(on_polls(Fault::Redirect), Duration::from_secs(2));
    assert!(matches!(expect_plex(result), Error::UnexpectedStatus { status, .. } if status == 302));
    let followed = emulator
        .stats()
        .recent
        .iter()
        .any(|r| r.path.contains("redirect-target"));
    assert!(!followed, "the redirect was followed");
}

/// A server that is not there at all.
pub fn unreachable_server<T: Transport>() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = Config::builder("x", ClientId::new("y").unwrap())
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let client = T::new(config, Duration::from_secs(2));
    assert!(matches!(
        client.create_pin(&PinOptions::strong()),
        Err(Failure::Connect(_))
    ));
}

/// Drives `login` through `client` until `stop` says so (or the login ends): the loop of a
/// custom transport, with the transport's own `send`.
fn drive_until<T: Transport>(
    client: &T,
    login: &mut plex_pin::PinLogin,
    mut stop: impl FnMut(&plex_pin::Step) -> bool,
) -> Result<plex_pin::Step, Error> {
    loop {
        let step = login.poll(plex_pin::Instant::now())?;
        if stop(&step) {
            return Ok(step);
        }
        match step {
            plex_pin::Step::Send(request) => match client.send(request) {
                Ok(response) => login.handle_response(plex_pin::Instant::now(), response)?,
                Err(failure) => panic!("{}: {failure:?}", T::NAME),
            },
            plex_pin::Step::WaitUntil(at) => {
                std::thread::sleep(at.saturating_duration_since(plex_pin::Instant::now()))
            }
            other => return Ok(other),
        }
    }
}

/// A web backend's flow: one client (one request, one process) creates the pin and saves
/// it; another, built anew, resumes it from its serialised form, and gets the token once
/// the user approves.
pub fn a_saved_pin_resumes_in_another_client<T: Transport>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let first: T = client(&emulator);
    let mut creating =
        plex_pin::PinLogin::new(&config_for(&emulator, "conformance-client"), fast_options());
    let shown = drive_until(&first, &mut creating, |step| {
        matches!(step, plex_pin::Step::PinReady { .. })
    })
    .unwrap();
    let plex_pin::Step::PinReady { pin, .. } = shown else {
        panic!("{}: expected the pin, got {shown:?}", T::NAME)
    };
    let saved =
        serde_json::to_string(&creating.save(plex_pin::Instant::now(), unix_now()).unwrap())
            .unwrap();
    drop((creating, first));

    let second: T = client(&emulator);
    let restored: plex_pin::SavedPin = serde_json::from_str(&saved).unwrap();
    let mut resumed = plex_pin::PinLogin::resume(
        &config_for(&emulator, "conformance-client"),
        fast_options(),
        &restored,
        unix_now(),
    )
    .unwrap();
    assert!(emulator.approve(pin.id).is_some());
    let done = drive_until(&second, &mut resumed, |_| false).unwrap();
    let plex_pin::Step::Done(token) = done else {
        panic!("{}: expected the token, got {done:?}", T::NAME)
    };
    assert!(
        second.user(&token).is_ok(),
        "{}: the token checks valid",
        T::NAME
    );
    assert_eq!(emulator.stats().count("create_pin"), 1, "one pin only");
    // Under another client identifier, the saved pin is refused before any request.
    let other = config_for(&emulator, "another-client");
    assert_eq!(
        plex_pin::PinLogin::resume(&other, fast_options(), &restored, unix_now()).unwrap_err(),
        Error::ClientMismatch
    );
}

/// A fresh test key: 32 random bytes (fastrand's per-thread generator, seeded randomly).
/// Test keys need to differ, not to be secret.
fn random_key() -> DeviceKey {
    let mut seed = [0u8; 32];
    fastrand::fill(&mut seed);
    DeviceKey::from_seed(seed)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Verifies a Plex JWT the way a client should: against every published key, then its claims.
fn check_plex_jwt<T: Transport>(
    client: &T,
    token: &Token,
    client_id: &str,
    key: &DeviceKey,
) -> PlexClaims {
    let keys = client.plex_keys().unwrap();
    assert!(keys.len() >= 2, "the emulator publishes several keys");
    let claims: PlexClaims = verify_jwt(token.expose_secret(), &keys).unwrap();
    claims
        .check(&ClientId::new(client_id).unwrap(), key, unix_now())
        .unwrap();
    claims
}

/// The JWT sign-in, approved: the token is a Plex JWT that verifies against the published
/// keys, names this device's key, and works as a token; a refresh gives another.
pub fn jwt_login_and_refresh<T: Transport>() {
    let emulator = Arc::new(Emulator::start(Options::default()).unwrap());
    let client: T = client(&emulator);
    let key = random_key();
    let token = client
        .login_jwt(fast_options(), &key, approve_when_shown(&emulator))
        .unwrap();
    let claims = check_plex_jwt(&client, &token, "conformance-client", &key);
    assert_eq!(claims.thumbprint.as_deref(), Some(key.key_id()));
    assert_eq!(
        claims.user.unwrap().username.as_deref(),
        Some("emulated-user")
    );
    assert_eq!(client.user(&token).unwrap().id, 4_242_424);
    let stats = emulator.stats();
    assert!(stats.count("nonce") >= 1);
    let poll = stats.on_route("check_pin").next().unwrap();
    assert!(poll.path.contains("?deviceJWT="), "{}", poll.path);

    let refreshed = client.refresh(&key).unwrap();
    assert_ne!(refreshed.expose_secret(), token.expose_secret());
    check_plex_jwt(&client, &refreshed, "conformance-client", &key);
    // Another key cannot refresh this device.
    assert!(matches!(
        client.refresh(&random_key()),
        Err(Failure::Plex(Error::SignatureRejected))
    ));
}

/// An expired Plex JWT is answered with 498, and a refresh gets a working one.
pub fn jwt_expiry_gives_498_and_refresh_recovers<T: Transport>() {
    let emulator = Arc::new(
        Emulator::start(Options::default().plex_jwt_lifetime(Duration::from_secs(1))).unwrap(),
    );
    let client: T = client(&emulator);
    let key = random_key();
    let token = client
        .login_jwt(fast_options(), &key, approve_when_shown(&emulator))
        .unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    assert!(matches!(
        client.user(&token),
        Err(Failure::Plex(Error::JwtExpired))
    ));
    let keys = client.plex_keys().unwrap();
    let claims: PlexClaims = verify_jwt(token.expose_secret(), &keys).unwrap();
    assert!(claims.needs_refresh(unix_now()));
    // The refreshed token is new and signed for this device (it lives 1 s here too, so
    // its expiry is not checked: that would race the clock).
    let fresh = client.refresh(&key).unwrap();
    let fresh_claims: PlexClaims = verify_jwt(fresh.expose_secret(), &keys).unwrap();
    assert_ne!(fresh.expose_secret(), token.expose_secret());
    assert_eq!(fresh_claims.thumbprint.as_deref(), Some(key.key_id()));
    assert!(fresh_claims.iat >= claims.iat);
}

/// Option B: register a key with a legacy token, then refresh to the first Plex JWT; a key
/// registered by one device cannot be registered by another.
pub fn jwt_register_key_then_refresh<T: Transport>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let client: T = client(&emulator);
    let legacy = Token::new(emulator.issue_token()).unwrap();
    let key = random_key();
    client.register_key(&legacy, &key).unwrap();
    let token = client.refresh(&key).unwrap();
    check_plex_jwt(&client, &token, "conformance-client", &key);
    let other: T = T::new(
        config_for(&emulator, "another-device"),
        Duration::from_secs(2),
    );
    assert!(matches!(
        other.register_key(&legacy, &key),
        Err(Failure::Plex(Error::ThumbprintTaken))
    ));
    let unknown = Token::new("not-a-token").unwrap();
    assert!(matches!(
        client.register_key(&unknown, &random_key()),
        Err(Failure::Plex(Error::Unauthorized { .. }))
    ));
}

/// Forged, expired and replayed device JWTs are refused with 422.
pub fn jwt_forged_expired_and_replayed_are_refused<T: Transport>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let config = config_for(&emulator, "conformance-client");
    let client: T = client(&emulator);
    let key = random_key();
    let id = ClientId::new("conformance-client").unwrap();
    let nonce = |c: &T| response::nonce(&c.send(request::nonce(&config)).unwrap()).unwrap();

    let pin = response::pin(
        &client
            .send(request::create_pin_with_key(
                &config,
                &PinOptions::strong(),
                key.jwk(),
            ))
            .unwrap(),
    )
    .unwrap();
    let check = |jwt: &plex_pin::jwt::DeviceJwt| {
        response::pin(
            &client
                .send(request::check_pin_with_jwt(&config, pin.id, jwt))
                .unwrap(),
        )
    };
    let n = nonce(&client);
    let good = key.device_jwt(&DeviceClaims::new(&id, &n, unix_now()));
    assert!(
        check(&good).unwrap().auth_token.is_none(),
        "a signed poll is answered"
    );
    let forged = random_key().device_jwt(&DeviceClaims::new(&id, &n, unix_now()));
    assert_eq!(check(&forged).unwrap_err(), Error::SignatureRejected);
    let expired = key.device_jwt(&DeviceClaims::new(&id, &n, unix_now() - 3600));
    assert_eq!(check(&expired).unwrap_err(), Error::SignatureRejected);
    let unknown_nonce = key.device_jwt(&DeviceClaims::new(&id, "never-issued", unix_now()));
    assert_eq!(check(&unknown_nonce).unwrap_err(), Error::SignatureRejected);

    // The token exchange uses the nonce up: the same device JWT a second time is a replay.
    let legacy = Token::new(emulator.issue_token()).unwrap();
    client.register_key(&legacy, &key).unwrap();
    let exchange = key.device_jwt(&DeviceClaims::new(&id, &nonce(&client), unix_now()));
    response::auth_token(
        &client
            .send(request::exchange_jwt(&config, &exchange))
            .unwrap(),
    )
    .unwrap();
    let replay = response::auth_token(
        &client
            .send(request::exchange_jwt(&config, &exchange))
            .unwrap(),
    );
    assert_eq!(replay.unwrap_err(), Error::SignatureRejected);
}

/// A signed-in account approves another device's 4-character code (`PUT /api/v2/pins/link`),
/// and that device's login completes; a strong code cannot be linked.
pub fn link_a_code_from_a_signed_in_account<T: Transport + Send + 'static>() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let device: T = T::new(config_for(&emulator, "tv-device"), Duration::from_secs(2));
    let phone: T = T::new(config_for(&emulator, "phone"), Duration::from_secs(2));
    let account = Token::new(emulator.issue_token()).unwrap();
    let (codes, code) = std::sync::mpsc::channel();
    let waiting = std::thread::spawn(move || {
        let options = fast_options().with_pin(PinOptions::link());
        device.login(
            options,
            Box::new(move |pin| codes.send(pin.code.clone()).unwrap()),
        )
    });
    let code = code.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(matches!(
        phone.link_pin(&Token::new("bogus").unwrap(), &code),
        Err(Failure::Plex(Error::Unauthorized { .. }))
    ));
    phone.link_pin(&account, &code).unwrap();
    let token = waiting.join().unwrap().unwrap();
    assert!(!token.expose_secret().is_empty());
    assert!(matches!(
        phone.link_pin(&account, "ZZZZ"),
        Err(Failure::Plex(Error::PinExpired {
            by: ExpiredBy::Server
        }))
    ));
    let strong = phone.create_pin(&PinOptions::strong()).unwrap();
    assert!(matches!(
        phone.link_pin(&account, &strong.code),
        Err(Failure::Plex(Error::PinExpired { .. }))
    ));
}

/// Generates one `#[test]` per scenario for a transport type.
#[macro_export]
macro_rules! conformance {
    ($transport:ty) => {
        $crate::conformance!(@tests $transport;
            login_approved, login_link_code, login_denied, login_expired, login_caller_timeout,
            client_identifier_mismatch, token_check,
            rate_limited_with_retry_after_recovers, rate_limited_forever_gives_up,
            server_error_gives_up, bad_gateway_html_gives_up, transient_errors_recover,
            malformed_json_gives_up, xml_answer_gives_up, oversized_body_is_refused_unread,
            slow_answer_times_out, dropped_connection_gives_up, redirect_is_not_followed,
            unreachable_server, jwt_login_and_refresh, jwt_expiry_gives_498_and_refresh_recovers,
            jwt_register_key_then_refresh,
            jwt_forged_expired_and_replayed_are_refused, link_a_code_from_a_signed_in_account,
            a_saved_pin_resumes_in_another_client);
    };
    (@tests $transport:ty; $($scenario:ident),*) => {
        $(
            #[test]
            fn $scenario() {
                $crate::$scenario::<$transport>();
            }
        )*
    };
}
