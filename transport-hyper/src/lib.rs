//! Async Plex.tv PIN sign-in over [hyper](https://docs.rs/hyper) 1 and tokio.
//!
//! A thin transport for the sans-IO [`plex_pin`] core: one pooled hyper-util client with
//! rustls, `tokio::time::timeout` around every call, the body read into one capped buffer,
//! no redirects followed. Everything else, the login's loop included, is the core's
//! ([`plex_pin::drive`]). [`Client`] is `Clone + Send + Sync`; share it between tasks. It
//! implements [`SendTransport`], so generic code can `tokio::spawn` the loop over it.
//! Dropping a [`Client::login`] future stops the login at once.
//!
//! - **Proxies**: the one rule of [`plex_pin::proxy`]. `https://` requests to hosts that are
//!   not loopback go through `HTTPS_PROXY` (else `ALL_PROXY`, either case, minus
//!   `NO_PROXY`) as a `CONNECT` tunnel, so TLS keeps the token from the proxy; plain
//!   `http://` (loopback only) and loopback hosts never do, and `HTTP_PROXY` is not read.
//!   [`ClientBuilder::proxy`] replaces the environment's setting.
//! - **TLS**: rustls with the bundled Mozilla roots, its provider passed explicitly (so
//!   another crate's choice cannot make it panic): aws-lc-rs by default, which offers the
//!   post-quantum X25519MLKEM768 key exchange first, or *ring* with the `ring` feature. A
//!   certificate that does not verify is [`TransportErrorKind::Tls`], said in words, and
//!   ends a login at once.
//! - **Memory**: buffers sized for plex.tv's answers (under 2 KiB), at most
//!   [`max_connections`](ClientBuilder::max_connections) requests in flight: 3–6 KiB per
//!   pending login with 10,000 of them.
//! - **Features**: `aws-lc-rs` (default) or `ring`; `jwt` for Plex's JWT sign-in and
//!   `Client::refresh` (off by default: it brings Ed25519 and SHA-256).
//!
//! ```no_run
//! use plex_pin::{Call, ClientId, Config, LoginOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let client = plex_pin_hyper::Client::new(config)?;
//! let token = client
//!     .login(LoginOptions::default(), |pin, url| {
//!         println!("Sign in at {url} (code {})", pin.code)
//!     })
//!     .await?;
//! let user = client.call(Call::user(client.config(), &token)).await?;
//! println!("Hello {:?}", user.display_name());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod connect;
mod failure;
mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use plex_pin::drive::{
    self, Cancel, Clock, Event, Flow, SendTransport, SystemClock, TransportError,
};
use plex_pin::proxy::Proxy;
use plex_pin::{Call, Config, Instant, LoginOptions, Pin, PinLogin, Token, TransportErrorKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::sync::Semaphore;

use connect::{Bounded, Connector};

pub use plex_pin;

/// Default cap on a response body (the core's, for every transport).
pub use plex_pin::drive::DEFAULT_MAX_BODY;

/// What can go wrong: the core's error unchanged, or a request that got no answer (its
/// [`kind`](TransportError::kind), and a message in words over hyper's, tokio's or
/// rustls's error, in an `io::Error` of kind `Other`, as its source). No variant holds a
/// token: requests carrying one are never part of a message.
///
/// A certificate that does not verify is [`TransportErrorKind::Tls`], its message says
/// why (unknown issuer, another host name, expired…) and the `io::Error`'s source is
/// rustls's [`rustls::Error`]. A server that does not finish the TCP connect and the TLS
/// handshake within the [connect timeout](ClientBuilder::connect_timeout) is
/// [`TransportErrorKind::Timeout`].
pub type Error = TransportError<std::io::Error>;

/// Configures a [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    /// `None`: the environment's, read by `build`.
    proxy: Option<Proxy>,
    max_connections: usize,
    extra_roots: Vec<CertificateDer<'static>>,
}

