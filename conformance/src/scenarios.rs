//! The scenarios. Each takes a [`Rig`], makes its own clients and checks one behaviour.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use plex_pin::drive::{AsyncTransport, Cancel, Clock, Flow};
use plex_pin::jwt::{verify_jwt, DeviceClaims, DeviceKey, PlexClaims};
use plex_pin::{
    request, response, Call, ClientId, Error, ExpiredBy, Instant, JwtRefresh, LoginOptions, Pin,
    PinLogin, PinOptions, SavedPin, Step, Token, TransportErrorKind as Kind,
};

use crate::{call, config_as, fast_options, fresh_id, join, Control, Failure, Report, Rig};

/// What the emulated user does once the pin is shown.
#[derive(Clone, Copy, PartialEq)]
enum User {
    Approves,
    TypesTheCode,
    Denies,
    LetsItExpire,
    Ignores,
    Cancels,
}

/// What a login ended with, and what it showed on the way.
struct Outcome {
    result: Result<Token, Failure>,
    pin: Option<Pin>,
    url: String,
    events: Vec<String>,
    took: Duration,
}

/// A fresh client of the rig, and its identifier.
fn client<R: Rig>(rig: &R, timeout: Duration) -> (R::Transport, String) {
    let id = fresh_id();
    (rig.transport(config_as(rig, &id), timeout), id)
}

fn two_seconds() -> Duration {
    Duration::from_secs(2)
}

/// Runs `flow` through `transport` with the rig's loop ([`Rig::run`]) while the emulated
/// `user` acts on the pin as soon as it is shown.
async fn sign_in<R: Rig>(
    rig: &R,
    transport: &R::Transport,
    flow: impl Flow + Send + 'static,
    user: User,
) -> Outcome {
    let control = Control::new(transport, rig.url());
    let shown: RefCell<Option<(Pin, String)>> = RefCell::new(None);
    let events = RefCell::new(Vec::new());
    let done = Cell::new(false);
    let cancel = Cancel::new();
    let started = Instant::now();
    let login = async {
        let result = rig
            .run(transport, flow, Some(&cancel), |report| {
                let line = match report {
                    Report::PinReady { pin, url } => {
                        *shown.borrow_mut() = Some((*pin, url));
                        "pin".to_owned()
                    }
                    Report::Retrying {
                        attempt,
                        cause: Failure::Plex(e),
                    } => format!("retry {attempt}: {e}"),
                    Report::Retrying { attempt, cause } => format!("retry {attempt}: {cause:?}"),
                    Report::Waiting => "wait".to_owned(),
                };
                events.borrow_mut().push(line);
            })
            .await;
        done.set(true);
        result
    };
    let act = async {
        let pin = loop {
            if let Some((pin, _)) = &*shown.borrow() {
                break pin.clone();
            }
            if done.get() {
                return;
            }
            transport
                .sleep_until(transport.now() + Duration::from_millis(20))
                .await;
        };
        match user {
            User::Approves => control.approve(pin.id).await,
            User::TypesTheCode => control.approve_code(&pin.code).await,
            User::Denies => control.deny(pin.id).await,
            User::LetsItExpire => control.expire(pin.id).await,
            User::Cancels => cancel.cancel(),
            User::Ignores => {}
        }
    };
    let (result, ()) = join(login, act).await;
    let (pin, url) = shown
        .into_inner()
        .map_or((None, String::new()), |(p, u)| (Some(p), u));
    Outcome {
        result,
        pin,
        url,
        events: events.into_inner(),
        took: started.elapsed(),
    }
}

/// A plain login of a fresh pin by client `id`, with `options`.
async fn login<R: Rig>(
    rig: &R,
    transport: &R::Transport,
    id: &str,
    options: LoginOptions,
    user: User,
) -> Outcome {
    let config = config_as(rig, id);
    sign_in(rig, transport, PinLogin::new(&config, options), user).await
}

fn plex(result: Result<impl std::fmt::Debug, Failure>) -> Error {
    match result {
        Err(Failure::Plex(e)) => e,
        other => panic!("expected a plex.tv error, got {other:?}"),
    }
}

