//! The run loops of `plex_pin::drive` over scripted transports: what they send, what they
//! report, when they stop. The async loop runs on a virtual clock; the blocking loop and
//! cancellation on the real one, with waits of a few tens of milliseconds.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use std::time::Duration;

use plex_pin::drive::{self, AsyncTransport, BlockingTransport, Cancel, Clock, Event, Failure};
use plex_pin::{Error, Instant, LoginOptions, PinLogin, Request};

use common::{config, json};

const POLL: Duration = Duration::from_millis(50);

fn options() -> LoginOptions {
    LoginOptions::default().with_poll_interval(POLL)
}

const CREATED: &str = r#"{"id":77,"code":"ABCD","expiresIn":900}"#;
const WAITING: &str = r#"{"id":77,"code":"ABCD"}"#;
const APPROVED: &str = r#"{"id":77,"code":"ABCD","authToken":"the-token"}"#;

/// A transport error of the tests' own.
#[derive(Debug, PartialEq)]
enum TestError {
    Plex(Error),
    Refused,
}

impl From<Error> for TestError {
    fn from(error: Error) -> Self {
        TestError::Plex(error)
    }
}

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Answers from a script, one per request, on a virtual clock that sleeping moves.
struct Scripted {
    answers: RefCell<VecDeque<Result<http::Response<Vec<u8>>, TestError>>>,
    sent: RefCell<Vec<(String, Duration)>>,
    start: Instant,
    elapsed: Cell<Duration>,
}

impl Scripted {
    fn new(answers: Vec<Result<http::Response<Vec<u8>>, TestError>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            sent: RefCell::new(Vec::new()),
            start: Instant::now(),
            elapsed: Cell::new(Duration::ZERO),
        }
    }

    fn answer(
        &self,
        request: Request,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TestError> {
        let line = format!("{} {}", request.method(), request.uri().path());
        self.sent.borrow_mut().push((line, timeout));
        self.answers
            .borrow_mut()
            .pop_front()
            .expect("a scripted answer")
    }
}

impl Clock for Scripted {
    fn now(&self) -> Instant {
        self.start + self.elapsed.get()
    }
    fn unix_now(&self) -> u64 {
        1_800_000_000 + self.elapsed.get().as_secs()
    }
}

impl AsyncTransport for Scripted {
    type Body = Vec<u8>;
    type Error = TestError;