impl ClientBuilder {
    /// Overall timeout of one call, connect to last body byte (default
    /// [`DEFAULT_TIMEOUT`](plex_pin::drive::DEFAULT_TIMEOUT), 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Bound on making a connection: the TCP connect, a proxy's tunnel and the TLS
    /// handshake together (default 5 s). A server that accepts and then stalls the
    /// handshake fails the request with [`TransportErrorKind::Timeout`] after this long,
    /// not after the whole [`timeout`](Self::timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Response body cap (default [`DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The proxy, under the one rule of [`plex_pin::proxy`]: only `https://` requests to
    /// hosts that are not loopback go through it, as a `CONNECT` tunnel, so TLS keeps the
    /// token from it; plain `http://` (loopback only) never does. Default
    /// [`Proxy::from_env`] (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, either case; never
    /// `HTTP_PROXY`), read by [`build`](Self::build); [`Proxy::none`] for none.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// At most this many requests in flight at once, each on its own connection (HTTP/1.1);
    /// more wait their turn, within their timeout. Default 1,024.
    ///
    /// This bounds the client's memory when the server is slow: a connection holds about
    /// 22 KiB of hyper's buffers (plus TLS's), and a slow server would otherwise get one
    /// per pending login. Of the connections a burst opened, the pool keeps up to 256 idle
    /// ones for the next polls and closes the rest.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// Trusts one more root certificate (PEM) besides the bundled Mozilla roots, e.g. a
    /// corporate TLS proxy's. A certificate that does not parse is a TLS error.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let cert = CertificateDer::from_pem_slice(pem)
            .map_err(|e| Error::transport(TransportErrorKind::Tls, std::io::Error::other(e)))?;
        self.extra_roots.push(cert);
        Ok(self)
    }

    /// Builds the client and its connection pool. Needs no runtime until first used.
    ///
    /// Fails when the proxy variables name a proxy that cannot be used (not `http://` or
    /// `https://`, no host), rather than connecting without it, and when an added root
    /// certificate is refused.
    pub fn build(self) -> Result<Client, Error> {
        let config_error = |kind, e: Box<dyn std::error::Error + Send + Sync>| {
            Error::transport(
                kind,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
            )
        };
        let proxy = match self.proxy {
            Some(proxy) => proxy,
            // A setting the client cannot use: the configuration's error, as in every
            // transport.
            None => {
                Proxy::from_env().map_err(|e| Error::Plex(plex_pin::Error::Config(e.into())))?
            }
        };
        let tls = tls::config(&self.extra_roots)
            .map_err(|e| config_error(TransportErrorKind::Tls, e.into()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        let connector = Connector::new(http, proxy, tls.clone())
            .map_err(|e| config_error(TransportErrorKind::Other, e))?;
        let https = HttpsConnector::from((connector, tls));
        let bounded = Bounded {
            inner: https,
            limit: self.connect_timeout,
        };
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .pool_max_idle_per_host(MAX_IDLE)
            // Sized for plex.tv, whose answers are under 2 KiB: hyper's adaptive read
            // buffer starts at 8 KiB and stays that size on every pooled connection
            // (27.7 -> 21.7 KiB per idle connection, `cargo bench -p plex-pin-tests
            // --bench transports`). A longer answer is read in more steps; bodies are
            // capped by `max_body` whatever the buffer.
            .http1_read_buf_exact_size(2048)
            // Requests are a few hundred bytes: copied after the head into hyper's write
            // buffer (which it allocates anyway), one write and one TLS record, no queue.
            .http1_writev(false)
            .build(bounded);
        Ok(Client {
            http,
            in_flight: Arc::new(Semaphore::new(self.max_connections)),
            config: self.config,
            timeout: self.timeout,
            max_body: self.max_body,
        })
    }
}

type Connecting = Bounded<HttpsConnector<Connector>>;

/// Idle keep-alive connections the pool keeps (per host: plex.tv). Polls reuse them: a
/// thousand pending logins polling every second keep a few busy at a time.
const MAX_IDLE: usize = 256;

/// An async plex.tv client: one configuration, one connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: hyper_util::client::legacy::Client<Connecting, Full<Bytes>>,
    /// One permit per request in flight ([`ClientBuilder::max_connections`]).
    in_flight: Arc<Semaphore>,
    config: Config,
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
            timeout: plex_pin::drive::DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            max_body: DEFAULT_MAX_BODY,
            proxy: None,
            max_connections: 1_024,
            extra_roots: Vec::new(),
        }
    }

    /// The configuration requests are built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sends any plex.tv call ([`Call`]: create or check a pin, the account, …) and reads
    /// its answer.
    pub async fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        drive::call(self, call).await
    }

    /// Runs the whole sign-in: creates a pin, calls `on_pin` once with it and the URL the
    /// user should open, polls until approval and returns the token. Bounded by the pin's
    /// lifetime and [`LoginOptions::timeout`]; cancel it by dropping the future.
    pub fn login<'a>(
        &'a self,
        options: LoginOptions,
        mut on_pin: impl FnMut(&Pin, &str) + Send + 'a,
    ) -> impl Future<Output = Result<Token, Error>> + Send + 'a {
        // Not an `async fn`: each wrapper would add its arguments to the future's size.
        let login = PinLogin::new(&self.config, options);
        drive::run(self, login, None, move |event| {
            if let Event::PinReady { pin, url, .. } = event {
                on_pin(pin, url)
            }
        })
    }

    /// Runs any [`Flow`] with the core's loop ([`drive::run`]): a [`PinLogin`] (a resumed
    /// one, or, with the `jwt` feature, the JWT sign-in of `PinLogin::with_device_key`) or
    /// a `JwtRefresh`, with every [`Event`] (the pin, each retry and its cause) and an
    /// optional [`Cancel`] handle.
    pub fn run<'a, F: Flow + 'a>(
        &'a self,
        flow: F,
        cancel: Option<&'a Cancel>,
        observe: impl FnMut(Event<'_, Error>) + 'a,
    ) -> impl Future<Output = Result<Token, Error>> + 'a {
        drive::run(self, flow, cancel, observe)
    }

    /// A new Plex JWT for a device whose key is registered ([`plex_pin::JwtRefresh`]).
    /// Needs the `jwt` feature.
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub async fn refresh(&self, key: &plex_pin::jwt::DeviceKey) -> Result<Token, Error> {
        let refresh = plex_pin::JwtRefresh::new(&self.config, key.clone());
        self.run(refresh, None, |_| {}).await
    }

    async fn exchange(&self, request: plex_pin::Request) -> Result<http::Response<Bytes>, Error> {
        // Held until the body is read, when the connection goes back to the pool.
        let _turn = self.in_flight.acquire().await.map_err(|closed| {
            Error::transport(TransportErrorKind::Other, std::io::Error::other(closed))
        })?;
        let limit = self.max_body;
        let too_large = || {
            let message = format!("the body is larger than the {limit}-byte limit");
            Error::transport(
                TransportErrorKind::BodyTooLarge,
                std::io::Error::other(message),
            )
        };
        let request = request.map(|body| Full::new(Bytes::from(body)));
        let uri = request.uri().clone();
        let response = (self.http.request(request).await)
            .map_err(|e| failure::request_failed(e, uri.host().unwrap_or("the server")))?;
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        let (parts, mut body) = response.into_parts();
        // Each frame is copied into one buffer and dropped: kept as they came (as
        // `Limited::collect` keeps them), a body dripped one byte per segment would hold a
        // read buffer per byte, 400 MB for a 64 KB answer. The cap now bounds memory.
        let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                Error::transport(TransportErrorKind::Other, std::io::Error::other(e))
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }
}

