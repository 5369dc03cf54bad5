//! Every path of the `PinLogin` state machine on a virtual clock: time only moves when a
//! test says so, and nothing sleeps.

mod common;

// On wasm32 these run under wasm-bindgen-test: its attribute stands in for `#[test]`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::time::Duration;

use common::{config, json, UNIX_START};
#[cfg(feature = "jwt")]
use common::{plex_jwt, plex_keys};

use plex_pin::{
    AfterFailure, AfterResponse, ClientId, Error, ExpiredBy, ForwardUrl, Instant, LoginOptions,
    PinLogin, PinOptions, Step, TransportErrorKind,
};

const SEC: Duration = Duration::from_secs(1);

fn created(expires_in: u64) -> http::Response<Vec<u8>> {
    json(
        201,
        &format!(
            r#"{{"id":77,"code":"abcdefghijklmnopqrstuvwxy","expiresIn":{expires_in},"authToken":null}}"#
        ),
    )
}

fn waiting() -> http::Response<Vec<u8>> {
    json(
        200,
        r#"{"id":77,"code":"abcdefghijklmnopqrstuvwxy","authToken":null}"#,
    )
}

fn approved() -> http::Response<Vec<u8>> {
    json(
        200,
        r#"{"id":77,"code":"abcdefghijklmnopqrstuvwxy","authToken":"the-token"}"#,
    )
}

/// A virtual clock and a login under test.
struct Harness {
    login: PinLogin,
    now: Instant,
}

impl Harness {
    fn new(options: LoginOptions) -> Self {
        Self::of(PinLogin::new(&config(), options))
    }

    /// [`of`](Self::of), with the wall clock reading `unix` at the first poll.
    fn at(mut login: PinLogin, unix: u64) -> Self {
        login.set_wall_clock(unix);
        Self {
            login,
            now: Instant::now(),
        }
    }

    /// Drives `login` (a resumed or JWT one) on a virtual clock, whose wall clock reads
    /// [`UNIX_START`] at the first poll.
    fn of(mut login: PinLogin) -> Self {
        login.set_wall_clock(UNIX_START);
        // The one real clock read: the origin of the virtual clock.
        Self {
            login,
            now: Instant::now(),
        }
    }

    /// A request that got no answer, of kind `Connect`.
    fn unanswered(&mut self) -> AfterFailure {
        self.login
            .transport_failed(self.now, TransportErrorKind::Connect)
    }

    /// What the login made of a response.
    fn outcome(&mut self, response: http::Response<Vec<u8>>) -> Result<AfterResponse, Error> {
        self.login.handle_response(self.now, response)
    }

    fn poll(&mut self) -> Result<Step, Error> {
        self.login.poll(self.now)
    }

    fn expect_send(&mut self) -> plex_pin::Request {
        match self.poll() {
            Ok(Step::Send(req)) => req,
            other => panic!("expected Send, got {other:?}"),
        }
    }

    /// Expects a WaitUntil, moves the clock there and returns how long it waited.
    fn expect_wait(&mut self) -> Duration {
        match self.poll() {
            Ok(Step::WaitUntil(t)) => {
                assert!(t > self.now, "WaitUntil must lie in the future");
                let waited = t - self.now;
                self.now = t;
                waited
            }
            other => panic!("expected WaitUntil, got {other:?}"),
        }
    }

    fn respond(&mut self, response: http::Response<Vec<u8>>) -> Result<(), Error> {
        self.outcome(response).map(drop)
    }

    /// Creates the pin and consumes the PinReady step.
    fn create(&mut self, expires_in: u64) {
        let req = self.expect_send();
        assert_eq!(req.method(), "POST");
        self.respond(created(expires_in)).unwrap();
        match self.poll() {
            Ok(Step::PinReady {
                pin,
                url,
                expires_at,
                saved,
            }) => {
                assert_eq!(pin.id, 77);
                assert_eq!(Some(url), self.login.approval_url());
                assert_eq!(Some(expires_at), self.login.pin_expires_at());
                assert_eq!(Some(saved), self.login.save());
            }
            other => panic!("expected PinReady, got {other:?}"),
        }
    }

    /// Waits for the next check and returns its request.
    fn next_check(&mut self) -> (Duration, plex_pin::Request) {
        let waited = self.expect_wait();
        let req = self.expect_send();
        assert_eq!(req.method(), "GET");
        assert_eq!(req.uri().path(), "/api/v2/pins/77");
        (waited, req)
    }
}

#[test]
fn approved_after_a_few_polls() {
    let mut h = Harness::new(LoginOptions::default());
    h.create(1800);
    assert!(h
        .login
        .approval_url()
        .unwrap()
        .as_str()
        .starts_with("https://app.plex.tv/auth#?clientID=client-1&code=abcdefghijklmnopqrstuvwxy"));
    for _ in 0..3 {
        let (waited, _) = h.next_check();
        assert_eq!(waited, SEC, "Plex asks for one poll per second");
        h.respond(waiting()).unwrap();
    }
    h.next_check();
    h.respond(approved()).unwrap();
    match h.poll() {
        Ok(Step::Done(token)) => assert_eq!(token.expose_secret(), "the-token"),
        other => panic!("{other:?}"),
    }
    assert!(h.login.is_finished());
    assert!(matches!(h.poll(), Err(Error::OutOfOrder(_))));
}

