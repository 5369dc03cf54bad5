//! The run loops, written once: a transport supplies how to send a request and what time
//! it is, and [`run_blocking`] or [`run`] drives a [`Flow`] (a [`PinLogin`] or a
//! [`JwtRefresh`](crate::JwtRefresh)) to its end.
//!
//! The loops hold no protocol decision of their own: they follow the flow's [`Step`]s, cut
//! every request to the time left ([`PinLogin::request_timeout`]), report what happens to
//! an observer ([`Event`]: the pin, each retry and its cause, each wait) and stop when a
//! [`Cancel`] handle says so. They read no clock (the transport's [`Clock`] does) and pull
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
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let options = LoginOptions::default().with_poll_interval(Duration::from_millis(50));
//! let login = PinLogin::new(&config, options);
//! let token = drive::run_blocking(&MyClient, login, None, |event| match event {
//!     Event::PinReady { pin, url, .. } => println!("Enter {} at {url}", pin.code),
//!     Event::Retrying { error, next_try, .. } => println!("{error}; retrying at {next_try:?}"),
//!     _ => {}
//! })?;
//! assert_eq!(token.expose_secret(), "secret-token");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`PinLogin`]: crate::PinLogin
//! [`PinLogin::request_timeout`]: crate::PinLogin::request_timeout
//! [`Step`]: crate::Step

mod blocking;
mod cancel;
mod error;
mod event;
pub(crate) mod flow;
mod future;
mod kind;

use std::time::Duration;

use web_time::Instant;

use crate::request::Request;
use crate::response::Response;

pub use blocking::{call_blocking, run_blocking};
pub use cancel::Cancel;
pub use error::TransportError;
pub use event::{Event, Failure};
pub use flow::Flow;
pub use future::{call, run};
pub use kind::TransportErrorKind;

/// The transport's clocks. The core reads none itself.
pub trait Clock {
    /// The monotonic clock the flow runs on (`plex_pin::Instant::now()`).
    fn now(&self) -> Instant;

    /// Unix seconds on the wall clock, for the JWT flows' `iat` and saved pins' expiry
    /// (`web_time::SystemTime`, which is `Date.now()` in browsers).
    fn unix_now(&self) -> u64;
}

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

    /// The longest any one request may take; the loop cuts it to the time the flow has
    /// left. Default 15 s.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }
}

/// An async HTTP client and timer as [`run`] needs them. The same rules as
/// [`BlockingTransport::send`] apply to `send`.
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
    ) -> impl core::future::Future<Output = Result<Response<Self::Body>, Self::Error>>;

    /// Completes at (or after) `at` on [`Clock::now`]'s clock.
    fn sleep_until(&self, at: Instant) -> impl core::future::Future<Output = ()>;

    /// The longest any one request may take. Default 15 s.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }
}

/// The per-request timeout of a transport that sets none: plex.tv answers in well under a
/// second, and a login polls again after a timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The response body cap of the project's transports: plex.tv's answers are under 2 KiB,
/// and a transport must stop a server from sending more (see [`BlockingTransport`]).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