/// Full login, approved after the pin is shown; the token then checks valid, and the
/// emulator saw the identity headers, a strong pin and polls no closer than the interval.
pub async fn login_approved<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let options = fast_options().with_poll_interval(Duration::from_millis(100));
    let outcome = login(rig, &t, &id, options, User::Approves).await;
    let token = outcome.result.unwrap();
    assert!(
        outcome.url.starts_with(&format!("{}/auth#?", rig.url())),
        "{}",
        outcome.url
    );
    let config = config_as(rig, &id);
    let user = call::<R, _>(&t, Call::user(&config, &token)).await.unwrap();
    assert_eq!(user.username.as_deref(), Some("emulated-user"));

    let seen = Control::new(&t, rig.url()).seen(&id).await;
    let on = |route: &'static str| seen.iter().filter(move |s| s.route == route);
    assert_eq!(on("create_pin").count(), 1);
    assert!(on("check_pin").count() >= 1);
    for request in &seen {
        assert_eq!(
            request.header("x-plex-product"),
            Some("plex-pin conformance")
        );
        assert_eq!(request.header("x-plex-device-name"), Some("Test Rig"));
        assert!(request
            .header("accept")
            .unwrap_or("")
            .contains("application/json"));
    }
    assert!(on("create_pin")
        .next()
        .unwrap()
        .path
        .ends_with("?strong=true"));
    let polls: Vec<Duration> = on("check_pin").map(|s| s.at).collect();
    for pair in polls.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(90),
            "polls too close: {polls:?}"
        );
    }
    assert_eq!(
        on("user").next().unwrap().header("x-plex-token"),
        Some("***")
    );
}

/// A 4-character link pin, typed at the link page.
pub async fn login_link_code<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let outcome = login(
        rig,
        &t,
        &id,
        fast_options().with_pin(PinOptions::link()),
        User::TypesTheCode,
    )
    .await;
    assert!(!outcome.result.unwrap().expose_secret().is_empty());
    let code = outcome.pin.unwrap().code;
    assert_eq!(code.len(), 4);
    assert_eq!(code, code.to_uppercase());
    assert!(
        outcome.url.starts_with(&format!("{}/link", rig.url())),
        "{}",
        outcome.url
    );
}

/// The user denies: the pin disappears and the login ends with a server-side expiry.
pub async fn login_denied<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let outcome = login(rig, &t, &id, fast_options(), User::Denies).await;
    assert_eq!(
        plex(outcome.result),
        Error::PinExpired {
            by: ExpiredBy::Server
        }
    );
}

/// The pin expires before anyone approves it.
pub async fn login_expired<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let outcome = login(rig, &t, &id, fast_options(), User::LetsItExpire).await;
    assert!(matches!(plex(outcome.result), Error::PinExpired { .. }));
    assert!(outcome.took < Duration::from_secs(5), "{:?}", outcome.took);
}

/// The caller's deadline passes first.
pub async fn login_caller_timeout<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let options = fast_options().with_timeout(Duration::from_millis(600));
    let outcome = login(rig, &t, &id, options, User::Ignores).await;
    assert_eq!(plex(outcome.result), Error::TimedOut);
    let took = outcome.took;
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// Polling with another client identifier than the creator's looks like an expired pin.
pub async fn client_identifier_mismatch<R: Rig>(rig: &R) {
    let (creator, creator_id) = client(rig, two_seconds());
    let (other, other_id) = client(rig, two_seconds());
    let mine = config_as(rig, &creator_id);
    let pin = call::<R, _>(&creator, Call::create_pin(&mine, &PinOptions::strong()))
        .await
        .unwrap();
    assert_eq!(pin.code.len(), 25);
    assert_eq!(pin.client_identifier, creator_id);
    let polled = call::<R, _>(&creator, Call::check_pin(&mine, pin.id))
        .await
        .unwrap();
    assert!(polled.auth_token.is_none());
    let theirs = config_as(rig, &other_id);
    let result = call::<R, _>(&other, Call::check_pin(&theirs, pin.id)).await;
    assert_eq!(
        plex(result),
        Error::PinExpired {
            by: ExpiredBy::Server
        }
    );
}