    fn send(
        &self,
        request: Request,
        timeout: Duration,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TestError>> {
        std::future::ready(self.answer(request, timeout))
    }

    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> {
        self.elapsed.set(self.elapsed.get().max(at - self.start));
        std::future::ready(())
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(7)
    }
}

/// Runs a future on this thread, parking between polls.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// What an observer saw, as text.
fn describe(event: &Event<'_, TestError>) -> String {
    match event {
        Event::PinReady {
            pin,
            url,
            expires_at,
        } => {
            format!(
                "pin {} at {url} expiring: {}",
                pin.code,
                expires_at.is_some()
            )
        }
        Event::Retrying { attempt, error, .. } => match error {
            Failure::Transport(e) => format!("retry {attempt} after transport {e}"),
            Failure::Server(e) => format!("retry {attempt} after server: {e}"),
        },
        Event::Waiting { deadline, .. } => format!("waiting, deadline: {}", deadline.is_some()),
        _ => "other".into(),
    }
}

#[test]
fn the_async_loop_reports_the_pin_each_retry_and_each_wait() {
    let transport = Scripted::new(vec![
        Err(TestError::Refused),
        Ok(json(201, CREATED)),
        Ok(json(503, "{}")),
        Ok(json(200, WAITING)),
        Ok(json(200, APPROVED)),
    ]);
    let mut seen = Vec::new();
    let token = block_on(drive::run(
        &transport,
        PinLogin::new(&config(), options()),
        None,
        |e| seen.push(describe(&e)),
    ))
    .unwrap();
    assert_eq!(token.expose_secret(), "the-token");
    assert_eq!(
        seen,
        [
            "retry 1 after transport Refused",
            "pin ABCD at https://plex.tv/link/?pin=ABCD expiring: true",
            "waiting, deadline: true",
            "retry 1 after server: unexpected HTTP 503 from plex.tv",
            "waiting, deadline: true",
        ]
    );
    let sent = transport.sent.borrow();
    let paths: Vec<_> = sent.iter().map(|(line, _)| line.as_str()).collect();
    assert_eq!(
        paths,
        [
            "POST /api/v2/pins",
            "POST /api/v2/pins",
            "GET /api/v2/pins/77",
            "GET /api/v2/pins/77",
            "GET /api/v2/pins/77"
        ]
    );
    // Every request went out with the transport's own limit (the pin has 15 minutes).
    assert!(sent
        .iter()
        .all(|(_, timeout)| *timeout == Duration::from_secs(7)));
}

#[test]
fn requests_are_cut_to_the_time_the_login_has_left() {
    let transport = Scripted::new(vec![Ok(json(201, CREATED)), Ok(json(200, APPROVED))]);
    let login = PinLogin::new(&config(), options().with_timeout(Duration::from_secs(2)));
    block_on(drive::run(&transport, login, None, |_| {})).unwrap();
    assert!(transport
        .sent
        .borrow()
        .iter()
        .all(|(_, t)| *t <= Duration::from_secs(2)));
}

#[test]
fn a_fatal_answer_ends_the_loop_with_the_core_error_in_the_transport_error() {
    let transport = Scripted::new(vec![
        Ok(json(201, CREATED)),
        Ok(json(
            404,
            r#"{"errors":[{"code":1020,"message":"Code not found or expired"}]}"#,
        )),
    ]);
    let error = block_on(drive::run(
        &transport,
        PinLogin::new(&config(), options()),
        None,
        |_| {},
    ))
    .unwrap_err();
    assert!(
        matches!(error, TestError::Plex(Error::PinExpired { .. })),
        "{error:?}"
    );
}

#[test]
fn the_transport_error_is_returned_when_the_login_gives_up() {
    let transport = Scripted::new((0..3).map(|_| Err(TestError::Refused)).collect());
    let login = PinLogin::new(&config(), options().with_max_consecutive_failures(3));
    let error = block_on(drive::run(&transport, login, None, |_| {})).unwrap_err();
    assert_eq!(error, TestError::Refused);
}

#[test]
fn a_cancelled_handle_stops_the_async_loop_before_anything_is_sent() {
    let transport = Scripted::new(vec![]);
    let cancel = Cancel::new();
    cancel.cancel();
    let error = block_on(drive::run(
        &transport,
        PinLogin::new(&config(), options()),
        Some(&cancel),
        |_| {},
    ))
    .unwrap_err();
    assert_eq!(error, TestError::Plex(Error::Cancelled));
    assert!(transport.sent.borrow().is_empty());
}

/// A transport whose requests never complete (async) until cancelled.
struct Hanging;

impl Clock for Hanging {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_now(&self) -> u64 {
        0
    }
}

impl AsyncTransport for Hanging {
    type Body = Vec<u8>;
    type Error = TestError;
    async fn send(&self, _: Request, _: Duration) -> Result<http::Response<Vec<u8>>, TestError> {
        std::future::pending().await
    }
    async fn sleep_until(&self, _: Instant) {}
}

#[test]
fn cancel_from_another_thread_ends_a_request_in_flight() {
    let cancel = Cancel::new();
    let remote = cancel.clone();
    let started = std::time::Instant::now();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        remote.cancel();
    });
    let error = block_on(drive::run(
        &Hanging,
        PinLogin::new(&config(), options()),
        Some(&cancel),
        |_| {},
    ))
    .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(error, TestError::Plex(Error::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// A blocking transport: the pin is created, then never approved.
struct Pending;

impl Clock for Pending {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_now(&self) -> u64 {
        0
    }
}

impl BlockingTransport for Pending {
    type Body = Vec<u8>;
    type Error = TestError;
    fn send(&self, request: Request, _: Duration) -> Result<http::Response<Vec<u8>>, TestError> {
        Ok(json(
            if request.method() == "POST" { 201 } else { 200 },
            if request.method() == "POST" {
                CREATED
            } else {
                WAITING
            },
        ))
    }
}

#[test]
fn the_blocking_loop_polls_until_cancelled_from_another_thread() {
    let cancel = Cancel::new();
    let remote = cancel.clone();
    // A poll every 30 s: only the cancel can end the wait in time.
    let login = PinLogin::new(
        &config(),
        LoginOptions::default().with_poll_interval(Duration::from_secs(30)),
    );
    let started = std::time::Instant::now();
    let mut shown = 0;
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        remote.cancel();
    });
    let error = drive::run_blocking(&Pending, login, Some(&cancel), |event| {
        if let Event::PinReady { .. } = event {
            shown += 1;
        }
    })
    .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(error, TestError::Plex(Error::Cancelled));
    assert_eq!(shown, 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_blocking_loop_ends_at_the_callers_deadline() {
    let login = PinLogin::new(
        &config(),
        options().with_timeout(Duration::from_millis(200)),
    );
    let error = drive::run_blocking(&Pending, login, None, |_| {}).unwrap_err();
    assert_eq!(error, TestError::Plex(Error::TimedOut));
}

#[cfg(feature = "jwt")]
#[test]
fn a_refresh_fetches_a_nonce_then_exchanges_a_signed_device_jwt() {
    use plex_pin::jwt::DeviceKey;
    let transport = Scripted::new(vec![
        Ok(json(200, r#"{"nonce":"n-1"}"#)),
        Ok(json(200, r#"{"auth_token":"new-plex-jwt"}"#)),
    ]);
    let refresh =
        plex_pin::JwtRefresh::new(&config(), DeviceKey::from_seed([7; 32]), 1_800_000_000);
    let token = block_on(drive::run(&transport, refresh, None, |_| {})).unwrap();
    assert_eq!(token.expose_secret(), "new-plex-jwt");
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].0, "GET /api/v2/auth/nonce");
    assert_eq!(sent[1].0, "POST /api/v2/auth/token");
}

#[cfg(feature = "jwt")]
#[test]
fn a_refresh_refused_ends_with_the_error_and_no_retry() {
    use plex_pin::jwt::DeviceKey;
    let transport = Scripted::new(vec![
        Ok(json(200, r#"{"nonce":"n-1"}"#)),
        Ok(json(422, "{}")),
    ]);
    let refresh =
        plex_pin::JwtRefresh::new(&config(), DeviceKey::from_seed([7; 32]), 1_800_000_000);
    let error = block_on(drive::run(&transport, refresh, None, |_| {})).unwrap_err();
    assert!(matches!(error, TestError::Plex(_)), "{error:?}");
    assert_eq!(transport.sent.borrow().len(), 2);
}
