//! Blocking Plex.tv PIN sign-in over [ureq](https://docs.rs/ureq) 3.
//!
//! A thin transport for the sans-IO [`plex_pin`] core: it sends the core's requests with one
//! pooled [`ureq::Agent`], caps every response body, times out every call and follows no
//! redirect. Everything else, the login's loop included, is the core's
//! ([`plex_pin::drive`]).
//!
//! ```no_run
//! use plex_pin::{ClientId, Config, LoginOptions};
//!
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let client = plex_pin_ureq::Client::new(config);
//! let token = client.login(LoginOptions::default(), |pin, url| {
//!     println!("Sign in at {url} (code {})", pin.code);
//! })?;
//! let user = client.call(plex_pin::Call::user(client.config(), &token))?;
//! println!("Hello {}", user.display_name().unwrap_or("there"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod resolver;

use std::time::Duration;

use plex_pin::drive::{self, BlockingTransport, Cancel, Clock, Event, Flow, TransportError};
use plex_pin::{Call, Config, Instant, LoginOptions, Pin, PinLogin, Token, TransportErrorKind};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::transport::DefaultConnector;

pub use plex_pin;

/// Default cap on a response body (the core's, for every transport).
pub use plex_pin::drive::DEFAULT_MAX_BODY;

/// What can go wrong: the core's error unchanged, or a request that got no answer (its
/// [`kind`](TransportError::kind), and ureq's error as its source). No variant holds a
/// token: requests carrying one are never part of a message.
pub type Error = TransportError<ureq::Error>;

/// ureq's error, with its kind.
fn failed(source: ureq::Error) -> Error {
    use std::io::ErrorKind as Io;
    use ureq::Error as U;
    let kind = match &source {
        U::Timeout(_) => TransportErrorKind::Timeout,
        U::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        U::HostNotFound | U::ConnectionFailed => TransportErrorKind::Connect,
        U::Io(io)
            if matches!(
                io.kind(),
                Io::ConnectionRefused
                    | Io::ConnectionReset
                    | Io::ConnectionAborted
                    | Io::UnexpectedEof
            ) =>
        {
            TransportErrorKind::Connect
        }
        U::Rustls(_) | U::Tls(_) => TransportErrorKind::Tls,
        _ => TransportErrorKind::Other,
    };
    Error::transport(kind, source)
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
    /// Overall timeout of one call, connect to last body byte (default
    /// [`DEFAULT_TIMEOUT`](plex_pin::drive::DEFAULT_TIMEOUT), 15 s).
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
    /// corporate TLS proxy's. A certificate that does not parse is a TLS error.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let cert =
            Certificate::from_pem(pem).map_err(|e| Error::transport(TransportErrorKind::Tls, e))?;
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
        let resolver = resolver::LiteralFirst::default();
        Client {
            agent: ureq::Agent::with_parts(config, DefaultConnector::new(), resolver),
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
            timeout: plex_pin::drive::DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            max_body: DEFAULT_MAX_BODY,
            extra_roots: Vec::new(),
        }
    }

    /// The configuration requests are built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sends any plex.tv call ([`Call`]: create or check a pin, the account, …) and reads
    /// its answer.
    pub fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        drive::call_blocking(self, call)
    }

    /// Runs the whole sign-in: creates a pin, calls `on_pin` once with it and the URL the
    /// user should open, polls until approval and returns the token. Blocks the thread;
    /// bounded by the pin's lifetime and [`LoginOptions::timeout`].
    pub fn login(
        &self,
        options: LoginOptions,
        mut on_pin: impl FnMut(&Pin, &str),
    ) -> Result<Token, Error> {
        self.run(PinLogin::new(&self.config, options), None, |event| {
            if let Event::PinReady { pin, url, .. } = event {
                on_pin(pin, url)
            }
        })
    }

    /// Runs any [`Flow`] with the core's blocking loop ([`drive::run_blocking`]): a
    /// [`PinLogin`] (a resumed one, or the JWT sign-in of [`PinLogin::with_device_key`])
    /// or a [`JwtRefresh`](plex_pin::JwtRefresh), with every [`Event`] (the pin, each
    /// retry and its cause) and a [`Cancel`] handle another thread can use.
    pub fn run(
        &self,
        flow: impl Flow,
        cancel: Option<&Cancel>,
        observe: impl FnMut(Event<'_, Error>),
    ) -> Result<Token, Error> {
        drive::run_blocking(self, flow, cancel, observe)
    }

    /// A new Plex JWT for a device whose key is registered ([`plex_pin::JwtRefresh`]).
    pub fn refresh(&self, key: &plex_pin::jwt::DeviceKey) -> Result<Token, Error> {
        let refresh = plex_pin::JwtRefresh::new(&self.config, key.clone());
        self.run(refresh, None, |_| {})
    }
}

impl Clock for Client {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn unix_now(&self) -> u64 {
        let now = web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH);
        now.map_or(0, |d| d.as_secs())
    }
}

impl BlockingTransport for Client {
    type Body = Vec<u8>;
    type Error = Error;

    /// Sends one request within `timeout` (the client's own when shorter) and reads at most
    /// the body cap. 4xx and 5xx are responses: the core reads them.
    fn send(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let limit = self.max_body as u64;
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
        .map_err(failed)?;
        if response
            .body()
            .content_length()
            .is_some_and(|len| len > limit)
        {
            return Err(failed(ureq::Error::BodyExceedsLimit(limit)));
        }
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(failed)?;
        Ok(http::Response::from_parts(parts, bytes))
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }
}