/// Token checks: an issued token is valid, an unknown one is 401, a revoked one 422.
pub async fn token_check<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let config = config_as(rig, &id);
    let control = Control::new(&t, rig.url());
    let raw = control.issue_token().await;
    let token = Token::new(&raw).unwrap();
    assert_eq!(
        call::<R, _>(&t, Call::user(&config, &token))
            .await
            .unwrap()
            .id,
        4_242_424
    );
    let unknown = Token::new("not-a-real-token").unwrap();
    let result = call::<R, _>(&t, Call::user(&config, &unknown)).await;
    assert!(matches!(plex(result), Error::Unauthorized { status } if status == 401));
    control.revoke(&raw).await;
    let result = call::<R, _>(&t, Call::user(&config, &token)).await;
    assert!(matches!(plex(result), Error::Unauthorized { status } if status == 422));
}

/// A login whose polls meet `fault` (`times` times, or always).
async fn login_with_fault<R: Rig>(
    rig: &R,
    fault: &str,
    times: Option<u32>,
    timeout: Duration,
    user: User,
) -> (Outcome, R::Transport, String) {
    let (t, id) = client(rig, timeout);
    Control::new(&t, rig.url())
        .fault(&id, "check", fault, times)
        .await;
    let outcome = login(rig, &t, &id, fast_options(), user).await;
    (outcome, t, id)
}

/// 429 with `Retry-After: 1`, twice, then normal: the login succeeds and waited as told.
pub async fn rate_limited_with_retry_after_recovers<R: Rig>(rig: &R) {
    let (outcome, t, id) =
        login_with_fault(rig, "429:1", Some(2), two_seconds(), User::Approves).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert!(
        outcome.took >= Duration::from_secs(2),
        "Retry-After honoured twice: {:?}",
        outcome.took
    );
    assert!(outcome.took < Duration::from_secs(6), "{:?}", outcome.took);
    assert!(Control::new(&t, rig.url()).count(&id, "check_pin").await >= 3);
}

/// 429 without `Retry-After`, forever: backoff, then `RateLimited` after 3 in a row.
pub async fn rate_limited_forever_gives_up<R: Rig>(rig: &R) {
    let (outcome, t, id) = login_with_fault(rig, "429", None, two_seconds(), User::Ignores).await;
    assert_eq!(
        plex(outcome.result),
        Error::RateLimited { retry_after: None }
    );
    assert!(outcome.took < Duration::from_secs(3), "{:?}", outcome.took);
    assert_eq!(Control::new(&t, rig.url()).count(&id, "check_pin").await, 3);
}

