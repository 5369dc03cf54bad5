//! Blocking Plex.tv PIN sign-in over [ureq](https://docs.rs/ureq) 3.
//!
//! A thin transport for the sans-IO [`plex_pin`] core: it sends the core's requests with
//! pooled [`ureq::Agent`]s, caps every response body, times out every call and follows no
//! redirect. Everything else, the login's loop included, is the core's
//! ([`plex_pin::drive`]). What it adds to ureq:
//!
//! - Proxies follow [`plex_pin::proxy`]'s rule, never ureq's own
//!   ([`ClientBuilder::proxy`]): plain-http loopback requests are never proxied.
//! - A [`Cancel`] ends a request in flight at once ([`Client::run`]).
//! - A refused certificate is kind `Tls`, in words, and ends a login without retry
//!   ([`UreqError`]).
//!
//! Features: `jwt` (off by default) turns on Plex's JWT sign-in and `Client::refresh`
//! (plex-pin's `jwt`).
//!
//! ```no_run
//! use plex_pin::{ClientId, Config, LoginOptions};
//!
//! let config = Config::builder("My App", ClientId::generate()).build()?;
//! let client = plex_pin_ureq::Client::new(config)?;
//! let token = client.login(LoginOptions::default(), |pin, url| {
//!     println!("Sign in at {url} (code {})", pin.code);
//! })?;
//! let user = client.call(plex_pin::Call::user(client.config(), &token))?;
//! println!("Hello {}", user.display_name().unwrap_or("there"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cancel;
mod error;
mod resolver;
mod route;

use std::sync::Arc;
use std::time::Duration;

use plex_pin::drive::{self, BlockingTransport, Cancel, Clock, Event, Flow, SystemClock};
use plex_pin::proxy::Proxy;
use plex_pin::{Call, Config, Instant, LoginOptions, Pin, PinLogin, Token, TransportErrorKind};
use ureq::tls::{Certificate, RootCerts, TlsConfig};

pub use error::{Error, UreqError};
pub use plex_pin;

/// Default cap on a response body (the core's, for every transport).
pub use plex_pin::drive::DEFAULT_MAX_BODY;

use cancel::InFlight;
use error::failed;
use route::{Route, Settings};

/// Configures a [`Client`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    extra_roots: Vec<Certificate<'static>>,
    /// `None`: the environment's, read by `build`.
    proxy: Option<Proxy>,
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
        let cert = Certificate::from_pem(pem)
            .map_err(|e| Error::transport(TransportErrorKind::Tls, e.into()))?;
        self.extra_roots.push(cert);
        Ok(self)
    }

    /// The proxy requests may go through, replacing the environment's
    /// ([`Proxy::from_env`], the default): [`Proxy::url`] for one of your choice,
    /// [`Proxy::none`] for none.
    ///
    /// Whichever it is, the rule of [`plex_pin::proxy`] applies per request: a proxy is
    /// used only for `https://` to a host that is not loopback, where TLS keeps the token
    /// from it (`CONNECT`), and never for plain `http://` (allowed only to loopback
    /// addresses, never proxied). `HTTP_PROXY` is not read; `HTTPS_PROXY`, then
    /// `ALL_PROXY`, and `NO_PROXY` are, in either case. ureq's own reading of these
    /// variables is off.
    ///
    /// ```
    /// use plex_pin::proxy::Proxy;
    /// # let config = plex_pin::Config::builder("My App", plex_pin::ClientId::generate()).build()?;
    ///
    /// let client = plex_pin_ureq::Client::builder(config)
    ///     .proxy(Proxy::url("http://proxy.corp:3128")?.with_no_proxy("intranet.corp"))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Builds the client and its connection pool.
    ///
    /// Fails when the proxy setting cannot be used: without
    /// [`proxy`](Self::proxy), a `HTTPS_PROXY` or `ALL_PROXY` that is not an `http://` or
    /// `https://` URL (a SOCKS proxy, a typo) is an error here, naming the variable, rather
    /// than a silent direct connection.
    pub fn build(self) -> Result<Client, Error> {
        let proxy = match self.proxy {
            Some(proxy) => proxy,
            None => Proxy::from_env().map_err(error::proxy_refused)?,
        };
        let roots = if self.extra_roots.is_empty() {
            RootCerts::WebPki
        } else {
            let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned());
            RootCerts::new_with_certs(&bundled.chain(self.extra_roots).collect::<Vec<_>>())
        };
        let settings = Settings {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            tls: TlsConfig::builder().root_certs(roots).build(),
        };
        Ok(Client {
            route: Arc::new(Route::new(settings, proxy)),
            config: self.config,
            timeout: self.timeout,
            max_body: self.max_body,
        })
    }
}

/// A blocking plex.tv client: one configuration, one connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    route: Arc<Route>,
    config: Config,
    timeout: Duration,
    max_body: usize,
}

impl Client {
    /// A client with the default timeouts and body cap, and the environment's proxy
    /// (see [`ClientBuilder::proxy`] for the rule and [`ClientBuilder::build`] for the
    /// error).
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
            extra_roots: Vec::new(),
            proxy: None,
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

