//! Blocking Plex.tv PIN sign-in over [ureq](https://docs.rs/ureq) 3.
//!
//! A thin transport for the sans-IO [`plex_pin`] core: it sends the core's requests with one
//! pooled [`ureq::Agent`], caps every response body, times out every call, follows no
//! redirect, sleeps when the core says so, and leaves every protocol decision to the core.
//!
//! ```no_run
//! use plex_pin::{ClientId, Config, LoginOptions};
//!
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let client = plex_pin_ureq::Client::new(config);
//! let token = client.login(LoginOptions::default(), |pin, url| {
//!     println!("Sign in at {url} (code {})", pin.code);
//! })?;
//! let user = client.user(&token)?;
//! println!("Hello {}", user.display_name().unwrap_or("there"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use std::time::Duration;

use plex_pin::jwt::{DeviceKey, Jwk};
use plex_pin::{
    AfterFailure, Call, Config, LoginOptions, Pin, PinLogin, PinOptions, Step, Token, User,
};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use web_time::Instant;

pub use plex_pin;

/// Default cap on a response body. plex.tv's answers are under 2 KiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// What can go wrong: the core's error unchanged, or this transport's own.
///
/// No variant holds a token: requests carrying one are never part of a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// plex.tv answered, and the core says what the answer means.
    #[error(transparent)]
    Plex(#[from] plex_pin::Error),
    /// The server could not be reached (DNS, refused, reset before an answer).
    #[error("could not reach the server: {0}")]
    Connect(#[source] ureq::Error),
    /// The call took longer than its timeout.
    #[error("the request timed out: {0}")]
    Timeout(#[source] ureq::Error),
    /// TLS failed (certificate, handshake).
    #[error("TLS error: {0}")]
    Tls(#[source] ureq::Error),
    /// The response body was over the cap; it was not read into memory.
    #[error("the response body is larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// Any other HTTP or IO failure.
    #[error("HTTP transport error: {0}")]
    Http(#[source] ureq::Error),
    /// A root certificate given to [`ClientBuilder::add_root_certificate_pem`] did not parse.
    #[error("invalid root certificate: {0}")]
    Certificate(#[source] ureq::Error),
}

impl Error {
    fn from_ureq(error: ureq::Error, limit: usize) -> Self {
        use ureq::Error as U;
        match error {
            U::Timeout(_) => Error::Timeout(error),
            U::BodyExceedsLimit(_) => Error::BodyTooLarge { limit },
            U::HostNotFound | U::ConnectionFailed => Error::Connect(error),
            U::Io(ref io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                Error::Connect(error)
            }
            U::Rustls(_) | U::Tls(_) => Error::Tls(error),
            other => Error::Http(other),
        }
    }

    /// The core's error, if plex.tv answered.
    pub fn plex(&self) -> Option<&plex_pin::Error> {
        match self {
            Error::Plex(e) => Some(e),
            _ => None,
        }
    }
}

/// Configures a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    extra_roots: Vec<Certificate<'static>>,
}

impl ClientBuilder {
    /// Overall timeout of one call, connect to last body byte (default 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Response body cap (default [`DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Trusts one more root certificate (PEM) besides the bundled Mozilla roots, e.g. a
    /// corporate TLS proxy's.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let cert = Certificate::from_pem(pem).map_err(Error::Certificate)?;
        self.extra_roots.push(cert);
        Ok(self)
    }

    /// Builds the client and its connection pool.
    pub fn build(self) -> Client {
        let roots = if self.extra_roots.is_empty() {
            RootCerts::WebPki
        } else {
            let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned());
            RootCerts::new_with_certs(&bundled.chain(self.extra_roots).collect::<Vec<_>>())
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout))
            .timeout_connect(Some(self.connect_timeout))
            .max_response_header_size(16 * 1024)
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        let agent =
            ureq::Agent::with_parts(config, DefaultConnector::new(), LiteralFirst::default());
        Client {
            agent,
            config: self.config,
            timeout: self.timeout,
            max_body: self.max_body,
        }
    }
}

/// A blocking plex.tv client: one configuration, one connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    config: Config,
    timeout: Duration,
    max_body: usize,
}

