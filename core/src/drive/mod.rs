//! The run loops, written once: a transport supplies how to send a request and what time
//! it is, and [`run_blocking`] or [`run`] drives a [`Flow`] (a [`PinLogin`] or a
//! `JwtRefresh`, with the `jwt` feature) to its end.
//!
//! The loops hold no protocol decision of their own: they follow the flow's [`Step`]s, cut
//! every request to the time left ([`PinLogin::request_timeout`]), report what happens to
//! an observer ([`Event`]: the pin, each retry and its cause, each wait) and stop when a
//! [`Cancel`] handle says so. They read no clock themselves (the transport's [`Clock`]
//! does, usually by [`SystemClock`]) and pull
//! in no runtime: the async loop needs only `core::future`, the blocking one waits on the
//! cancel handle's condition variable.
//!
//! # A custom HTTP client
//!
//! A whole login over any client is the trait and a call. Here the "client" is a stand-in
//! that answers like plex.tv (create pin 7, then approve it); a real one sends `request`
//! within `timeout`, follows no redirect and caps the body:
//!
//! ```
//! use std::time::Duration;
//! use plex_pin::drive::{self, BlockingTransport, Clock, Event};
//! use plex_pin::{ClientId, Config, Instant, LoginOptions, PinLogin, Request};
//!
//! struct MyClient;
//!
//! impl Clock for MyClient {
//!     fn now(&self) -> Instant { Instant::now() }
//!     fn unix_now(&self) -> u64 { 1_800_000_000 }
//! }
//!
//! impl BlockingTransport for MyClient {
//!     type Body = &'static [u8];
//!     type Error = plex_pin::Error; // your client's error, `From<plex_pin::Error>`
//!
//!     fn send(&self, request: Request, _timeout: Duration) -> Result<http::Response<Self::Body>, Self::Error> {
//!         let body: &[u8] = match request.method().as_str() {
//!             "POST" => br#"{"id":7,"code":"ABCD","expiresIn":900}"#,
//!             _ => br#"{"id":7,"code":"ABCD","authToken":"secret-token"}"#,
//!         };
//!         Ok(http::Response::new(body))
//!     }
//! }
//!
//! # #[cfg(not(target_family = "wasm"))] // A thread cannot wait there: use `drive::run`.
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let options = LoginOptions::default().with_poll_interval(Duration::from_millis(50));
//! let login = PinLogin::new(&config, options);
//! let token = drive::run_blocking(&MyClient, login, None, |event| match event {
//!     Event::PinReady { pin, url, .. } => println!("Enter {} at {url}", pin.code),
//!     Event::Retrying { error, next_try, .. } => println!("{error}; retrying at {next_try:?}"),
//!     _ => {}
//! })?;
//! assert_eq!(token.expose_secret(), "secret-token");
//! # Ok(())
//! # }
//! # #[cfg(target_family = "wasm")]
//! # fn main() {}
//! ```
//!
//! [`PinLogin`]: crate::PinLogin
//! [`PinLogin::request_timeout`]: crate::PinLogin::request_timeout
//! [`Step`]: crate::Step

mod blocking;
mod cancel;
mod clock;
mod error;
mod event;
pub(crate) mod flow;
mod future;

use std::future::Future;
use std::time::Duration;

use web_time::Instant;

use crate::request::Request;
use crate::response::Response;
use crate::transport_kind::TransportErrorKind;

pub use blocking::call_blocking;
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use blocking::run_blocking;
pub use cancel::{Cancel, OnCancel};
pub use clock::{Clock, SystemClock};
pub use error::TransportError;
pub use event::{Event, Failure};
pub use flow::Flow;
pub use future::{call, run};

/// A blocking HTTP client as [`run_blocking`] needs it.
///
/// `send` must follow no redirect (hand a 3xx back as a response), cap the body it reads,
/// and give up after `timeout`. 4xx and 5xx are responses, not errors: the flow reads them.
pub trait BlockingTransport: Clock {
    /// The response body.
    type Body: AsRef<[u8]>;
    /// The client's error; the flow's own errors arrive through `From`.
    type Error: From<crate::error::Error>;

    /// Sends `request` and reads its answer within `timeout`.
    fn send(
        &self,
        request: Request,
        timeout: Duration,
    ) -> Result<Response<Self::Body>, Self::Error>;

