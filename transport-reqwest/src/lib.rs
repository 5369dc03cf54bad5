//! Async Plex.tv PIN sign-in over [reqwest](https://docs.rs/reqwest) 0.13, for apps that
//! already have it.
//!
//! A thin transport for the sans-IO [`plex_pin`] core, which avoids reqwest's three traps
//! for a login client: it follows no redirect (reqwest follows ten by default, and would
//! carry the token's header to wherever a 302 points), reads every body into one buffer
//! capped at [`DEFAULT_MAX_BODY`] (reqwest's `bytes()` has no cap), refusing by
//! `Content-Length` before reading, and bounds every request, connect to last byte, by its
//! timeout. Proxies follow the core's rule ([`plex_pin::proxy`]) instead of reqwest's
//! environment handling. Everything else, the login's loop included, is the core's
//! ([`plex_pin::drive`]). [`Client`] is `Clone + Send + Sync`; share it between tasks.
//! Dropping a [`Client::login`] future stops the login at once. It runs on tokio, as
//! reqwest does.
//!
//! ```no_run
//! use plex_pin::{Call, ClientId, Config, LoginOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let client = plex_pin_reqwest::Client::new(config)?;
//! let token = client
//!     .login(LoginOptions::default(), |pin, url| {
//!         println!("Sign in at {url} (code {})", pin.code)
//!     })
//!     .await?;
//! let user = client.call(Call::user(client.config(), &token)).await?;
//! println!("Hello {:?}", user.display_name());
//! # Ok(()) }
//! ```
//!
//! # The app's own reqwest client
//!
//! [`ClientBuilder::reqwest`] (or [`Client::from_reqwest`]) sends through a
//! [`reqwest::Client`] the app already has, with its connection pool, TLS roots and proxy
//! settings. Its redirect policy must be [`reqwest::redirect::Policy::none()`]; reqwest
//! cannot be asked which policy a client has, so each answer is checked instead: one that
//! comes from another URL than the request's was reached through a redirect and is refused
//! ([`TransportErrorKind::Redirect`]) without its body being read. The redirected request
//! has then been sent, though, with the token's header: build that client with
//! `Policy::none()`.
//!
//! # No blocking client
//!
//! reqwest's blocking client is its async client on a runtime thread of its own: a blocking
//! app gets the same from `tokio::runtime::Runtime::block_on(client.login(…))`, with
//! cancellation by dropping the future, and `plex-pin-ureq` is the blocking transport that
//! needs no runtime.
#![deny(missing_docs)]

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use plex_pin::drive::{
    self, Cancel, Clock, Event, Flow, SendTransport, SystemClock, TransportError,
};
use plex_pin::proxy::Proxy;
use plex_pin::{Call, Config, Instant, LoginOptions, Pin, PinLogin, Token, TransportErrorKind};

pub use plex_pin;
pub use reqwest;

/// Default cap on a response body (the core's, for every transport).
pub use plex_pin::drive::DEFAULT_MAX_BODY;

/// What can go wrong: the core's error unchanged, or a request that got no answer (its
/// [`kind`](TransportError::kind), and reqwest's error, wrapped in an `io::Error` of kind
/// `Other`, as its source: a `reqwest::Error` cannot be made for the failures this crate
/// finds itself, a body over the cap or a timeout). No variant holds a token: requests
/// carrying one are never part of a message, and reqwest's errors lose their URL (a signed
/// poll's query holds the device JWT).
pub type Error = TransportError<std::io::Error>;