impl Client {
    /// A client with the default timeouts and body cap.
    pub fn new(config: Config) -> Self {
        Self::builder(config).build()
    }

    /// Starts configuring a client.
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder {
            config,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            max_body: DEFAULT_MAX_BODY,
            extra_roots: Vec::new(),
        }
    }

    /// The configuration requests are built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The timeout of one call (see [`ClientBuilder::timeout`]).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request and reads at most the body cap. 4xx and 5xx are responses, not
    /// errors: the core interprets them.
    pub fn send(&self, request: plex_pin::Request) -> Result<http::Response<Vec<u8>>, Error> {
        self.send_with_timeout(request, self.timeout)
    }

    /// [`send`](Self::send) within `timeout` instead of the client's own (when shorter):
    /// a login's loop passes [`PinLogin::request_timeout`] so that no request outlives the
    /// login's deadline.
    pub fn send_with_timeout(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let limit = self.max_body;
        let fail = |e| Error::from_ureq(e, limit);
        let response = if timeout < self.timeout {
            // A per-request configuration costs a copy of the agent's: only when it differs.
            let request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(timeout))
                .build();
            self.agent.run(request)
        } else {
            self.agent.run(request)
        }
        .map_err(fail)?;
        if response
            .body()
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(Error::BodyTooLarge { limit });
        }
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(limit as u64)
            .read_to_vec()
            .map_err(fail)?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    /// Sends any plex.tv call and reads its answer: every call below goes through here.
    ///
    /// ```no_run
    /// use plex_pin::{Call, ClientId, Config, PinOptions};
    ///
    /// let client = plex_pin_ureq::Client::new(Config::builder("My App", ClientId::generate()).build()?);
    /// let pin = client.call(Call::create_pin(client.config(), &PinOptions::link()))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        let (request, parser) = call.into_parts();
        let response = self.send(request)?;
        Ok(parser.parse(response)?)
    }

    /// `POST /api/v2/pins` (GetPin).
    pub fn create_pin(&self, options: &PinOptions) -> Result<Pin, Error> {
        self.call(Call::create_pin(&self.config, options))
    }

    /// `GET /api/v2/pins/{id}` (GetTokenByPinId): the pin, with its token once approved.
    pub fn check_pin(&self, pin_id: u64) -> Result<Pin, Error> {
        self.call(Call::check_pin(&self.config, pin_id))
    }

    /// `GET /api/v2/user`: the account for a valid token; `Error::Plex(Unauthorized)` for an
    /// invalid one; any other error means validity is unknown.
    pub fn user(&self, token: &Token) -> Result<User, Error> {
        self.call(Call::user(&self.config, token))
    }

    /// Runs the whole sign-in: creates a pin, calls `on_pin` once with it and the URL the
    /// user should open, polls until approval and returns the token. Blocks the thread;
    /// bounded by the pin's lifetime and [`LoginOptions::timeout`].
    pub fn login(
        &self,
        options: LoginOptions,
        on_pin: impl FnMut(&Pin, &str),
    ) -> Result<Token, Error> {
        self.drive(PinLogin::new(&self.config, options), on_pin)
    }

    /// The JWT sign-in ([protocol](plex_pin::protocol#the-jwt-sign-in)): like [`login`](Self::login), but the pin is
    /// created with `key`'s JWK, every poll is signed with it, and the token returned is a
    /// Plex JWT (7 days; see [`refresh`](Self::refresh)). Plex documents this flow on
    /// `https://clients.plex.tv`.
    pub fn login_jwt(
        &self,
        options: LoginOptions,
        key: &DeviceKey,
        on_pin: impl FnMut(&Pin, &str),
    ) -> Result<Token, Error> {
        let login = PinLogin::with_device_key(&self.config, options, key.clone(), unix_now());
        self.drive(login, on_pin)
    }

    /// A new Plex JWT for a device whose key is registered: fetches a nonce, signs a device
    /// JWT and exchanges it (`POST /api/v2/auth/token`). Do it when less than a day is left
    /// ([`PlexClaims::needs_refresh`](plex_pin::jwt::PlexClaims::needs_refresh)) or after
    /// [`Error::Plex`]`(`[`JwtExpired`](plex_pin::Error::JwtExpired)`)`.
    pub fn refresh(&self, key: &DeviceKey) -> Result<Token, Error> {
        let nonce = self.call(Call::nonce(&self.config))?;
        self.call(Call::refresh(&self.config, key, &nonce, unix_now()))
    }

    /// Registers `key` for this device using an existing (legacy) token
    /// (`POST /api/v2/auth/jwk`); then [`refresh`](Self::refresh) gets the first Plex JWT.
    pub fn register_key(&self, token: &Token, key: &DeviceKey) -> Result<(), Error> {
        self.call(Call::register_key(&self.config, token, key))
    }

    /// Plex's public keys (`GET /api/v2/auth/keys`), to verify Plex JWTs with
    /// [`verify_jwt`](plex_pin::jwt::verify_jwt).
    pub fn plex_keys(&self) -> Result<Vec<Jwk>, Error> {
        self.call(Call::plex_keys(&self.config))
    }

    /// Approves a 4-character code from this signed-in account (`PUT /api/v2/pins/link`),
    /// as a user would at plex.tv/link.
    pub fn link_pin(&self, token: &Token, code: &str) -> Result<(), Error> {
        self.call(Call::link_pin(&self.config, token, code))
    }

    /// Runs a [`PinLogin`] to its end: the transport's whole loop.
    fn drive(
        &self,
        mut login: PinLogin,
        mut on_pin: impl FnMut(&Pin, &str),
    ) -> Result<Token, Error> {
        loop {
            match login.poll(Instant::now())? {
                Step::Send(request) => match self
                    .send_with_timeout(request, login.request_timeout(Instant::now(), self.timeout))
                {
                    Ok(response) => login.handle_response(Instant::now(), response)?,
                    Err(error) => {
                        if login.transport_failed(Instant::now()) == AfterFailure::GiveUp {
                            return Err(error);
                        }
                    }
                },
                Step::PinReady { pin, url } => on_pin(&pin, &url),
                Step::WaitUntil(at) => {
                    std::thread::sleep(at.saturating_duration_since(Instant::now()))
                }
                Step::Done(token) => return Ok(token),
            }
        }
    }
}