    /// [`send`](Self::send), ended early when `cancel` cancels: what the loop calls. The
    /// default sends without watching `cancel`, so that a request in flight runs to its
    /// timeout before a cancel takes effect; a client that can interrupt a request (shut
    /// its socket down from [`Cancel::on_cancel`]) overrides it and returns any error.
    fn send_cancellable(
        &self,
        request: Request,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<Response<Self::Body>, Self::Error> {
        let _ = cancel;
        self.send(request, timeout)
    }

    /// The longest any one request may take; the loop cuts it to the time the flow has
    /// left. Default 15 s.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// What kind of failure `error` is. The loop retries most failures but ends the flow
    /// at once on [`TransportErrorKind::Tls`] (a certificate that does not verify will not
    /// verify on the next try). The default, [`TransportErrorKind::Other`], is retried:
    /// override it if your client can tell.
    fn error_kind(&self, error: &Self::Error) -> TransportErrorKind {
        let _ = error;
        TransportErrorKind::Other
    }
}

/// An async HTTP client and timer as [`run`] needs them. The same rules as
/// [`BlockingTransport::send`] apply to `send`.
///
/// The futures need not be `Send` (a browser's are not). A client whose futures are
/// implements [`SendTransport`] instead, and generic code can then spawn the loop on a
/// multi-threaded runtime.
pub trait AsyncTransport: Clock {
    /// The response body.
    type Body: AsRef<[u8]>;
    /// The client's error; the flow's own errors arrive through `From`.
    type Error: From<crate::error::Error>;

    /// Sends `request` and reads its answer within `timeout`. Dropping the future must
    /// abandon the request.
    fn send(
        &self,
        request: Request,
        timeout: Duration,
    ) -> impl Future<Output = Result<Response<Self::Body>, Self::Error>>;

    /// Completes at (or after) `at` on [`Clock::now`]'s clock.
    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()>;

    /// The longest any one request may take. Default 15 s.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// What kind of failure `error` is: see [`BlockingTransport::error_kind`].
    fn error_kind(&self, error: &Self::Error) -> TransportErrorKind {
        let _ = error;
        TransportErrorKind::Other
    }
}

/// An [`AsyncTransport`] whose futures are `Send`, for multi-threaded runtimes: implement
/// this trait instead, and [`AsyncTransport`] comes with it. Generic code can then spawn
/// the loop, which a bound on [`AsyncTransport`] alone cannot promise:
///
/// ```
/// use plex_pin::drive::{self, SendTransport};
/// use plex_pin::{PinLogin, Token};
///
/// fn spawn_login<T>(
///     transport: std::sync::Arc<T>,
///     login: PinLogin,
/// ) -> impl std::future::Future<Output = Result<Token, T::Error>> + Send + 'static
/// where
///     T: SendTransport + Send + 'static,
/// {
///     // What `tokio::spawn` asks of a future: `Send + 'static`.
///     async move { drive::run(&*transport, login, None, |_| {}).await }
/// }
/// ```
pub trait SendTransport: Clock + Sync {
    /// The response body.
    type Body: AsRef<[u8]> + Send;
    /// The client's error; the flow's own errors arrive through `From`.
    type Error: From<crate::error::Error> + Send;

    /// As [`AsyncTransport::send`].
    fn send(
        &self,
        request: Request,
        timeout: Duration,
    ) -> impl Future<Output = Result<Response<Self::Body>, Self::Error>> + Send;

    /// As [`AsyncTransport::sleep_until`].
    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> + Send;

    /// As [`AsyncTransport::timeout`].
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// As [`AsyncTransport::error_kind`].
    fn error_kind(&self, error: &Self::Error) -> TransportErrorKind {
        let _ = error;
        TransportErrorKind::Other
    }
}

impl<T: SendTransport> AsyncTransport for T {
    type Body = T::Body;
    type Error = T::Error;

    fn send(
        &self,
        request: Request,
        timeout: Duration,
    ) -> impl Future<Output = Result<Response<Self::Body>, Self::Error>> {
        SendTransport::send(self, request, timeout)
    }

    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> {
        SendTransport::sleep_until(self, at)
    }

    fn timeout(&self) -> Duration {
        SendTransport::timeout(self)
    }

    fn error_kind(&self, error: &Self::Error) -> TransportErrorKind {
        SendTransport::error_kind(self, error)
    }
}

/// The per-request timeout of a transport that sets none: plex.tv answers in well under a
/// second, and a login polls again after a timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The response body cap of the project's transports: plex.tv's answers are under 2 KiB,
/// and a transport must stop a server from sending more (see [`BlockingTransport`]).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
