//! Async Plex.tv PIN sign-in over [hyper](https://docs.rs/hyper) 1 and tokio.
//!
//! A thin transport for the sans-IO [`plex_pin`] core: one pooled hyper-util client with
//! rustls (the *ring* provider passed explicitly, so another crate enabling aws-lc-rs
//! cannot make it panic), `tokio::time::timeout` around every call, the body read through
//! `http_body_util::Limited`, no redirects followed. [`Client`] is `Clone + Send + Sync`;
//! share it between tasks. Dropping a [`Client::login`] future stops the login at once.
//!
//! ```no_run
//! use plex_pin::{ClientId, Config, LoginOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let client = plex_pin_hyper::Client::new(config)?;
//! let token = client
//!     .login(LoginOptions::default(), |pin, url| {
//!         println!("Sign in at {url} (code {})", pin.code)
//!     })
//!     .await?;
//! println!("Hello {:?}", client.user(&token).await?.display_name());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use plex_pin::jwt::{DeviceKey, Jwk};
use plex_pin::{
    AfterFailure, Call, Config, LoginOptions, Pin, PinLogin, PinOptions, Step, Token, User,
};
use web_time::Instant;

pub use plex_pin;

/// Default cap on a response body. plex.tv's answers are under 2 KiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can go wrong: the core's error unchanged, or this transport's own.
///
/// No variant holds a token: requests carrying one are never part of a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// plex.tv answered, and the core says what the answer means.
    #[error(transparent)]
    Plex(#[from] plex_pin::Error),
    /// The server could not be reached, or TLS failed while connecting.
    #[error("could not reach the server: {0}")]
    Connect(#[source] BoxError),
    /// The call took longer than its timeout.
    #[error("the request timed out after {0:?}")]
    Timeout(Duration),
    /// The response body was over the cap; it was not read into memory.
    #[error("the response body is larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// Any other HTTP failure (connection closed mid-answer, protocol error).
    #[error("HTTP transport error: {0}")]
    Http(#[source] BoxError),
    /// The TLS configuration could not be built.
    #[error("TLS setup failed: {0}")]
    TlsSetup(#[source] rustls::Error),
}

impl Error {
    /// The core's error, if plex.tv answered.
    pub fn plex(&self) -> Option<&plex_pin::Error> {
        match self {
            Error::Plex(e) => Some(e),
            _ => None,
        }
    }
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
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

    /// Builds the client and its connection pool. Needs no runtime until first used.
    pub fn build(self) -> Result<Client, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(Error::TlsSetup)?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .build(https);
        Ok(Client {
            http,
            config: Arc::new(self.config),
            timeout: self.timeout,
            max_body: self.max_body,
        })
    }
}

/// An async plex.tv client: one configuration, one connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    config: Arc<Config>,
    timeout: Duration,
    max_body: usize,
}

impl Client {
    /// A client with the default timeouts and body cap.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::builder(config).build()
    }

    /// Starts configuring a client.
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder {
            config,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// The configuration requests are built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sends one request within the timeout and reads at most the body cap. 4xx and 5xx
    /// are responses, not errors: the core interprets them. Redirects are not followed.
    pub async fn send(&self, request: plex_pin::Request) -> Result<http::Response<Bytes>, Error> {
        self.send_with_timeout(request, self.timeout).await
    }

    /// [`send`](Self::send) within `timeout` instead of the client's own: a login's loop
    /// passes [`PinLogin::request_timeout`] so that no request outlives its deadline.
    pub async fn send_with_timeout(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> Result<http::Response<Bytes>, Error> {
        let request = request.map(|body| Full::new(Bytes::from(body)));
        tokio::time::timeout(timeout, self.exchange(request))
            .await
            .map_err(|_| Error::Timeout(timeout))?
    }

    async fn exchange(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<Bytes>, Error> {
        let limit = self.max_body;
        let response = self.http.request(request).await.map_err(|e| {
            if e.is_connect() {
                Error::Connect(Box::new(e))
            } else {
                Error::Http(Box::new(e))
            }
        })?;
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(Error::BodyTooLarge { limit });
        }
        let (parts, mut body) = response.into_parts();
        // Each frame is copied into one buffer and dropped: kept as they came (as
        // `Limited::collect` keeps them), a body dripped one byte per segment would hold a
        // read buffer per byte, 400 MB for a 64 KB answer. The cap now bounds memory.
        let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Error::Http(Box::new(e)))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    return Err(Error::BodyTooLarge { limit });
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }

    /// Sends any plex.tv call and reads its answer: every call below goes through here.
    pub async fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        let (request, parser) = call.into_parts();
        let response = self.send(request).await?;
        Ok(parser.parse(response)?)
    }

    /// `POST /api/v2/pins` (GetPin).
    pub async fn create_pin(&self, options: &PinOptions) -> Result<Pin, Error> {
        self.call(Call::create_pin(&self.config, options)).await
    }

    /// `GET /api/v2/pins/{id}` (GetTokenByPinId): the pin, with its token once approved.
    pub async fn check_pin(&self, pin_id: u64) -> Result<Pin, Error> {
        self.call(Call::check_pin(&self.config, pin_id)).await
    }

    /// `GET /api/v2/user`: the account for a valid token; `Error::Plex(Unauthorized)` for an
    /// invalid one; any other error means validity is unknown.
    pub async fn user(&self, token: &Token) -> Result<User, Error> {
        self.call(Call::user(&self.config, token)).await
    }

    /// Runs the whole sign-in: creates a pin, calls `on_pin` once with it and the URL the
    /// user should open, polls until approval and returns the token. Bounded by the pin's
    /// lifetime and [`LoginOptions::timeout`]; cancel it by dropping the future.
    pub async fn login(
        &self,
        options: LoginOptions,
        on_pin: impl FnMut(&Pin, &str) + Send,
    ) -> Result<Token, Error> {
        self.drive(PinLogin::new(&self.config, options), on_pin)
            .await
    }

    /// The JWT sign-in ([protocol](plex_pin::protocol#the-jwt-sign-in)): like [`login`](Self::login), but the pin is
    /// created with `key`'s JWK, every poll is signed with it, and the token returned is a
    /// Plex JWT (7 days; see [`refresh`](Self::refresh)). Plex documents this flow on
    /// `https://clients.plex.tv`.
    pub async fn login_jwt(
        &self,
        options: LoginOptions,
        key: &DeviceKey,
        on_pin: impl FnMut(&Pin, &str) + Send,
    ) -> Result<Token, Error> {
        let login = PinLogin::with_device_key(&self.config, options, key.clone(), unix_now());
        self.drive(login, on_pin).await
    }

    /// A new Plex JWT for a device whose key is registered: fetches a nonce, signs a device
    /// JWT and exchanges it (`POST /api/v2/auth/token`). Do it when less than a day is left
    /// ([`PlexClaims::needs_refresh`](plex_pin::jwt::PlexClaims::needs_refresh)) or after
    /// [`Error::Plex`]`(`[`JwtExpired`](plex_pin::Error::JwtExpired)`)`.
    pub async fn refresh(&self, key: &DeviceKey) -> Result<Token, Error> {
        let nonce = self.call(Call::nonce(&self.config)).await?;
        self.call(Call::refresh(&self.config, key, &nonce, unix_now()))
            .await
    }

    /// Registers `key` for this device using an existing (legacy) token
    /// (`POST /api/v2/auth/jwk`); then [`refresh`](Self::refresh) gets the first Plex JWT.
    pub async fn register_key(&self, token: &Token, key: &DeviceKey) -> Result<(), Error> {
        self.call(Call::register_key(&self.config, token, key))
            .await
    }

    /// Plex's public keys (`GET /api/v2/auth/keys`), to verify Plex JWTs with
    /// [`verify_jwt`](plex_pin::jwt::verify_jwt).
    pub async fn plex_keys(&self) -> Result<Vec<Jwk>, Error> {
        self.call(Call::plex_keys(&self.config)).await
    }

    /// Approves a 4-character code from this signed-in account (`PUT /api/v2/pins/link`),
    /// as a user would at plex.tv/link.
    pub async fn link_pin(&self, token: &Token, code: &str) -> Result<(), Error> {
        self.call(Call::link_pin(&self.config, token, code)).await
    }

    /// Runs a [`PinLogin`] to its end: the transport's whole loop.
    async fn drive(
        &self,
        mut login: PinLogin,
        mut on_pin: impl FnMut(&Pin, &str) + Send,
    ) -> Result<Token, Error> {
        loop {
            match login.poll(Instant::now())? {
                Step::Send(request) => match self
                    .send_with_timeout(request, login.request_timeout(Instant::now(), self.timeout))
                    .await
                {
                    Ok(response) => login.handle_response(Instant::now(), response)?,
                    Err(error) => {
                        if login.transport_failed(Instant::now()) == AfterFailure::GiveUp {
                            return Err(error);
                        }
                    }
                },
                Step::PinReady { pin, url } => on_pin(&pin, &url),
                Step::WaitUntil(at) => tokio::time::sleep_until(at.into()).await,
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

/// One-shot [`Client::create_pin`] with a fresh client.
pub async fn create_pin(config: &Config, options: &PinOptions) -> Result<Pin, Error> {
    Client::new(config.clone())?.create_pin(options).await
}

/// One-shot [`Client::check_pin`] with a fresh client.
pub async fn check_pin(config: &Config, pin_id: u64) -> Result<Pin, Error> {
    Client::new(config.clone())?.check_pin(pin_id).await
}

/// One-shot [`Client::user`] with a fresh client.
pub async fn user(config: &Config, token: &Token) -> Result<User, Error> {
    Client::new(config.clone())?.user(token).await
}

/// One-shot [`Client::login`] with a fresh client.
pub async fn login(
    config: &Config,
    options: LoginOptions,
    on_pin: impl FnMut(&Pin, &str) + Send,
) -> Result<Token, Error> {
    Client::new(config.clone())?.login(options, on_pin).await
}