/// Unix seconds now: the JWT sign-in's `iat` (the core reads no clock).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Resolves an IP-literal host (`127.0.0.1`, `[::1]`) in place and leaves names to ureq's
/// resolver. With a timeout set, ureq's resolver looks every host up on a thread of its own,
/// one new thread per request even on a pooled connection (`strace -f` counted one `clone`
/// per call), for an address that needs no lookup.
#[derive(Debug, Default)]
struct LiteralFirst(DefaultResolver);

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let literal = uri.host().and_then(|host| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let ip: std::net::IpAddr = host.parse().ok()?;
            let port = uri.port_u16().or(match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            })?;
            Some(std::net::SocketAddr::new(ip, port))
        });
        match literal {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

/// One-shot [`Client::create_pin`] with a fresh client.
pub fn create_pin(config: &Config, options: &PinOptions) -> Result<Pin, Error> {
    Client::new(config.clone()).create_pin(options)
}

/// One-shot [`Client::check_pin`] with a fresh client.
pub fn check_pin(config: &Config, pin_id: u64) -> Result<Pin, Error> {
    Client::new(config.clone()).check_pin(pin_id)
}

/// One-shot [`Client::user`] with a fresh client.
pub fn user(config: &Config, token: &Token) -> Result<User, Error> {
    Client::new(config.clone()).user(token)
}

/// One-shot [`Client::login`] with a fresh client.
pub fn login(
    config: &Config,
    options: LoginOptions,
    on_pin: impl FnMut(&Pin, &str),
) -> Result<Token, Error> {
    Client::new(config.clone()).login(options, on_pin)
}