/// Configures a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    proxy: Option<Proxy>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Overall timeout of one call, connect to last body byte (default
    /// [`DEFAULT_TIMEOUT`](plex_pin::drive::DEFAULT_TIMEOUT), 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (default 5 s). Not used with [`reqwest`](Self::reqwest): that
    /// client's own applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Response body cap (default [`DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The proxy settings ([`Proxy::url`], [`Proxy::none`]…) instead of the environment's
    /// ([`Proxy::from_env`], the default). Either way only https requests to hosts that
    /// are not loopback go through a proxy ([`plex_pin::proxy`]). Not used with
    /// [`reqwest`](Self::reqwest): that client's own apply.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Sends through `http`, a client the app already has, instead of building one. Its
    /// redirect policy must be [`reqwest::redirect::Policy::none()`]: see the
    /// [crate docs](crate#the-apps-own-reqwest-client). Its connect timeout, proxies and
    /// TLS settings apply; [`timeout`](Self::timeout) and [`max_body`](Self::max_body)
    /// still bound every call.
    pub fn reqwest(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client and its connection pool. Needs no runtime until first used.
    ///
    /// # Errors
    /// A proxy variable of the environment that is not an `http://` or `https://` URL (a
    /// SOCKS proxy, a typo), as the configuration's error
    /// ([`plex_pin::Error::Config`], naming the variable), or a TLS backend reqwest cannot
    /// start ([`TransportErrorKind::Tls`]).
    pub fn build(self) -> Result<Client, Error> {
        let http = match self.http {
            Some(http) => http,
            None => {
                let proxy = match self.proxy {
                    Some(proxy) => proxy,
                    // A setting the client cannot use is the configuration's error, as a bad
                    // base URL is.
                    None => Proxy::from_env()
                        .map_err(|e| Error::Plex(plex_pin::Error::Config(e.into())))?,
                };
                let mut builder = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(self.connect_timeout)
                    .tcp_nodelay(true)
                    // reqwest reads the proxy variables itself (HTTP_PROXY too, for the
                    // plain-http loopback URLs): off, and the core's rule instead.
                    .no_proxy();
                if proxy.proxy_url().is_some() {
                    builder = builder.proxy(reqwest::Proxy::custom(move |url| {
                        let uri = url.as_str().parse::<http::Uri>().ok()?;
                        proxy.for_uri(&uri).map(str::to_owned)
                    }));
                }
                builder
                    .build()
                    .map_err(|e| failed(TransportErrorKind::Tls, std::io::Error::other(e)))?
            }
        };
        Ok(Client {
            http,
            config: self.config,
            timeout: self.timeout,
            max_body: self.max_body,
        })
    }
}

/// An async plex.tv client: one configuration, one reqwest client (and its connection
/// pool). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Config,
    timeout: Duration,
    max_body: usize,
}

impl Client {
    /// A client with the default timeouts, body cap and proxy settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
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
            http: None,
        }
    }

    /// A client sending through `http`, a client the app already has, built with
    /// `.redirect(reqwest::redirect::Policy::none())` ([`ClientBuilder::reqwest`] with the
    /// default timeout and body cap).
    pub fn from_reqwest(config: Config, http: reqwest::Client) -> Self {
        Client {
            http,
            config,
            timeout: plex_pin::drive::DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
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
        let login = PinLogin::new(&self.config, options);
        drive::run(self, login, None, move |event| {
            if let Event::PinReady { pin, url, .. } = event {
                on_pin(pin, url)
            }
        })
    }

    /// Runs any [`Flow`] with the core's loop ([`drive::run`]): a [`PinLogin`] (a resumed
    /// one, or the JWT sign-in of `PinLogin::with_device_key`) or a `JwtRefresh`, with
    /// every [`Event`] (the pin, each retry and its cause) and an optional [`Cancel`]
    /// handle.
    pub fn run<'a, F: Flow + 'a>(
        &'a self,
        flow: F,
        cancel: Option<&'a Cancel>,
        observe: impl FnMut(Event<'_, Error>) + 'a,
    ) -> impl Future<Output = Result<Token, Error>> + 'a {
        drive::run(self, flow, cancel, observe)
    }

    /// A new Plex JWT for a device whose key is registered ([`plex_pin::JwtRefresh`]).
    #[cfg(feature = "jwt")]
    pub async fn refresh(&self, key: &plex_pin::jwt::DeviceKey) -> Result<Token, Error> {
        let refresh = plex_pin::JwtRefresh::new(&self.config, key.clone());
        self.run(refresh, None, |_| {}).await
    }

    async fn exchange(&self, request: plex_pin::Request) -> Result<http::Response<Bytes>, Error> {
        let limit = self.max_body;
        let too_large = || {
            let message = format!("the body is larger than the {limit}-byte limit");
            failed(
                TransportErrorKind::BodyTooLarge,
                std::io::Error::other(message),
            )
        };
        let request = reqwest::Request::try_from(request).map_err(reqwest_failed)?;
        let sent_to = request.url().clone();
        let mut response = self.http.execute(request).await.map_err(reqwest_failed)?;
        if *response.url() != sent_to {
            let message = "the reqwest client followed a redirect: build it with \
                           redirect::Policy::none()";
            return Err(failed(
                TransportErrorKind::Redirect,
                std::io::Error::other(message),
            ));
        }
        let declared = response.content_length();
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        let mut head = http::Response::new(());
        *head.status_mut() = response.status();
        *head.version_mut() = response.version();
        *head.headers_mut() = std::mem::take(response.headers_mut());
        // Chunks are copied into one buffer as they come, so that the cap bounds memory
        // whatever the server's framing (one byte per segment included).
        let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize));
        while let Some(chunk) = response.chunk().await.map_err(reqwest_failed)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(head.map(|()| Bytes::from(bytes)))
    }
}