impl Clock for Client {
    fn now(&self) -> Instant {
        SystemClock.now()
    }

    fn unix_now(&self) -> u64 {
        SystemClock.unix_now()
    }
}

/// `Send` futures: generic code can spawn [`drive::run`] over this client on a
/// multi-threaded runtime ([`AsyncTransport`](drive::AsyncTransport) comes with it).
impl SendTransport for Client {
    type Body = Bytes;
    type Error = Error;

    /// Sends one request within `timeout` and reads at most the body cap. 4xx and 5xx are
    /// responses: the core reads them. Redirects are not followed.
    ///
    /// The request's state (about 1.3 KB: hyper's request and response heads, the timer) is
    /// boxed for the time it is in flight, so that a login waiting for its next poll, as
    /// most of a server's pending logins are, does not carry room for it.
    fn send(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> impl Future<Output = Result<http::Response<Bytes>, Error>> + Send {
        Box::pin(async move {
            tokio::time::timeout(timeout, self.exchange(request))
                .await
                .map_err(|elapsed| {
                    let elapsed = std::io::Error::other(elapsed);
                    Error::transport(TransportErrorKind::Timeout, elapsed)
                })?
        })
    }

    fn sleep_until(&self, at: Instant) -> impl Future<Output = ()> + Send {
        tokio::time::sleep_until(at.into())
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The kind the error carries: a TLS failure (a certificate that does not verify)
    /// then ends the login at once instead of being retried.
    fn error_kind(&self, error: &Error) -> TransportErrorKind {
        error.kind().unwrap_or(TransportErrorKind::Other)
    }
}
