//! A faithful local plex.tv for the PIN sign-in, for demos and for every test.
//!
//! It serves, on a loopback address:
//! - `POST /api/v2/pins[?strong=true]` (201; 25-character lowercase strong codes living
//!   1800 s, 4-character uppercase link codes living 900 s; `expiresIn` counts down),
//!   `GET /api/v2/pins/{id}` (200, `authToken` null until approved; 404/1020 when unknown,
//!   expired, denied, or polled with another client identifier) and `GET /api/v2/user`
//!   (200 for a token it issued, 401 otherwise, 422 XML "Invalid token" once revoked);
//!   JSON with `Accept: application/json` (or a `.json` path), XML otherwise (or a `.xml`
//!   path); 400/1000 without `X-Plex-Client-Identifier`. `X-Plex-*` values are read from
//!   headers, form bodies and query strings alike.
//! - The JWT sign-in ([`plex_pin::protocol`](plex_pin::protocol#the-jwt-sign-in)): pins created with a JWK and polled with a device JWT,
//!   `GET /api/v2/auth/nonce` (single use, 5 minutes), `POST /api/v2/auth/jwk`,
//!   `POST /api/v2/auth/token`, `GET /api/v2/auth/keys`; real Plex JWTs signed with its own
//!   Ed25519 key, device JWTs verified against the device's key (422 when forged, expired
//!   or replayed), 498 for an expired Plex JWT; and `PUT /api/v2/pins/link`.
//! - CORS for browsers, including preflight for the `X-Plex-*` headers.
//! - The user's side: `/auth#?code=…` (an Approve / Deny page like app.plex.tv) and
//!   `/link` (type a 4-character code), plus [`Emulator::approve`] / [`Emulator::deny`]
//!   and an auto-approve delay for demos.
//! - Fault injection ([`FaultRule`]) globally, per route, per pin or per client identifier,
//!   and statistics of what clients sent ([`Emulator::stats`]).
//! - The same controls over HTTP under `/emulator/` (`approve`, `deny`, `expire`, `pin`,
//!   `fault`, `clear-faults`, `issue-token`, `revoke`, `stats`, `version`), for tests that
//!   run in a browser, in another process or in another language: see [the control
//!   API](#the-control-api).
//!
//! # The control API
//!
//! The `/emulator/*` routes are a stable contract, versioned by [`CONTROL_API_VERSION`]
//! (`GET /emulator/version` answers `{"controlApi": 1, "emulator": "0.1.0"}`), written for
//! developers of any language in the crate's README, section "Control API" (on
//! [crates.io](https://crates.io/crates/plex-pin-emulator) and in the repository): every
//! route with its method, body fields, answers and errors, the fault and route names, and
//! the command-line flags. A test reads that section and walks every route in it, so the
//! two cannot drift apart.
//!
//! # Who can reach it
//!
//! It listens on 127.0.0.1 only, so every local user and process can, and so can any web
//! page open in a local browser (a page may send requests to any address). The API
//! routes answer any origin, as plex.tv's do. The control routes, which approve pins and
//! issue tokens, take only `POST` with a JSON object body (`{"id": 123}`): a content type
//! no page can send to another origin without a CORS preflight, and the emulator grants
//! that preflight to loopback origins only (its own pages, test pages served on
//! 127.0.0.1); a `Host` header that is not loopback (DNS rebinding) is refused. `stats`
//! and `version` also answer `GET`. No page may frame it (`X-Frame-Options: DENY`, CSP
//! `frame-ancestors 'none'`), its pages run only their own scripts (a
//! Content-Security-Policy naming them by hash), and the Auth App page forwards only to
//! http(s) URLs.
//!
//! Other people's tests may share one emulator, so everything a client can make it store
//! is bounded and counted in bytes ([`Limits`], what is held in [`Stats::stored`]), what
//! expires is released within a second, pin and nonce creation is rate-limited per client
//! identifier and per address (429 with `Retry-After`), connections are capped with the
//! idlest closed to make room, and idle ones are closed after [`Options::idle_timeout`].
//! Request bodies must arrive within [`Options::body_read_timeout`] and are capped at
//! 64 KiB; the request log keeps bounded copies ([`MAX_LOGGED_HEADERS`],
//! [`MAX_LOGGED_VALUE`]). It is a test server: do not expose it beyond the machine.
//!
//! The server runs on its own thread and tokio runtime, so blocking and async callers use
//! it alike; dropping the [`Emulator`] stops it.
//!
//! It serves published Plex SDKs too (python-plexapi, plex-api-client, @lukehagar/plexjs,
//! proven by `scripts/interop-tests`): the crate's README says how to point each at it,
//! and which of plex.tv's unconfirmed rules it serves leniently (with a warning in
//! [`Stats`]) unless [`Options::strict`] is set.
//!
//! ```
//! use plex_pin_emulator::{Emulator, Options};
//!
//! let emulator = Emulator::start(Options::default())?;
//! assert!(emulator.url().starts_with("http://127.0.0.1:"));
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]