/// A failure of `kind`, with `source` as its source.
fn failed(kind: TransportErrorKind, source: std::io::Error) -> Error {
    Error::transport(kind, source)
}

/// reqwest's error, with its kind, without its URL (a poll's query carries the device JWT)
/// and in words: a TLS failure as every rustls transport words it (`plex_pin::tls`, with
/// the `rustls` feature), anything else with its innermost cause, which says what
/// reqwest's "error sending request" does not (the system's "Connection refused", another
/// TLS library's text).
fn reqwest_failed(error: reqwest::Error) -> Error {
    #[cfg(feature = "rustls")]
    let host = error
        .url()
        .and_then(|url| url.host_str())
        .map(str::to_owned);
    let error = error.without_url();
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() && is_tls(&error) {
        TransportErrorKind::Tls
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_redirect() {
        TransportErrorKind::Redirect
    } else {
        TransportErrorKind::Other
    };
    #[cfg(feature = "rustls")]
    if let Some(tls) = plex_pin::tls::rustls_error(&error) {
        let message = plex_pin::tls::describe(tls, host.as_deref().unwrap_or("the server"));
        return failed(kind, std::io::Error::other(Shown { message, error }));
    }
    failed(kind, std::io::Error::other(Shown::with_cause(error)))
}

/// A reqwest error under the message shown for it; its `source()` is reqwest's chain.
#[derive(Debug)]
struct Shown {
    message: String,
    error: reqwest::Error,
}

impl Shown {
    /// reqwest's message, then its innermost cause's.
    fn with_cause(error: reqwest::Error) -> Self {
        let mut cause: &(dyn std::error::Error + 'static) = &error;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let message = if std::ptr::addr_eq(cause, &error) {
            error.to_string()
        } else {
            format!("{error}: {cause}")
        };
        Self { message, error }
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Whether a connect error is TLS's: the TLS streams report a failed handshake or a refused
/// certificate as an `io::Error` of kind `InvalidData` somewhere down the error's sources
/// (also inside another `io::Error`, whose `source()` skips the error it wraps), and a TCP
/// connect never does.
fn is_tls(error: &reqwest::Error) -> bool {
    fn invalid_data(error: &(dyn std::error::Error + 'static)) -> bool {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
            if io.get_ref().is_some_and(|inner| invalid_data(inner)) {
                return true;
            }
        }
        error.source().is_some_and(invalid_data)
    }
    std::error::Error::source(error).is_some_and(invalid_data)
}

impl Clock for Client {
    fn now(&self) -> Instant {
        SystemClock.now()
    }

    fn unix_now(&self) -> u64 {
        SystemClock.unix_now()
    }
}

/// `Send` futures: generic code can spawn the login on a multi-threaded runtime.
impl SendTransport for Client {
    type Body = Bytes;
    type Error = Error;

    /// Sends one request within `timeout` and reads at most the body cap. 4xx and 5xx are
    /// responses: the core reads them. Redirects are not followed.
    async fn send(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
    ) -> Result<http::Response<Bytes>, Error> {
        tokio::time::timeout(timeout, self.exchange(request))
            .await
            .map_err(|elapsed| {
                failed(TransportErrorKind::Timeout, std::io::Error::other(elapsed))
            })?
    }

    async fn sleep_until(&self, at: Instant) {
        tokio::time::sleep_until(at.into()).await
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The error's own kind: a TLS failure ends a login at once.
    fn error_kind(&self, error: &Error) -> TransportErrorKind {
        error.kind().unwrap_or(TransportErrorKind::Other)
    }
}