/// 500 and 502 (an HTML page), forever: the login gives up with the status.
pub async fn server_errors_give_up<R: Rig>(rig: &R) {
    for (fault, status) in [("500", 500), ("502", 502)] {
        let (outcome, _, _) =
            login_with_fault(rig, fault, None, two_seconds(), User::Ignores).await;
        assert!(outcome.took < Duration::from_secs(3), "{:?}", outcome.took);
        match plex(outcome.result) {
            Error::UnexpectedStatus {
                status: s, body, ..
            } => {
                assert_eq!(s, status);
                if status == 502 {
                    assert!(body.as_str().contains("502 Bad Gateway"));
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

/// 500 twice, then normal: backoff recovers.
pub async fn transient_errors_recover<R: Rig>(rig: &R) {
    let (outcome, _, _) =
        login_with_fault(rig, "500", Some(2), two_seconds(), User::Approves).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
}

/// Malformed JSON, or XML whatever the Accept header said, on a 200, forever.
pub async fn malformed_json_and_xml_give_up<R: Rig>(rig: &R) {
    let (outcome, _, _) =
        login_with_fault(rig, "malformed", None, two_seconds(), User::Ignores).await;
    assert!(matches!(plex(outcome.result), Error::Decode { .. }));
    let (outcome, _, _) = login_with_fault(rig, "xml", None, two_seconds(), User::Ignores).await;
    assert!(matches!(plex(outcome.result), Error::NotJson { .. }));
}

/// A 10 MB body: refused without being read into memory, where the target can tell.
pub async fn oversized_body_is_refused_unread<R: Rig>(rig: &R) {
    let (t, id) = client(rig, Duration::from_secs(5));
    Control::new(&t, rig.url())
        .fault(&id, "create", "oversized", None)
        .await;
    let config = config_as(rig, &id);
    // The first call makes the emulator build its 10 MB body (in-process on native
    // targets); the second is measured.
    let first = call::<R, _>(&t, Call::create_pin(&config, &PinOptions::strong())).await;
    assert_eq!(first.unwrap_err(), Failure::Transport(Kind::BodyTooLarge));
    rig.reset_memory_peak();
    let second = call::<R, _>(&t, Call::create_pin(&config, &PinOptions::strong())).await;
    assert_eq!(second.unwrap_err(), Failure::Transport(Kind::BodyTooLarge));
    if let Some(grew) = rig.memory_peak_growth() {
        assert!(
            grew < 2 * 1024 * 1024,
            "memory grew by {grew} bytes for a 10 MB body"
        );
    }
    let outcome = login(rig, &t, &id, fast_options(), User::Ignores).await;
    assert_eq!(
        outcome.result.unwrap_err(),
        Failure::Transport(Kind::BodyTooLarge)
    );
}

/// An answer slower than the request timeout: the login retries, then reports the timeout.
pub async fn slow_answer_times_out<R: Rig>(rig: &R) {
    let (outcome, _, _) = login_with_fault(
        rig,
        "slow:3000",
        None,
        Duration::from_millis(300),
        User::Ignores,
    )
    .await;
    assert_eq!(
        outcome.result.unwrap_err(),
        Failure::Transport(Kind::Timeout)
    );
    assert!(outcome.took < Duration::from_secs(3), "{:?}", outcome.took);
}

/// The connection is closed without an answer, forever.
pub async fn dropped_connection_gives_up<R: Rig>(rig: &R) {
    let (outcome, _, _) = login_with_fault(rig, "drop", None, two_seconds(), User::Ignores).await;
    let failure = outcome.result.unwrap_err();
    assert!(
        matches!(failure, Failure::Transport(Kind::Connect | Kind::Other)),
        "{failure:?}"
    );
    assert!(outcome.took < Duration::from_secs(3), "{:?}", outcome.took);
}

/// A 302 is handed to the core as a status (or refused unread where the client cannot
/// hand it over, as browsers' fetch), never followed: its target answers with a token.
pub async fn redirect_is_not_followed<R: Rig>(rig: &R) {
    let (outcome, t, id) =
        login_with_fault(rig, "redirect", None, two_seconds(), User::Ignores).await;
    match outcome.result {
        Err(Failure::Transport(Kind::Redirect)) => {}
        Err(Failure::Plex(Error::UnexpectedStatus { status, .. })) => assert_eq!(status, 302),
        other => panic!("{other:?}"),
    }
    let seen = Control::new(&t, rig.url()).seen(&id).await;
    assert!(
        !seen.iter().any(|s| s.path.contains("redirect-target")),
        "the redirect was followed"
    );
}

/// A server that is not there at all: nothing listens on port 1.
pub async fn unreachable_server<R: Rig>(rig: &R) {
    let config = plex_pin::Config::builder("x", ClientId::new("y").unwrap())
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap();
    let t = rig.transport(config.clone(), two_seconds());
    let result = call::<R, _>(&t, Call::create_pin(&config, &PinOptions::strong())).await;
    assert_eq!(result.unwrap_err(), Failure::Transport(Kind::Connect));
}

/// Every retry is reported as it happens, with its cause: a 500 from the server, then a
/// body over the transport's cap, then the login goes on to the token.
pub async fn retries_are_reported_as_they_happen<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let control = Control::new(&t, rig.url());
    control.fault(&id, "check", "500", Some(1)).await;
    // A body over the cap: a transport failure on every target (a dropped connection is
    // not: browsers resend a request whose reused connection closes before an answer).
    control.fault(&id, "check", "oversized", Some(1)).await;
    let outcome = login(rig, &t, &id, fast_options(), User::Approves).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    let retries: Vec<_> = outcome
        .events
        .iter()
        .filter(|e| e.starts_with("retry"))
        .collect();
    assert_eq!(retries.len(), 2, "{:?}", outcome.events);
    assert!(
        retries[0].starts_with("retry 1: unexpected HTTP 500"),
        "{retries:?}"
    );
    assert_eq!(
        retries[1], "retry 2: Transport(BodyTooLarge)",
        "{retries:?}"
    );
}

/// A cancel handle ends a waiting login at once, with `Error::Cancelled`.
pub async fn cancel_ends_a_login_at_once<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    // Polls every 10 s: only the cancel can end the wait in time.
    let options = fast_options().with_poll_interval(Duration::from_secs(10));
    let outcome = login(rig, &t, &id, options, User::Cancels).await;
    assert_eq!(plex(outcome.result), Error::Cancelled);
    assert!(outcome.took < Duration::from_secs(3), "{:?}", outcome.took);
}

/// Drives `login` by hand until the pin is shown: a web backend's first request.
async fn until_pin_shown<R: Rig>(t: &R::Transport, login: &mut PinLogin) -> Pin {
    loop {
        match login.poll(t.now()).unwrap() {
            Step::Send(request) => {
                let response = t.send(request, t.timeout()).await;
                let response = response.unwrap_or_else(|e| panic!("{:?}", R::failure(&e)));
                let _retry = login.handle_response(t.now(), response).unwrap();
            }
            Step::WaitUntil(at) => t.sleep_until(at).await,
            Step::PinReady { pin, .. } => return pin,
            Step::Done(_) => panic!("approved before it was shown"),
        }
    }
}

/// A web backend's flow: one client creates the pin and saves it; another, built anew,
/// resumes it from its serialised form and gets the token once the user approves; under
/// another client identifier the saved pin is refused before any request.
pub async fn a_saved_pin_resumes_in_another_client<R: Rig>(rig: &R) {
    let (first, id) = client(rig, two_seconds());
    let config = config_as(rig, &id);
    let mut creating = PinLogin::new(&config, fast_options());
    creating.set_wall_clock(first.unix_now());
    let pin = until_pin_shown::<R>(&first, &mut creating).await;
    let saved = creating.save().unwrap();
    assert!(saved.expires_at > first.unix_now(), "an absolute expiry");
    let saved = serde_json::to_string(&saved).unwrap();
    drop((creating, first));

    let second = rig.transport(config.clone(), two_seconds());
    let restored: SavedPin = serde_json::from_str(&saved).unwrap();
    let resumed = PinLogin::resume(&config, fast_options(), &restored).unwrap();
    Control::new(&second, rig.url()).approve(pin.id).await;
    let token = rig.run(&second, resumed, None, |_| {}).await;
    let token = token.unwrap_or_else(|e| panic!("{e:?}"));
    assert!(call::<R, _>(&second, Call::user(&config, &token))
        .await
        .is_ok());
    assert_eq!(
        Control::new(&second, rig.url())
            .count(&id, "create_pin")
            .await,
        1
    );
    let other = config_as(rig, &fresh_id());
    let refused = PinLogin::resume(&other, fast_options(), &restored);
    assert_eq!(refused.unwrap_err(), Error::ClientMismatch);
}

/// A test key: test keys need to differ, not to be secret; two fresh UUIDs' text does.
fn random_key() -> DeviceKey {
    let text = format!("{}{}", ClientId::generate(), ClientId::generate()).replace('-', "");
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&text.as_bytes()[..32]);
    DeviceKey::from_seed(seed)
}

/// Verifies a Plex JWT as a client should: against the published keys, then its claims.
async fn check_plex_jwt<R: Rig>(
    t: &R::Transport,
    config: &plex_pin::Config,
    token: &Token,
    key: &DeviceKey,
) -> PlexClaims {
    let keys = call::<R, _>(t, Call::plex_keys(config)).await.unwrap();
    assert!(keys.len() >= 2, "the emulator publishes several keys");
    let claims: PlexClaims = verify_jwt(token.expose_secret(), &keys).unwrap();
    claims.check(config.client_id(), key, t.unix_now()).unwrap();
    claims
}

/// The JWT sign-in, approved: the token is a Plex JWT that verifies against the published
/// keys, names this device's key and works as a token; a refresh gives another; another
/// key cannot refresh this device.
pub async fn jwt_login_and_refresh<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let config = config_as(rig, &id);
    let key = random_key();
    let login = PinLogin::with_device_key(&config, fast_options(), key.clone());
    let token = sign_in(rig, &t, login, User::Approves)
        .await
        .result
        .unwrap();
    let claims = check_plex_jwt::<R>(&t, &config, &token, &key).await;
    assert_eq!(claims.thumbprint.as_deref(), Some(key.key_id()));
    assert_eq!(
        claims.user.unwrap().username.as_deref(),
        Some("emulated-user")
    );
    assert_eq!(
        call::<R, _>(&t, Call::user(&config, &token))
            .await
            .unwrap()
            .id,
        4_242_424
    );
    let seen = Control::new(&t, rig.url()).seen(&id).await;
    assert!(seen.iter().any(|s| s.route == "nonce"));
    let poll = seen.iter().find(|s| s.route == "check_pin").unwrap();
    assert!(poll.path.contains("?deviceJWT="), "{}", poll.path);

    let refresh = JwtRefresh::new(&config, key.clone());
    let refreshed = rig.run(&t, refresh, None, |_| {}).await.unwrap();
    assert_ne!(refreshed.expose_secret(), token.expose_secret());
    check_plex_jwt::<R>(&t, &config, &refreshed, &key).await;
    let stranger = JwtRefresh::new(&config, random_key());
    let refused = rig.run(&t, stranger, None, |_| {}).await;
    assert_eq!(plex(refused), Error::DeviceKeyUnknown, "sign in again");
}

/// Register a key with a legacy token, then refresh to the first Plex JWT; a key
/// registered by one device cannot be registered by another; a bad token registers nothing.
pub async fn jwt_register_key_then_refresh<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let config = config_as(rig, &id);
    let legacy = Token::new(Control::new(&t, rig.url()).issue_token().await).unwrap();
    let key = random_key();
    call::<R, _>(&t, Call::register_key(&config, &legacy, &key))
        .await
        .unwrap();
    let refresh = JwtRefresh::new(&config, key.clone());
    let token = rig.run(&t, refresh, None, |_| {}).await.unwrap();
    check_plex_jwt::<R>(&t, &config, &token, &key).await;
    let another = config_as(rig, &fresh_id());
    let taken = call::<R, _>(&t, Call::register_key(&another, &legacy, &key)).await;
    assert_eq!(plex(taken), Error::ThumbprintTaken);
    let unknown = Token::new("not-a-token").unwrap();
    let refused = call::<R, _>(&t, Call::register_key(&config, &unknown, &random_key())).await;
    assert!(matches!(plex(refused), Error::Unauthorized { .. }));
}