mod account;
mod api;
mod args;
mod auth;
mod body;
mod bounded;
mod connections;
mod control;
mod cors;
mod fault;
mod limits;
mod options;
mod pages;
mod params;
mod ratelimit;
mod render;
mod routes;
mod server;
mod shared;
mod state;
mod xml;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::oneshot;

pub use account::Account;
pub use args::EmulatorArgs;
pub use control::CONTROL_API_VERSION;
pub use fault::OVERSIZED_BODY;
pub use fault::{Fault, FaultRule, Route};
pub use limits::{
    Amount, Limits, RateLimit, Stored, MAX_PINS, MAX_PIN_BYTES, MAX_RATE_KEYS, RECENT_REQUESTS,
};
pub use options::{seconds_arg, Options, MAX_FLAG_SECONDS};
pub use routes::{MAX_LOGGED_HEADERS, MAX_LOGGED_VALUE};
pub use state::{SeenRequest, Stats};

use connections::Connections;
use shared::Shared;
use state::State;

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("url", &self.url).finish()
    }
}

impl Emulator {
    /// Binds 127.0.0.1 on the given port and serves on a thread of its own.
    ///
    /// Fails when the port cannot be bound, or when [`Options::faults`] hold more rules
    /// than [`Limits::fault_rules`] allows.
    pub fn start(options: Options) -> io::Result<Self> {
        let mut state = State::new(
            options.auto_approve,
            (options.strong_lifetime, options.link_lifetime),
            options.plex_jwt_lifetime,
            options.limits.clone(),
        );
        for rule in options.faults {
            state.add_fault(rule).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "more fault rules than Limits::fault_rules allows",
                )
            })?;
        }
        let listener = server::listen(options.port)?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            base_url: url.clone(),
            body_read_timeout: options.body_read_timeout,
            idle_timeout: options.idle_timeout,
            strict: options.strict,
            connections: Connections::new(options.limits.connections),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.worker_threads.max(1))
            .enable_all()
            .thread_name("plex-pin-emulator")
            .build()?;
        let (shutdown, stop) = oneshot::channel();
        let serving = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("plex-pin-emulator".into())
            .spawn(move || runtime.block_on(server::serve(listener, serving, stop)))?;
        Ok(Self {
            addr,
            url,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the base URL to configure clients with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Approves a live pin by id, as the user would; returns the issued token.
    pub fn approve(&self, pin_id: u64) -> Option<String> {
        let mut state = self.shared.lock();
        state.live_pin(pin_id, Instant::now())?;
        state.approve(pin_id)
    }

    /// Approves a live pin by its code (any case).
    pub fn approve_code(&self, code: &str) -> Option<String> {
        let id = self.shared.lock().find_code(code)?;
        self.approve(id)
    }

    /// Denies a pin: it disappears and polls answer 404/1020. Returns whether it existed.
    pub fn deny(&self, pin_id: u64) -> bool {
        self.shared.lock().deny(pin_id)
    }

    /// Issues a valid token without a pin (for token-check tests).
    pub fn issue_token(&self) -> String {
        self.shared.lock().issue_token()
    }

    /// Revokes a token: `/api/v2/user` then answers 422 with XML "Invalid token".
    pub fn revoke(&self, token: &str) {
        self.shared.lock().revoke(token);
    }

    /// Makes a live pin expire now. Returns whether it existed.
    pub fn expire(&self, pin_id: u64) -> bool {
        self.shared.lock().expire(pin_id)
    }

    /// Adds a fault rule. Returns whether it was added: past [`Limits::fault_rules`] it is
    /// not.
    pub fn inject(&self, rule: FaultRule) -> bool {
        self.shared.lock().add_fault(rule).is_ok()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock().clear_faults(None);
    }

    /// Ids of the live pins, most useful right after a client created one.
    pub fn pin_ids(&self) -> Vec<u64> {
        self.shared.lock().pins.keys().copied().collect()
    }

    /// The public keys it signs Plex JWTs with (as `GET /api/v2/auth/keys` serves them).
    pub fn plex_keys(&self) -> Vec<plex_pin::jwt::Jwk> {
        self.shared.lock().auth.keys()
    }

    /// The code of a live pin, as its device shows it.
    pub fn pin_code(&self, pin_id: u64) -> Option<String> {
        self.shared.lock().pins.get(&pin_id).map(|p| p.code.clone())
    }

    /// What the emulator has served so far, and what it holds.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