    /// [`call`](Self::call), ended at once with [`plex_pin::Error::Cancelled`] when `cancel`
    /// cancels, even while the request waits for an answer (see [`run`](Self::run)).
    /// A handle that already cancelled sends nothing.
    pub fn call_with_cancel<T>(&self, call: Call<T>, cancel: &Cancel) -> Result<T, Error> {
        let (request, parser) = call.into_parts();
        let response = self.send_cancellable(request, self.timeout, cancel)?;
        Ok(parser.parse(response)?)
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
    /// [`PinLogin`] (a resumed one, or with the `jwt` feature the JWT sign-in of
    /// `PinLogin::with_device_key`) or a JWT refresh, with every [`Event`] (the pin, each
    /// retry and its cause) and a [`Cancel`] handle another thread can use.
    ///
    /// [`Cancel::cancel`] ends the run with [`plex_pin::Error::Cancelled`] at once, in a
    /// wait between polls or in the middle of a request the server has not answered: the
    /// sockets of that request are shut down (its connection is not used again). Measured
    /// against a server that never answers, the run returns within milliseconds of the
    /// cancel. A DNS lookup or a TCP connect in progress is the exception: it finishes
    /// first, within the connect timeout ([`ClientBuilder::connect_timeout`], 5 s). A token
    /// that arrived before the cancel is returned.
    ///
    /// ```no_run
    /// use plex_pin::drive::{Cancel, Event};
    /// use plex_pin::{LoginOptions, PinLogin};
    /// # let config = plex_pin::Config::builder("My App", plex_pin::ClientId::generate()).build()?;
    ///
    /// let client = plex_pin_ureq::Client::new(config)?;
    /// let cancel = Cancel::new();
    /// let on_ctrl_c = cancel.clone(); // e.g. to the `ctrlc` crate's handler: on_ctrl_c.cancel()
    /// let login = PinLogin::new(client.config(), LoginOptions::default());
    /// let token = client.run(login, Some(&cancel), |event| {
    ///     if let Event::PinReady { url, .. } = event {
    ///         eprintln!("Open {url}");
    ///     }
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(
        &self,
        flow: impl Flow,
        cancel: Option<&Cancel>,
        observe: impl FnMut(Event<'_, Error>),
    ) -> Result<Token, Error> {
        drive::run_blocking(self, flow, cancel, observe)
    }

    /// A new Plex JWT for a device whose key is registered ([`plex_pin::JwtRefresh`]).
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn refresh(&self, key: &plex_pin::jwt::DeviceKey) -> Result<Token, Error> {
        let refresh = plex_pin::JwtRefresh::new(&self.config, key.clone());
        self.run(refresh, None, |_| {})
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
        let peer = self.route.peer(request.uri());
        let failed = |error| failed(error, &peer);
        let agent = self.route.agent(request.uri()).map_err(failed)?;
        let response = if timeout < self.timeout {
            // A per-request configuration costs a copy of the agent's: only when it differs.
            let request = agent
                .configure_request(request)
                .timeout_global(Some(timeout))
                .build();
            agent.run(request)
        } else {
            agent.run(request)
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

    /// [`send`](Self::send), with the sockets it uses shut down when `cancel` cancels: the
    /// request then ends with [`plex_pin::Error::Cancelled`] at once, not at its timeout.
    fn send_cancellable(
        &self,
        request: plex_pin::Request,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        if cancel.is_cancelled() {
            return Err(plex_pin::Error::Cancelled.into());
        }
        let in_flight = Arc::new(InFlight::default());
        let fire = Arc::clone(&in_flight);
        let _watching = cancel.on_cancel(move || fire.fire());
        match in_flight.run(|| self.send(request, timeout)) {
            Err(_) if in_flight.fired() => Err(plex_pin::Error::Cancelled.into()),
            answer => answer,
        }
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn error_kind(&self, error: &Error) -> TransportErrorKind {
        error.kind().unwrap_or(TransportErrorKind::Other)
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use plex_pin::{Call, ClientId, Config, PinOptions};

    use crate::{BlockingTransport, Client, InFlight};

    /// A server that accepts connections and never answers; the streams stay open.
    fn silent_server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().collect();
            drop(held);
        });
        url
    }

    /// Firing the request's `InFlight` from another thread ends a request blocked on a
    /// server that never answers, well before the 15 s timeout.
    #[test]
    fn firing_ends_a_request_in_flight() {
        let url = silent_server();
        let config = Config::builder("plex-pin cancel", ClientId::new("cancel").unwrap())
            .server(&url)
            .build()
            .unwrap();
        let client = Client::new(config).unwrap();
        let in_flight = Arc::new(InFlight::default());
        let remote = Arc::clone(&in_flight);
        let fired_at = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            remote.fire();
            Instant::now()
        });
        let (request, _) = Call::create_pin(client.config(), &PinOptions::strong()).into_parts();
        let result = in_flight.run(|| BlockingTransport::send(&client, request, client.timeout));
        let ended = Instant::now();
        let latency = ended - fired_at.join().unwrap();
        assert!(result.is_err());
        assert!(latency < Duration::from_millis(100), "{latency:?}");
    }
}