/// Forged, expired and replayed device JWTs are refused with 422.
pub async fn jwt_forged_expired_and_replayed_are_refused<R: Rig>(rig: &R) {
    let (t, id) = client(rig, two_seconds());
    let config = &config_as(rig, &id);
    let client_id = config.client_id().clone();
    let key = random_key();
    let send = |request: plex_pin::Request| async {
        let response = t.send(request, t.timeout()).await;
        let response = response.unwrap_or_else(|e| panic!("{:?}", R::failure(&e)));
        let (parts, body) = response.into_parts();
        http::Response::from_parts(parts, body.as_ref().to_vec())
    };
    let nonce = || async { response::nonce(&send(request::nonce(config)).await).unwrap() };
    let create = request::create_pin_with_key(config, &PinOptions::strong(), key.jwk());
    let pin = response::pin(&send(create).await).unwrap();
    let now = t.unix_now();
    let check = |jwt: plex_pin::jwt::DeviceJwt| {
        let send = &send;
        async move { response::pin(&send(request::check_pin_with_jwt(config, pin.id, &jwt)).await) }
    };
    let n = nonce().await;
    let good = key.device_jwt(&DeviceClaims::new(&client_id, &n, now));
    assert!(
        check(good).await.unwrap().auth_token.is_none(),
        "a signed poll is answered"
    );
    let forged = random_key().device_jwt(&DeviceClaims::new(&client_id, &n, now));
    assert_eq!(check(forged).await.unwrap_err(), Error::SignatureRejected);
    let expired = key.device_jwt(&DeviceClaims::new(&client_id, &n, now - 3600));
    assert_eq!(check(expired).await.unwrap_err(), Error::SignatureRejected);
    let unknown = key.device_jwt(&DeviceClaims::new(&client_id, "never-issued", now));
    assert_eq!(check(unknown).await.unwrap_err(), Error::SignatureRejected);

    // The exchange uses the nonce up: the same device JWT a second time is a replay.
    let legacy = Token::new(Control::new(&t, rig.url()).issue_token().await).unwrap();
    call::<R, _>(&t, Call::register_key(config, &legacy, &key))
        .await
        .unwrap();
    let exchange = key.device_jwt(&DeviceClaims::new(&client_id, &nonce().await, now));
    response::auth_token(&send(request::exchange_jwt(config, &exchange)).await).unwrap();
    let replay = response::auth_token(&send(request::exchange_jwt(config, &exchange)).await);
    assert_eq!(replay.unwrap_err(), Error::SignatureRejected);
}

