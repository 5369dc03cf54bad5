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
use plex_pin::{Error, Instant, LoginOptions, PinLogin, Request, TransportErrorKind};

use common::{config, json};
#[cfg(feature = "jwt")]
use common::{plex_jwt, plex_keys, UNIX_START};

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
    /// A certificate that does not verify.
    BadCertificate,
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
    /// Waits that wake a millisecond early, as a browser's timers may.
    early_wakes: Cell<u32>,
}

impl Scripted {
    fn new(answers: Vec<Result<http::Response<Vec<u8>>, TestError>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            sent: RefCell::new(Vec::new()),
            start: Instant::now(),
            elapsed: Cell::new(Duration::ZERO),
            early_wakes: Cell::new(0),
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
        let mut woke = at - self.start;
        if self.early_wakes.get() > 0 {
            self.early_wakes.set(self.early_wakes.get() - 1);
            woke -= Duration::from_millis(1);
        }
        self.elapsed.set(self.elapsed.get().max(woke));
        std::future::ready(())
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(7)
    }

    fn error_kind(&self, error: &TestError) -> TransportErrorKind {
        match error {
            TestError::BadCertificate => TransportErrorKind::Tls,
            _ => TransportErrorKind::Connect,
        }
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
            pin, url, saved, ..
        } => {
            format!(
                "pin {} at {url}, saved as {} expiring at {}",
                pin.code, saved.id, saved.expires_at
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
            // 900 s to live from its creation, on the transport's wall clock (Unix 1800000000).
            "pin ABCD at https://plex.tv/link/?pin=ABCD, saved as 77 expiring at 1800000900",
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
    let key = DeviceKey::from_seed([7; 32]);
    let transport = Scripted::new(vec![
        Ok(json(200, r#"{"nonce":"n-1"}"#)),
        Ok(json(
            200,
            &format!(r#"{{"auth_token":"{}"}}"#, plex_jwt(&key, |_| {})),
        )),
        Ok(plex_keys()),
    ]);
    let refresh = plex_pin::JwtRefresh::new(&config(), key.clone());
    let token = block_on(drive::run(&transport, refresh, None, |_| {})).unwrap();
    assert_eq!(token.expose_secret(), plex_jwt(&key, |_| {}));
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].0, "GET /api/v2/auth/nonce");
    assert_eq!(sent[1].0, "POST /api/v2/auth/token");
    assert_eq!(sent[2].0, "GET /api/v2/auth/keys");
}

/// A refreshed Plex JWT that does not verify is not handed out; a signature refused over
/// a fresh nonce is a key plex.tv does not know.
#[cfg(feature = "jwt")]
#[test]
fn a_refresh_hands_out_only_a_verified_jwt() {
    use plex_pin::jwt::{DeviceKey, JwtError};
    let key = DeviceKey::from_seed([7; 32]);
    let expired = plex_jwt(&key, |c| c["exp"] = UNIX_START.into());
    let transport = Scripted::new(vec![
        Ok(json(200, r#"{"nonce":"n-1"}"#)),
        Ok(json(200, &format!(r#"{{"auth_token":"{expired}"}}"#))),
        Ok(plex_keys()),
    ]);
    let refresh = plex_pin::JwtRefresh::new(&config(), key.clone());
    let error = block_on(drive::run(&transport, refresh, None, |_| {})).unwrap_err();
    assert_eq!(error, TestError::Plex(Error::InvalidJwt(JwtError::Expired)));

    let transport = Scripted::new(vec![
        Ok(json(200, r#"{"nonce":"n-1"}"#)),
        Ok(json(
            422,
            r#"{"errors":[{"message":"Signature Verification Failed"}]}"#,
        )),
    ]);
    let refresh = plex_pin::JwtRefresh::new(&config(), key);
    let error = block_on(drive::run(&transport, refresh, None, |_| {})).unwrap_err();
    assert_eq!(error, TestError::Plex(Error::DeviceKeyUnknown));
}

#[cfg(feature = "jwt")]
#[test]
fn a_refresh_refused_ends_with_the_error_and_no_retry() {
    use plex_pin::jwt::DeviceKey;
    let transport = Scripted::new(vec![
        Ok(json(200, r#"{"nonce":"n-1"}"#)),
        Ok(json(422, "{}")),
    ]);
    let refresh = plex_pin::JwtRefresh::new(&config(), DeviceKey::from_seed([7; 32]));
    let error = block_on(drive::run(&transport, refresh, None, |_| {})).unwrap_err();
    assert!(matches!(error, TestError::Plex(_)), "{error:?}");
    assert_eq!(transport.sent.borrow().len(), 2);
}

/// A certificate that does not verify will not verify on the next try: the loop returns
/// the transport's error after one attempt, without a retry event.
#[test]
fn a_tls_failure_ends_the_loop_at_once() {
    let transport = Scripted::new(vec![Err(TestError::BadCertificate)]);
    let mut seen = Vec::new();
    let error = block_on(drive::run(
        &transport,
        PinLogin::new(&config(), options()),
        None,
        |e| seen.push(describe(&e)),
    ))
    .unwrap_err();
    assert_eq!(error, TestError::BadCertificate);
    assert!(seen.is_empty(), "{seen:?}");
    assert_eq!(transport.sent.borrow().len(), 1);
}

/// A blocking transport that answers nothing until cancelled, through the hook it
/// registers for the request: what a socket shut down on cancel does.
struct Interruptible {
    sends: std::sync::atomic::AtomicUsize,
}

impl Clock for Interruptible {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_now(&self) -> u64 {
        0
    }
}

impl BlockingTransport for Interruptible {
    type Body = Vec<u8>;
    type Error = TestError;
    fn send(&self, _: Request, timeout: Duration) -> Result<http::Response<Vec<u8>>, TestError> {
        // Without the cancel: the request runs to its timeout.
        std::thread::sleep(timeout);
        Err(TestError::Refused)
    }
    fn send_cancellable(
        &self,
        _: Request,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<http::Response<Vec<u8>>, TestError> {
        self.sends.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (interrupt, interrupted) = std::sync::mpsc::channel();
        let _hook = cancel.on_cancel(move || {
            let _ = interrupt.send(());
        });
        let _ = interrupted.recv_timeout(timeout);
        Err(TestError::Refused)
    }
}

/// The blocking loop hands its cancel handle to the request in flight: a cancel ends an
/// unanswered request at once instead of after its timeout (10 s here).
#[test]
fn cancel_ends_the_blocking_loops_request_in_flight() {
    let transport = Interruptible {
        sends: std::sync::atomic::AtomicUsize::new(0),
    };
    let cancel = Cancel::new();
    let remote = cancel.clone();
    let login = PinLogin::new(&config(), options());
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let cancelled_at = std::time::Instant::now();
        remote.cancel();
        cancelled_at
    });
    let error = drive::run_blocking(&transport, login, Some(&cancel), |_| {}).unwrap_err();
    let ended = std::time::Instant::now();
    let cancelled_at = canceller.join().unwrap();
    assert_eq!(error, TestError::Plex(Error::Cancelled));
    assert_eq!(transport.sends.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        ended - cancelled_at < Duration::from_secs(1),
        "{:?}",
        ended - cancelled_at
    );
}

/// The loop over a `SendTransport` is a `Send` future, so generic code can spawn it on a
/// multi-threaded runtime (checked at compile time: this fails to build otherwise).
#[test]
fn the_loop_over_a_send_transport_can_be_spawned_generically() {
    /// What `tokio::spawn` asks of a future: `Send + 'static`.
    fn spawnable<F: Future + Send + 'static>(future: F) -> F {
        future
    }

    async fn login_over<T: drive::SendTransport>(
        transport: Arc<T>,
    ) -> Result<plex_pin::Token, T::Error> {
        let login = PinLogin::new(&config(), options());
        drive::run(&*transport, login, None, |_| {}).await
    }

    /// Generic over the transport: the bound alone must make the loop `Send`.
    fn spawn_login<T: drive::SendTransport + Send + 'static>(
        transport: Arc<T>,
    ) -> impl Future<Output = Result<plex_pin::Token, T::Error>> + Send + 'static {
        spawnable(login_over(transport))
    }

    struct Threaded;
    impl Clock for Threaded {
        fn now(&self) -> Instant {
            Instant::now()
        }
        fn unix_now(&self) -> u64 {
            0
        }
    }
    impl drive::SendTransport for Threaded {
        type Body = Vec<u8>;
        type Error = TestError;
        async fn send(
            &self,
            request: Request,
            _: Duration,
        ) -> Result<http::Response<Vec<u8>>, TestError> {
            Ok(if request.method() == "POST" {
                json(201, CREATED)
            } else {
                json(200, APPROVED)
            })
        }
        async fn sleep_until(&self, _: Instant) {}
    }

    let future = spawn_login(Arc::new(Threaded));
    let token = std::thread::spawn(move || block_on(future))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(token.expose_secret(), "the-token");
}

/// A transport whose user cancels while the approving answer is on its way.
struct CancelledInFlight {
    cancel: Cancel,
}

impl Clock for CancelledInFlight {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_now(&self) -> u64 {
        0
    }
}

impl BlockingTransport for CancelledInFlight {
    type Body = Vec<u8>;
    type Error = TestError;
    fn send(&self, request: Request, _: Duration) -> Result<http::Response<Vec<u8>>, TestError> {
        if request.method() == "POST" {
            return Ok(json(201, CREATED));
        }
        self.cancel.cancel();
        Ok(json(200, APPROVED))
    }
}

/// A token that arrived is handed out even when the cancel came while it was on its way:
/// plex.tv has issued it, and throwing it away would lose the sign-in.
#[test]
fn a_token_that_arrived_wins_over_a_cancel() {
    let cancel = Cancel::new();
    let transport = CancelledInFlight {
        cancel: cancel.clone(),
    };
    let login = PinLogin::new(&config(), options());
    let token = drive::run_blocking(&transport, login, Some(&cancel), |_| {}).unwrap();
    assert_eq!(token.expose_secret(), "the-token");
}

/// A timer that fires early makes the flow ask for the same instant again: that is not
/// news, so the observer hears of each wait once (a retry's wait is the retry's).
#[test]
fn a_wait_is_reported_once_however_early_the_timer_fires() {
    let transport = Scripted::new(vec![
        Ok(json(201, CREATED)),
        Ok(json(503, "{}")),
        Ok(json(200, WAITING)),
        Ok(json(200, APPROVED)),
    ]);
    transport.early_wakes.set(100);
    let mut seen = Vec::new();
    block_on(drive::run(
        &transport,
        PinLogin::new(&config(), options()),
        None,
        |e| seen.push(describe(&e)),
    ))
    .unwrap();
    assert_eq!(
        seen,
        [
            "pin ABCD at https://plex.tv/link/?pin=ABCD, saved as 77 expiring at 1800000900",
            "waiting, deadline: true",
            "retry 1 after server: unexpected HTTP 503 from plex.tv",
            "waiting, deadline: true",
        ]
    );
}