#[test]
fn expired_by_server_404() {
    let mut h = Harness::new(LoginOptions::default());
    h.create(900);
    h.next_check();
    let err = h
        .respond(json(
            404,
            r#"{"errors":[{"code":1020,"message":"Code not found or expired"}]}"#,
        ))
        .unwrap_err();
    assert_eq!(
        err,
        Error::PinExpired {
            by: ExpiredBy::Server
        }
    );
    assert!(matches!(h.poll(), Err(Error::OutOfOrder(_))));
}

#[test]
fn expired_by_local_deadline_from_expires_in_at_receipt() {
    let mut h = Harness::new(LoginOptions::default().with_poll_interval(10 * SEC));
    let start = h.now;
    h.create(25);
    assert_eq!(h.login.pin_expires_at(), Some(start + 25 * SEC));
    h.next_check();
    h.respond(waiting()).unwrap();
    h.next_check();
    h.respond(waiting()).unwrap();
    // The next poll would be at 30 s; the wait is clamped to the 25 s expiry.
    assert_eq!(h.expect_wait(), 5 * SEC);
    assert_eq!(
        h.poll().unwrap_err(),
        Error::PinExpired {
            by: ExpiredBy::LocalDeadline
        }
    );
}

#[test]
fn a_missing_expires_in_uses_the_kind_default() {
    let mut h = Harness::new(LoginOptions::default().with_pin(PinOptions::link()));
    let start = h.now;
    let req = h.expect_send();
    assert_eq!(req.uri().query(), None, "link pins are not strong");
    h.respond(json(201, r#"{"id":77,"code":"ABCD"}"#)).unwrap();
    assert_eq!(h.login.pin_expires_at(), Some(start + 900 * SEC));
    let url = h.login.approval_url().unwrap();
    assert_eq!(url.as_str(), "https://plex.tv/link/?pin=ABCD");
}

#[test]
fn caller_timeout() {
    let mut h = Harness::new(LoginOptions::default().with_timeout(Duration::from_millis(2500)));
    h.create(1800);
    h.next_check();
    h.respond(waiting()).unwrap();
    h.next_check();
    h.respond(waiting()).unwrap();
    assert_eq!(h.expect_wait(), Duration::from_millis(500));
    assert_eq!(h.poll().unwrap_err(), Error::TimedOut);
}

#[test]
fn rate_limited_with_retry_after_is_honoured() {
    let mut h = Harness::new(LoginOptions::default());
    h.create(1800);
    h.next_check();
    let limited = http::Response::builder()
        .status(429)
        .header("retry-after", "12")
        .body(Vec::new())
        .unwrap();
    h.respond(limited).unwrap();
    assert_eq!(h.login.consecutive_failures(), 1);
    let (waited, _) = h.next_check();
    assert_eq!(waited, 12 * SEC);
    h.respond(waiting()).unwrap();
    assert_eq!(
        h.login.consecutive_failures(),
        0,
        "a success resets the streak"
    );
}

#[test]
fn rate_limited_without_retry_after_backs_off_exponentially() {
    let mut h = Harness::new(LoginOptions::default().with_max_consecutive_failures(10));
    h.create(1800);
    h.next_check();
    let mut waits = Vec::new();
    for _ in 0..7 {
        h.respond(json(
            429,
            r#"{"errors":[{"code":1003,"message":"too many requests"}]}"#,
        ))
        .unwrap();
        waits.push(h.next_check().0.as_secs());
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
}

#[test]
fn a_server_error_streak_gives_up_with_the_last_error() {
    let mut h = Harness::new(LoginOptions::default().with_max_consecutive_failures(3));
    h.create(1800);
    h.next_check();
    h.respond(json(500, "{}")).unwrap();
    h.next_check();
    h.respond(json(503, "{}")).unwrap();
    h.next_check();
    let last = http::Response::builder()
        .status(502)
        .header("content-type", "text/html")
        .body(b"<html>Bad Gateway</html>".to_vec())
        .unwrap();
    match h.respond(last).unwrap_err() {
        Error::UnexpectedStatus { status, .. } => assert_eq!(status, 502),
        other => panic!("{other:?}"),
    }
    assert!(h.login.is_finished());
}

#[test]
fn malformed_bodies_are_retried_then_reported() {
    let mut h = Harness::new(LoginOptions::default().with_max_consecutive_failures(2));
    h.create(1800);
    h.next_check();
    h.respond(json(200, r#"{"id":77,"code":"#)).unwrap();
    h.next_check();
    assert!(matches!(
        h.respond(json(200, "not json")),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn creation_failures_are_retried_before_any_pin_is_shown() {
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    h.respond(json(503, "")).unwrap();
    assert_eq!(h.expect_wait(), SEC);
    h.create(1800);
}

#[test]
fn transport_failures_back_off_then_give_up() {
    let mut h = Harness::new(LoginOptions::default().with_max_consecutive_failures(3));
    h.expect_send();
    let at = h.now + SEC;
    assert_eq!(h.unanswered(), AfterFailure::Retry { attempt: 1, at });
    assert_eq!(h.expect_wait(), SEC);
    h.create(1800);
    h.next_check();
    let at = h.now + SEC;
    assert_eq!(h.unanswered(), AfterFailure::Retry { attempt: 1, at });
    assert_eq!(h.next_check().0, SEC);
    let at = h.now + 2 * SEC;
    assert_eq!(h.unanswered(), AfterFailure::Retry { attempt: 2, at });
    assert_eq!(h.next_check().0, 2 * SEC);
    assert_eq!(h.unanswered(), AfterFailure::GiveUp);
    assert!(h.login.is_finished());
}

#[test]
fn fatal_statuses_end_the_login_at_once() {
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    let err = h
        .respond(json(400, r#"{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing","status":400}]}"#))
        .unwrap_err();
    assert_eq!(err, Error::MissingClientIdentifier);
}

#[test]
fn driving_out_of_order_is_an_error_not_a_panic() {
    let mut h = Harness::new(LoginOptions::default());
    assert!(matches!(h.respond(waiting()), Err(Error::OutOfOrder(_))));
    h.expect_send();
    assert!(
        matches!(h.poll(), Err(Error::OutOfOrder(_))),
        "request in flight"
    );
    h.respond(created(1800)).unwrap();
    assert!(h.poll().is_ok(), "the misuse did not break the login");
}

#[test]
fn a_token_in_the_creation_response_is_not_taken_as_approval() {
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    h.respond(json(
        201,
        r#"{"id":77,"code":"abcdefghijklmnopqrstuvwxy","authToken":"bogus"}"#,
    ))
    .unwrap();
    match h.poll() {
        Ok(Step::PinReady { pin, .. }) => assert!(pin.auth_token.is_none()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(h.poll(), Ok(Step::WaitUntil(_))));
}

#[test]
fn forward_url_sends_origin_and_lands_in_the_auth_url() {
    let forward = ForwardUrl::parse("https://app.example.com:8443/done?state=1").unwrap();
    let options = LoginOptions::default().with_pin(PinOptions::strong().with_forward_url(forward));
    let mut h = Harness::new(options);
    let req = h.expect_send();
    assert_eq!(req.headers()["origin"], "https://app.example.com:8443");
    assert_eq!(req.uri().query(), Some("strong=true"));
    h.respond(created(1800)).unwrap();
    let url = h.login.approval_url().unwrap();
    assert!(
        url.as_str()
            .ends_with("&forwardUrl=https%3A%2F%2Fapp.example.com%3A8443%2Fdone%3Fstate%3D1"),
        "{url}"
    );
}

/// The JWT sign-in: the pin is created with the device's JWK, each poll carries a device
/// JWT over a fresh nonce, renewed before its 5 minutes run out; the token is a Plex JWT.
#[cfg(feature = "jwt")]
#[test]
fn jwt_login_signs_every_poll_and_renews_the_nonce() {
    use plex_pin::jwt::{verify_jwt, DeviceKey};

    let key = DeviceKey::from_seed([42; 32]);
    let unix_start = UNIX_START;
    let options = LoginOptions::default().with_poll_interval(Duration::from_secs(60));
    let mut h = Harness::of(PinLogin::with_device_key(&config(), options, key.clone()));
    let start = h.now;
    let create = h.expect_send();
    assert_eq!(create.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(create.body()).unwrap();
    assert_eq!(body["strong"], true);
    assert_eq!(body["jwk"]["kid"], key.key_id());
    assert_eq!(body["jwk"]["crv"], "Ed25519");
    h.respond(created(1800)).unwrap();
    assert!(matches!(h.poll(), Ok(Step::PinReady { .. })));

    let mut nonces = 0;
    let mut checks = Vec::new();
    for round in 0..8 {
        h.expect_wait();
        let mut req = h.expect_send();
        if req.uri().path() == "/api/v2/auth/nonce" {
            nonces += 1;
            h.respond(json(200, &format!(r#"{{"nonce":"nonce-{nonces}"}}"#)))
                .unwrap();
            req = h.expect_send(); // the poll goes out at once with the new JWT
        }
        assert_eq!(req.uri().path(), "/api/v2/pins/77");
        let jwt = req
            .uri()
            .query()
            .unwrap()
            .strip_prefix("deviceJWT=")
            .unwrap()
            .to_owned();
        let claims: serde_json::Value = verify_jwt(&jwt, &[key.jwk().clone()]).unwrap();
        let elapsed = (h.now - start).as_secs();
        checks.push((
            claims["nonce"].as_str().unwrap().to_owned(),
            claims["iat"].as_u64().unwrap(),
            elapsed,
        ));
        assert_eq!(claims["iss"], "client-1");
        if round < 7 {
            h.respond(waiting()).unwrap();
        }
    }
    // Polls a minute apart: a device JWT (5 minutes, renewed 30 s early) serves 5 polls.
    assert_eq!(nonces, 2, "{checks:?}");
    for (nonce, iat, elapsed) in &checks {
        let signed_at = if nonce == "nonce-1" { 60 } else { 360 };
        assert_eq!(*iat, unix_start + signed_at, "{nonce} {elapsed}");
    }
    let token = plex_jwt(&key, |_| {});
    h.respond(approved_with(&token)).unwrap();
    assert_eq!(h.expect_send().uri().path(), "/api/v2/auth/keys");
    h.respond(plex_keys()).unwrap();
    match h.poll() {
        Ok(Step::Done(done)) => assert_eq!(done.expose_secret(), token),
        other => panic!("{other:?}"),
    }
}

#[cfg(feature = "jwt")]
#[test]
fn jwt_login_retries_a_rejected_signature_over_a_new_nonce() {
    use plex_pin::jwt::DeviceKey;

    let options = LoginOptions::default().with_max_consecutive_failures(3);
    let mut h = Harness::of(PinLogin::with_device_key(
        &config(),
        options,
        DeviceKey::from_seed([1; 32]),
    ));
    h.expect_send();
    h.respond(created(1800)).unwrap();
    h.poll().unwrap();
    for attempt in 1..=3 {
        h.expect_wait();
        assert_eq!(
            h.expect_send().uri().path(),
            "/api/v2/auth/nonce",
            "attempt {attempt}"
        );
        h.respond(json(200, r#"{"nonce":"n"}"#)).unwrap();
        assert!(h
            .expect_send()
            .uri()
            .query()
            .unwrap()
            .starts_with("deviceJWT="));
        let rejected = h.respond(json(
            422,
            r#"{"errors":[{"message":"Signature Verification Failed"}]}"#,
        ));
        if attempt < 3 {
            rejected.unwrap();
        } else {
            assert_eq!(rejected.unwrap_err(), Error::SignatureRejected);
        }
    }
}

// ---- What a hostile or broken server can send (issue #12): no panic, no unbounded wait.

fn status_with(status: u16, name: &str, value: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header(name, value)
        .header("date", "Tue, 01 Dec 2026 12:00:00 GMT")
        .body(Vec::new())
        .unwrap()
}

/// A `Retry-After` of u64::MAX seconds, or a date millennia away, once panicked in
/// `now + Duration`. Before a pin exists the login now gives up at once with the wait the
/// server asked for, instead of sleeping for it.
#[test]
fn a_huge_retry_after_before_the_pin_ends_the_login_with_rate_limited() {
    let mut values = vec!["18446744073709551615", "99999"];
    // Without the feature an HTTP date is not read (the login backs off instead).
    if cfg!(feature = "http-date") {
        values.push("Fri, 31 Dec 9999 23:59:59 GMT");
    }
    for value in values {
        let mut h = Harness::new(LoginOptions::default());
        h.expect_send();
        match h.respond(status_with(429, "retry-after", value)) {
            Err(Error::RateLimited {
                retry_after: Some(after),
            }) => assert!(after > Duration::from_secs(99_000), "{value}: {after:?}"),
            other => panic!("{value}: expected RateLimited, got {other:?}"),
        }
        assert!(h.login.is_finished(), "{value}");
    }
}

/// A wait the caller's deadline (or the pin's lifetime) cannot hold is not waited out.
#[test]
fn a_retry_after_past_the_deadline_gives_up_at_once() {
    let mut h = Harness::new(LoginOptions::default().with_timeout(10 * SEC));
    h.expect_send();
    let err = h
        .respond(status_with(429, "retry-after", "11"))
        .unwrap_err();
    assert_eq!(
        err,
        Error::RateLimited {
            retry_after: Some(11 * SEC)
        }
    );

    // After creation, the pin's own expiry bounds it too.
    let mut h = Harness::new(LoginOptions::default());
    h.create(60);
    h.next_check();
    assert!(h.respond(status_with(429, "retry-after", "61")).is_err());
    let mut h = Harness::new(LoginOptions::default());
    h.create(60);
    h.next_check();
    h.respond(status_with(429, "retry-after", "30")).unwrap();
    assert_eq!(h.next_check().0, 30 * SEC);
}

#[test]
fn retry_after_on_a_503_is_honoured() {
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    h.respond(status_with(503, "retry-after", "5")).unwrap();
    assert_eq!(h.expect_wait(), 5 * SEC);
    h.create(1800);
    h.next_check();
    h.respond(status_with(503, "retry-after", "7")).unwrap();
    assert_eq!(h.next_check().0, 7 * SEC);
}

/// `expiresIn` of 2^63, 10^12 or u64::MAX once panicked; it is clamped to an hour.
#[test]
fn a_huge_expires_in_is_clamped_to_an_hour() {
    for expires_in in [u64::MAX, 1 << 63, 1_000_000_000_000, 3601] {
        let mut h = Harness::new(LoginOptions::default().with_poll_interval(600 * SEC));
        h.create(expires_in);
        let deadline = h.login.pin_expires_at().unwrap();
        assert_eq!(
            deadline - h.now,
            plex_pin::limits::MAX_PIN_LIFETIME,
            "{expires_in}"
        );
        for _ in 0..5 {
            h.next_check();
            h.respond(waiting()).unwrap();
        }
        // The sixth wait is cut at the clamped expiry, which ends the login.
        assert_eq!(h.expect_wait(), 600 * SEC);
        assert_eq!(
            h.poll().unwrap_err(),
            Error::PinExpired {
                by: ExpiredBy::LocalDeadline
            }
        );
    }
}

/// Negative, fractional and non-numeric numbers are typed decode errors (retried, then
/// reported), never a panic.
#[test]
fn negative_and_non_numeric_numbers_are_decode_errors() {
    for body in [
        r#"{"id":77,"code":"ABCD","expiresIn":-1}"#,
        r#"{"id":-77,"code":"ABCD"}"#,
        r#"{"id":77,"code":"ABCD","expiresIn":"soon"}"#,
        r#"{"id":18446744073709551616,"code":"ABCD"}"#,
        r#"{"id":77,"code":"ABCD","expiresIn":1e400}"#,
    ] {
        let mut h = Harness::new(LoginOptions::default().with_max_consecutive_failures(1));
        h.expect_send();
        assert!(
            matches!(h.respond(json(201, body)), Err(Error::Decode { .. })),
            "{body}"
        );
    }
}

/// The caller's own extreme values neither panic nor spin.
#[test]
fn extreme_options_are_bounded() {
    let options = LoginOptions::default()
        .with_timeout(Duration::MAX)
        .with_poll_interval(Duration::ZERO)
        .with_max_backoff(Duration::MAX);
    let mut h = Harness::new(options);
    h.create(1800);
    let (waited, _) = h.next_check();
    assert_eq!(
        waited,
        plex_pin::limits::MIN_POLL_INTERVAL,
        "a zero interval is floored"
    );
    assert_eq!(
        h.login.deadline(),
        None,
        "an unrepresentable deadline is none"
    );

    let mut h = Harness::new(LoginOptions::default().with_poll_interval(Duration::MAX));
    h.create(1800);
    assert_eq!(h.expect_wait(), 1800 * SEC, "cut at the pin's expiry");
}

/// A redirect-following client handed the login another pin's answer, token included: the
/// core refuses any poll answer that is not about the pin it polls.
#[test]
fn an_answer_about_another_pin_is_refused_not_taken_as_approval() {
    let answers = [
        (
            r#"{"id":78,"code":"abcdefghijklmnopqrstuvwxy","authToken":"stolen"}"#,
            "id",
        ),
        (
            r#"{"id":77,"code":"zzzzzzzzzzzzzzzzzzzzzzzzz","authToken":"stolen"}"#,
            "code",
        ),
        (
            r#"{"id":77,"code":"abcdefghijklmnopqrstuvwxy","clientIdentifier":"someone-else","authToken":"stolen"}"#,
            "clientIdentifier",
        ),
    ];
    for (body, field) in answers {
        let mut h = Harness::new(LoginOptions::default());
        h.create(1800);
        h.next_check();
        assert_eq!(
            h.respond(json(200, body)).unwrap_err(),
            Error::UnexpectedPin { field },
            "{body}"
        );
        assert!(h.login.is_finished());
    }
    // The creation answer is checked for its client identifier too.
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    let other = r#"{"id":77,"code":"ABCD","clientIdentifier":"someone-else"}"#;
    assert!(matches!(
        h.respond(json(201, other)),
        Err(Error::UnexpectedPin { .. })
    ));
    // Our own identifier is fine.
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    let ours = r#"{"id":77,"code":"ABCD","clientIdentifier":"client-1"}"#;
    h.respond(json(201, ours)).unwrap();
}

/// With every answer a 500 and a deadline, the login reports the 500, not "not approved".
#[test]
fn a_failure_streak_cut_by_the_deadline_reports_the_failure() {
    let options = LoginOptions::default()
        .with_timeout(10 * SEC)
        .with_max_consecutive_failures(100);
    let mut h = Harness::new(options);
    let mut waited = Duration::ZERO;
    loop {
        h.expect_send();
        match h.respond(json(500, "{}")) {
            Ok(()) => waited += h.expect_wait(),
            Err(error) => {
                assert!(
                    matches!(error, Error::UnexpectedStatus { status, .. } if status == 500),
                    "{error:?}"
                );
                break;
            }
        }
    }
    assert_eq!(
        waited,
        7 * SEC,
        "1 + 2 + 4 s; the next retry would pass the deadline"
    );
    // Transport failures the same: the transport's own error is the one to report.
    let mut h = Harness::new(LoginOptions::default().with_timeout(2 * SEC));
    h.expect_send();
    assert!(matches!(h.unanswered(), AfterFailure::Retry { .. }));
    h.expect_wait();
    h.expect_send();
    assert_eq!(h.unanswered(), AfterFailure::GiveUp);
    // A request cut by the deadline reports the deadline, not the transport's timeout.
    let mut h = Harness::new(LoginOptions::default().with_timeout(2 * SEC));
    h.expect_send();
    h.now += 2 * SEC;
    assert_eq!(h.unanswered(), AfterFailure::Continue);
    assert_eq!(h.poll().unwrap_err(), Error::TimedOut);
}

/// Each request may take no longer than the time left: a server that never answers cannot
/// hold the login past its deadline.
#[test]
fn the_request_timeout_is_cut_to_the_time_left() {
    let mut h = Harness::new(LoginOptions::default().with_timeout(3 * SEC));
    let limit = Duration::from_secs(15);
    h.expect_send();
    assert_eq!(h.login.request_timeout(h.now, limit), 3 * SEC);
    assert_eq!(h.login.request_timeout(h.now, SEC), SEC);
    h.now += 2 * SEC;
    assert_eq!(h.login.request_timeout(h.now, limit), SEC);
    h.now += 5 * SEC;
    assert_eq!(
        h.login.request_timeout(h.now, limit),
        Duration::from_millis(1),
        "never zero"
    );
    // Without a caller deadline, the pin's expiry bounds the polls.
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    assert_eq!(h.login.request_timeout(h.now, limit), limit);
    h.respond(created(10)).unwrap();
    assert_eq!(h.login.request_timeout(h.now, limit), 10 * SEC);
}

/// A code outside plex.tv's charset (escape sequences, markup, a megabyte) is refused.
#[test]
fn a_pin_code_outside_the_charset_is_a_decode_error() {
    let long = "A".repeat(65);
    for code in ["\\u001b[2J", "AB CD", "", "<b>x</b>", "ABÇD", long.as_str()] {
        let mut h = Harness::new(LoginOptions::default().with_max_consecutive_failures(1));
        h.expect_send();
        let body = format!(r#"{{"id":77,"code":"{code}"}}"#);
        match h.respond(json(201, &body)) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "code", "{code}"),
            other => panic!("{code}: {other:?}"),
        }
    }
}

/// Each failed attempt says what failed, how many in a row, and when the next goes out;
/// a success ends the streak.
#[test]
fn each_failure_says_what_it_retries_after_and_when() {
    let mut h = Harness::new(LoginOptions::default());
    h.expect_send();
    match h.outcome(status_with(429, "retry-after", "3")) {
        Ok(AfterResponse::Retry { error, attempt, at }) => {
            assert_eq!(
                error,
                Error::RateLimited {
                    retry_after: Some(3 * SEC)
                }
            );
            assert_eq!((attempt, at), (1, h.now + 3 * SEC));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.expect_wait(), 3 * SEC);
    h.expect_send();
    assert_eq!(
        h.unanswered(),
        AfterFailure::Retry {
            attempt: 2,
            at: h.now + 2 * SEC
        }
    );
    h.expect_wait();
    h.expect_send();
    assert!(matches!(
        h.outcome(created(1800)),
        Ok(AfterResponse::Continue)
    ));
    assert_eq!(h.login.consecutive_failures(), 0);
}

/// A failure no retry mends ends the login at once: a certificate that does not verify,
/// a redirect the client refused, a cancelled request.
#[test]
fn tls_redirect_and_cancel_failures_are_not_retried() {
    for kind in [
        TransportErrorKind::Tls,
        TransportErrorKind::Redirect,
        TransportErrorKind::Cancelled,
    ] {
        let mut h = Harness::new(LoginOptions::default());
        h.expect_send();
        assert_eq!(
            h.login.transport_failed(h.now, kind),
            AfterFailure::GiveUp,
            "{kind:?}"
        );
        assert!(h.login.is_finished(), "{kind:?}");
    }
    for kind in [
        TransportErrorKind::Connect,
        TransportErrorKind::Timeout,
        TransportErrorKind::BodyTooLarge,
        TransportErrorKind::Other,
    ] {
        let mut h = Harness::new(LoginOptions::default());
        h.expect_send();
        assert!(
            matches!(
                h.login.transport_failed(h.now, kind),
                AfterFailure::Retry { .. }
            ),
            "{kind:?}"
        );
    }
}

// ---- Resumable logins (issue #14): created in one PinLogin, polled in another.

/// Create in one login, save, serialise, resume in a fresh one (as another process would),
/// approve, get the token; the resumed login keeps the pin's remaining life.
#[test]
fn a_saved_pin_resumes_in_a_fresh_login() {
    let mut first = Harness::new(LoginOptions::default());
    first.create(1800);
    first.next_check();
    first.respond(waiting()).unwrap();
    let saved = first.login.save().unwrap();
    assert_eq!(
        (saved.id, saved.code.as_str()),
        (77, "abcdefghijklmnopqrstuvwxy")
    );
    assert_eq!(saved.expires_at, UNIX_START + 1800, "1800 s from creation");
    let text = serde_json::to_string(&saved).unwrap();
    assert!(!text.contains("token"), "{text}");
    drop(first);

    // Ten minutes later, elsewhere.
    let restored: plex_pin::SavedPin = serde_json::from_str(&text).unwrap();
    let login = PinLogin::resume(&config(), LoginOptions::default(), &restored).unwrap();
    let mut second = Harness::at(login, UNIX_START + 600);
    let req = second.expect_send();
    assert_eq!(
        req.uri().path(),
        "/api/v2/pins/77",
        "polls at once, no new pin"
    );
    second.respond(waiting()).unwrap();
    let left = second.login.pin_expires_at().unwrap() - second.now;
    assert_eq!(left, Duration::from_secs(1200));
    second.next_check();
    second.respond(approved()).unwrap();
    match second.poll() {
        Ok(Step::Done(token)) => assert_eq!(token.expose_secret(), "the-token"),
        other => panic!("{other:?}"),
    }
}

/// Without the wall clock a plain login still runs (its saved pins have no expiry), but a
/// resumed pin cannot count its life: an error at the first poll, not a guess.
#[test]
fn a_resumed_pin_needs_the_wall_clock() {
    let mut plain = PinLogin::new(&config(), LoginOptions::default());
    let now = Instant::now();
    assert!(matches!(plain.poll(now), Ok(Step::Send(_))));
    let _created = plain.handle_response(now, created(1800)).unwrap();
    assert!(matches!(plain.poll(now), Ok(Step::PinReady { saved, .. }) if saved.expires_at == 0));
    let id = ClientId::new("client-1").unwrap();
    let saved = plex_pin::SavedPin::new(77, "", &id, UNIX_START + 900);
    let mut resumed = PinLogin::resume(&config(), LoginOptions::default(), &saved).unwrap();
    assert!(matches!(resumed.poll(now), Err(Error::OutOfOrder(_))));
    assert!(resumed.is_finished());
}

#[test]
fn a_saved_pin_is_refused_under_another_client_id_and_ends_when_expired() {
    let saved: plex_pin::SavedPin = serde_json::from_str(
        r#"{"id":77,"code":"abcdefghijklmnopqrstuvwxy","clientIdentifier":"someone-else","expiresAt":1800000900}"#,
    )
    .unwrap();
    assert_eq!(
        PinLogin::resume(&config(), LoginOptions::default(), &saved).unwrap_err(),
        Error::ClientMismatch
    );
    let mut ours = saved.clone();
    ours.client_identifier = "client-1".to_owned();
    let resumed = PinLogin::resume(&config(), LoginOptions::default(), &ours).unwrap();
    let mut late = Harness::at(resumed, 1_800_001_000);
    assert_eq!(
        late.poll().unwrap_err(),
        Error::PinExpired {
            by: ExpiredBy::LocalDeadline
        }
    );
    // An expiry absurdly far away is held to the longest pin life.
    ours.expires_at = u64::MAX;
    let resumed = PinLogin::resume(&config(), LoginOptions::default(), &ours).unwrap();
    let mut far = Harness::at(resumed, 0);
    far.expect_send();
    assert_eq!(
        far.login.pin_expires_at().unwrap() - far.now,
        plex_pin::limits::MAX_PIN_LIFETIME
    );
}

/// A page reloaded mid-login may have kept only the pin's id: the resumed login takes the
/// code from the first answer about that id (and refuses another code after that), and
/// without an expiry waits at most the longest pin life.
#[test]
fn a_pin_resumed_by_its_id_alone_learns_its_code_from_the_first_answer() {
    let id = ClientId::new("client-1").unwrap();
    let saved = plex_pin::SavedPin::new(77, "", &id, 0);
    let mut login =
        Harness::of(PinLogin::resume(&config(), LoginOptions::default(), &saved).unwrap());
    login.expect_send();
    assert_eq!(
        login.login.pin_expires_at().unwrap() - login.now,
        plex_pin::limits::MAX_PIN_LIFETIME
    );
    login.respond(waiting()).unwrap();
    assert_eq!(login.login.pin().unwrap().code, "abcdefghijklmnopqrstuvwxy");
    login.next_check();
    let other_code = json(
        200,
        r#"{"id":77,"code":"zzzzzzzzzzzzzzzzzzzzzzzzz","authToken":"x"}"#,
    );
    assert_eq!(
        login.respond(other_code).unwrap_err(),
        Error::UnexpectedPin { field: "code" }
    );
}

/// An approved poll handing out `token`.
#[cfg(feature = "jwt")]
fn approved_with(token: &str) -> http::Response<Vec<u8>> {
    json(
        200,
        &format!(r#"{{"id":77,"code":"abcdefghijklmnopqrstuvwxy","authToken":"{token}"}}"#),
    )
}

/// A JWT sign-in's pin saved by one request and resumed by another: the resumed login
/// fetches a nonce first, then signs its polls with the same key; the token is handed out
/// once it verifies against Plex's keys.
#[cfg(feature = "jwt")]
#[test]
fn a_jwt_sign_in_resumes_with_its_device_key() {
    use plex_pin::jwt::{verify_jwt, DeviceKey};

    let key = DeviceKey::from_seed([9; 32]);
    let mut first = Harness::of(PinLogin::with_device_key(
        &config(),
        LoginOptions::default(),
        key.clone(),
    ));
    first.expect_send();
    first.respond(created(1800)).unwrap();
    assert!(matches!(first.poll(), Ok(Step::PinReady { .. })));
    let saved = first.login.save().expect("a JWT pin saves too");
    let text = serde_json::to_string(&saved).unwrap();
    drop(first);

    let restored: plex_pin::SavedPin = serde_json::from_str(&text).unwrap();
    let login = PinLogin::resume_with_device_key(
        &config(),
        LoginOptions::default(),
        &restored,
        key.clone(),
    )
    .unwrap();
    let mut second = Harness::at(login, UNIX_START + 60);
    let nonce = second.expect_send();
    assert_eq!(nonce.uri().path(), "/api/v2/auth/nonce");
    second.respond(json(200, r#"{"nonce":"n-1"}"#)).unwrap();
    let poll = second.expect_send();
    assert_eq!(poll.uri().path(), "/api/v2/pins/77");
    let jwt = poll
        .uri()
        .query()
        .unwrap()
        .strip_prefix("deviceJWT=")
        .unwrap();
    let claims: serde_json::Value = verify_jwt(jwt, &[key.jwk().clone()]).unwrap();
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["iat"], UNIX_START + 60);
    let token = plex_jwt(&key, |_| {});
    second.respond(approved_with(&token)).unwrap();
    assert_eq!(second.expect_send().uri().path(), "/api/v2/auth/keys");
    second.respond(plex_keys()).unwrap();
    match second.poll() {
        Ok(Step::Done(done)) => assert_eq!(done.expose_secret(), token),
        other => panic!("{other:?}"),
    }
}

/// What a server may hand over in place of a Plex JWT for this device: each ends the
/// sign-in with a typed error, and nothing is handed out.
#[cfg(feature = "jwt")]
#[test]
fn forged_plex_jwts_end_the_sign_in_with_a_typed_error() {
    use base64::Engine;
    use plex_pin::jwt::{DeviceKey, JwtError};

    let key = DeviceKey::from_seed([9; 32]);
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let valid = plex_jwt(&key, |_| {});
    let claims_part = valid.split('.').nth(1).unwrap().to_owned();
    let stranger = DeviceKey::from_seed([0xAB; 32]);
    let cases: Vec<(&str, String, JwtError)> = vec![
        (
            "unsigned (alg none)",
            format!("{}.{claims_part}.", b64(br#"{"alg":"none","typ":"JWT"}"#)),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            "signed by a key Plex does not publish",
            stranger.sign(&serde_json::json!({
                "iss": "plex.tv", "aud": "plex.tv", "exp": UNIX_START + 3600,
                "thumbprint": key.key_id()
            })),
            JwtError::BadSignature,
        ),
        (
            "expired",
            plex_jwt(&key, |c| c["exp"] = (UNIX_START - 1).into()),
            JwtError::Expired,
        ),
        (
            "for another device",
            plex_jwt(&stranger, |_| {}),
            JwtError::WrongThumbprint,
        ),
        (
            "naming no device",
            plex_jwt(&key, |c| {
                drop(c.as_object_mut().unwrap().remove("thumbprint"))
            }),
            JwtError::MissingThumbprint,
        ),
        (
            "from another issuer",
            plex_jwt(&key, |c| c["iss"] = "evil".into()),
            JwtError::WrongIssuer,
        ),
        (
            "for another audience",
            plex_jwt(&key, |c| c["aud"] = "someone-else".into()),
            JwtError::WrongAudience,
        ),
        (
            "not a JWT at all",
            "legacy-looking-token".to_owned(),
            JwtError::Malformed("it needs three dot-separated parts"),
        ),
        (
            "8 KB of junk",
            "x".repeat(plex_pin::limits::MAX_TOKEN_LEN),
            JwtError::Malformed("it needs three dot-separated parts"),
        ),
    ];
    for (what, token, why) in cases {
        let mut h = Harness::of(PinLogin::with_device_key(
            &config(),
            LoginOptions::default(),
            key.clone(),
        ));
        h.expect_send();
        h.respond(created(1800)).unwrap();
        h.poll().unwrap();
        h.expect_wait();
        assert_eq!(h.expect_send().uri().path(), "/api/v2/auth/nonce", "{what}");
        h.respond(json(200, r#"{"nonce":"n"}"#)).unwrap();
        h.expect_send();
        h.respond(approved_with(&token)).unwrap();
        assert_eq!(h.expect_send().uri().path(), "/api/v2/auth/keys", "{what}");
        assert_eq!(
            h.respond(plex_keys()).unwrap_err(),
            Error::InvalidJwt(why),
            "{what}"
        );
        assert!(h.login.is_finished(), "{what}");
        let message = Error::InvalidJwt(JwtError::Expired).to_string();
        assert!(
            !message.contains(&token),
            "{what}: the token stays out of messages"
        );
    }
}

/// A nonce too long to carry in a poll's query (or not text) is a decode error, never a
/// request sent somewhere else: the device JWT goes into the URL.
#[cfg(feature = "jwt")]
#[test]
fn a_nonce_that_cannot_form_a_request_is_a_decode_error() {
    use plex_pin::jwt::DeviceKey;
    let long = "n".repeat(100_000);
    for nonce in [long.as_str(), "", "a b", "\u{0}", "é"] {
        let options = LoginOptions::default().with_max_consecutive_failures(1);
        let mut h = Harness::of(PinLogin::with_device_key(
            &config(),
            options,
            DeviceKey::from_seed([3; 32]),
        ));
        h.expect_send();
        h.respond(created(1800)).unwrap();
        h.poll().unwrap();
        h.expect_wait();
        assert_eq!(h.expect_send().uri().path(), "/api/v2/auth/nonce");
        let body = serde_json::json!({ "nonce": nonce }).to_string();
        match h.respond(json(200, &body)) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "nonce"),
            other => panic!("{nonce:.20}: {other:?}"),
        }
    }
}