/// A signed-in account approves another device's 4-character code (`PUT
/// /api/v2/pins/link`), and that device's login completes; a strong code cannot be linked.
pub async fn link_a_code_from_a_signed_in_account<R: Rig>(rig: &R) {
    let (device, device_id) = client(rig, two_seconds());
    let (phone, phone_id) = client(rig, two_seconds());
    let phone_config = config_as(rig, &phone_id);
    let account = Token::new(Control::new(&phone, rig.url()).issue_token().await).unwrap();
    let shown = RefCell::new(None::<String>);
    let done = Cell::new(false);
    let login = async {
        let config = config_as(rig, &device_id);
        let login = PinLogin::new(&config, fast_options().with_pin(PinOptions::link()));
        let result = rig
            .run(&device, login, None, |report| {
                if let Report::PinReady { pin, .. } = report {
                    *shown.borrow_mut() = Some(pin.code);
                }
            })
            .await;
        done.set(true);
        result
    };
    let link = async {
        let code = loop {
            if let Some(code) = shown.borrow().clone() {
                break code;
            }
            assert!(!done.get(), "the login ended before showing its code");
            phone
                .sleep_until(phone.now() + Duration::from_millis(20))
                .await;
        };
        let bogus = Token::new("bogus").unwrap();
        let refused = call::<R, _>(&phone, Call::link_pin(&phone_config, &bogus, &code)).await;
        assert!(matches!(plex(refused), Error::Unauthorized { .. }));
        call::<R, _>(&phone, Call::link_pin(&phone_config, &account, &code))
            .await
            .unwrap();
    };
    let (token, ()) = join(login, link).await;
    assert!(!token.unwrap().expose_secret().is_empty());
    let gone = call::<R, _>(&phone, Call::link_pin(&phone_config, &account, "ZZZZ")).await;
    assert_eq!(
        plex(gone),
        Error::PinExpired {
            by: ExpiredBy::Server
        }
    );
    let strong = call::<R, _>(
        &phone,
        Call::create_pin(&phone_config, &PinOptions::strong()),
    )
    .await
    .unwrap();
    let refused = call::<R, _>(
        &phone,
        Call::link_pin(&phone_config, &account, &strong.code),
    )
    .await;
    assert!(matches!(plex(refused), Error::PinExpired { .. }));
}
