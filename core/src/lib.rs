//! Sign in to Plex.tv with a PIN, without doing any IO.
//!
//! `plex-pin` holds every protocol decision of the Plex PIN sign-in: the `X-Plex-*`
//! identity headers, building the requests, parsing the responses into typed pins, users
//! and errors, the Auth App link, and [`PinLogin`], a state machine for the whole login.
//! It sends nothing, and its protocol code reads no clock: time is passed in (the one
//! clock reader is [`drive::SystemClock`], which the transports hand the loops; its one
//! wait is [`drive::run_blocking`]'s, on a cancel handle the caller can end), so the same
//! code runs under a
//! blocking client, an async runtime or `fetch` in a browser. The transports are separate
//! crates: `plex-pin-ureq` (blocking), `plex-pin-hyper` (tokio), `plex-pin-reqwest` (an
//! app's reqwest) and `plex-pin-wasm`.
//!
//! # In scope
//! - `POST /api/v2/pins` (strong or 4-character link codes, optional `forwardUrl` with its
//!   `Origin`), `GET /api/v2/pins/{id}`, `GET /api/v2/user` (token check):
//!   [`request`] builds them, [`response`] parses their answers, and a [`Call`] pairs the
//!   two so that a transport sends any call through one method.
//! - The Auth App URL ([`auth_url`]) and the plex.tv/link page ([`link_url`]).
//! - [`PinLogin`]: poll interval, local pin expiry, caller deadline, backoff on 429
//!   (`Retry-After`), 5xx and transport errors, giving up after N failures in a row.
//! - [`drive`]: the run loop itself, written once (async and blocking) over a transport's
//!   send function and clock, with events and cancellation; a custom HTTP client drives a
//!   whole login with it in about 30 lines (see the module's example).
//! - Validation of everything the caller gives before it reaches the wire ([`ConfigError`]).
//! - What plex.tv does and on which sources each rule rests: [`protocol`].
//! - Which proxy a request may use, one rule for every native transport: [`proxy`].
//!
//! # Out of scope
//! - Sockets, TLS, timers, clocks, body size limits: the transport's job.
//! - Storing the client identifier or the token: the application's job.
//! - The legacy `pins.xml` API, username/password sign-in, Plex Media Server calls.
//!
//! # Where to start
//!
//! Three layers, from the one most apps need to the one under it:
//!
//! 1. **A whole login through a transport crate**: `plex_pin_ureq::Client::login`,
//!    `plex_pin_hyper::Client::login` (and `run`, for the events, a cancel handle or a
//!    resumed pin). From this crate you need only [`Config`] and [`LoginOptions`].
//! 2. **A whole login over your own HTTP client**: implement
//!    [`drive::BlockingTransport`] (or [`drive::AsyncTransport`] / [`drive::SendTransport`])
//!    and call [`drive::run_blocking`] (or [`drive::run`]) with a [`PinLogin`]: about 30
//!    lines, shown in the [`drive`] module. The loop, its retries, deadlines and events are
//!    this crate's.
//! 3. **One call, or a loop of your own**: a [`Call`] pairs a request with its parser
//!    (`client.call(Call::user(…))` in every transport); underneath are the [`request`]
//!    builders and [`response`] parsers, and [`PinLogin`] can be stepped by hand (its docs
//!    give the run-loop contract). Requests are [`http::Request<Vec<u8>>`](Request);
//!    responses are any [`http::Response<B>`](Response) with `B: AsRef<[u8]>`:
//!
//! ```
//! use plex_pin::{request, response, ClientId, Config, PinOptions};
//!
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let req = request::create_pin(&config, &PinOptions::strong());
//! // ... send `req` with any HTTP client, then:
//! let resp = http::Response::builder()
//!     .status(201)
//!     .header("content-type", "application/json")
//!     .body(br#"{"id":1,"code":"k2v9q0x7m4t1z8c3b6n5w0r2e","expiresIn":1800}"#.to_vec())?;
//! let pin = response::pin(&resp)?;
//! println!("open {}", plex_pin::approval_url(&config, &pin, None));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Names from the Plex SDKs
//! The generated SDKs call the two operations `GetPin` and `GetToken`/`GetTokenByPinId`:
//! they are [`request::create_pin`] and [`request::check_pin`] here, and [`Config`] maps
//! their `ClientID`, `ClientName`, `DeviceNickname`, `ClientVersion` and `Platform`.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth_url;
pub mod call;
mod client_id;
mod config;
mod decimal;
mod decode;
pub mod drive;
mod endpoint;
mod error;
mod field;
mod header_names;
#[cfg(feature = "jwt")]
pub mod jwt;
mod lenient;
pub mod limits;
mod login;
mod percent;
mod pin;
pub mod protocol;
// Browsers and their workers route through the browser's own proxy settings.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub mod proxy;
#[cfg(feature = "jwt")]
mod refresh;
pub mod request;
pub mod response;
// Browsers do TLS themselves.
#[cfg(all(
    feature = "rustls",
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
pub mod tls;
mod token;
mod transport_kind;
mod user;
mod utf8;
mod web_url;

pub use auth_url::{approval_url, auth_url, link_url, short_auth_url};
pub use call::Call;
pub use config::{
    ClientId, Config, ConfigBuilder, ConfigError, AUTH_APP, CLIENTS_PLEX_TV, LINK_PAGE, PLEX_TV,
};
pub use error::{ApiError, BodyExcerpt, Error, ExpiredBy};
pub use login::{AfterFailure, AfterResponse, LoginOptions, PinLogin, Step};
pub use pin::{Location, Pin, PinKind, SavedPin};
#[cfg(feature = "jwt")]
pub use refresh::JwtRefresh;
pub use request::{ForwardUrl, PinOptions, Request};
pub use response::Response;
pub use token::{InvalidToken, Token};
pub use transport_kind::TransportErrorKind;
pub use user::{Subscription, User};

/// The `http` crate this one is built on, so callers use matching types.
pub use http;
/// The `Instant` type [`PinLogin`] takes: `std::time::Instant` natively, and a
/// `performance.now()`-based one on `wasm32-unknown-unknown`.
pub use web_time::Instant;
