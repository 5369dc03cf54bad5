//! Plex.tv PIN sign-in in the browser, in web workers and in node, over the global `fetch`.
//!
//! Two ways in:
//! - From Rust compiled to `wasm32-unknown-unknown`: `Client` sends any `plex_pin::Call`
//!   and runs the core's loop (`plex_pin::drive`), as the native transports do.
//! - From JavaScript, with no Rust in sight: the npm package (`scripts/wasm-release`), whose
//!   `PlexPinClient` (`js/api.js`) runs this crate's `js::Task`s: the core's loop in
//!   WebAssembly, the fetches and timers in JavaScript.
//!
//! Both send every request with `js/fetch.js` (a local JS snippet, so a wasm-bindgen target
//! that takes snippets: `web`, `bundler`, `deno`, `nodejs` on a node that can `require` an
//! ES module (20.19 and later); not `no-modules`). Each
//! request gets an `AbortController`: it is aborted when the timeout passes and when the
//! future is dropped. Bodies are read chunk by chunk and cut off at the cap (64 KiB);
//! redirects are not followed; sleeping is a `setTimeout` promise; time comes from
//! `performance.now()` through `web_time`, never from `std::time`.
//!
//! On other targets the crate compiles to nothing but these docs.
#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod contract;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
mod task;
#[cfg(target_arch = "wasm32")]
mod wire;

#[cfg(target_arch = "wasm32")]
pub use client::*;

/// Default cap on a response body (the core's, for every transport).
pub use plex_pin::drive::DEFAULT_MAX_BODY;

/// What can go wrong: the core's error unchanged, or a request that got no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// plex.tv answered, and the core says what the answer means (or the login ended:
    /// deadline, cancel).
    #[error(transparent)]
    Plex(#[from] plex_pin::Error),
    /// The request got no answer; `kind` says why, `detail` in words, with what the
    /// browser said. (Displayed as `detail` alone: the kinds' texts would cost the .wasm.)
    #[error("{detail}")]
    Transport {
        /// Connect (which in a browser includes a CORS refusal), timeout, redirect…
        kind: plex_pin::TransportErrorKind,
        /// The browser's message.
        detail: String,
    },
}

impl Error {
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn transport(kind: plex_pin::TransportErrorKind, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Error::Transport { kind, detail }
    }

    /// The core's error, if plex.tv answered or the login ended.
    pub fn plex(&self) -> Option<&plex_pin::Error> {
        match self {
            Error::Plex(e) => Some(e),
            _ => None,
        }
    }

    /// The kind of transport failure, if the request got no answer (a cancelled login
    /// is [`TransportErrorKind::Cancelled`](plex_pin::TransportErrorKind::Cancelled)).
    pub fn kind(&self) -> Option<plex_pin::TransportErrorKind> {
        match self {
            Error::Transport { kind, .. } => Some(*kind),
            Error::Plex(plex_pin::Error::Cancelled) => {
                Some(plex_pin::TransportErrorKind::Cancelled)
            }
            Error::Plex(_) => None,
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod client {
    use std::time::Duration;

    use plex_pin::drive::{self, AsyncTransport, Cancel, Clock, Event, Flow};
    use plex_pin::{Call, Config, Instant, LoginOptions, Pin, PinLogin, Token};

    use crate::{fetch, Error, DEFAULT_MAX_BODY};

    /// A plex.tv client over `fetch`. Cheap to clone.
    #[derive(Debug, Clone)]
    pub struct Client {
        config: Config,
        timeout: Duration,
        max_body: usize,
    }

    impl Client {
        /// A client with a 15 s timeout per call and the default body cap.
        pub fn new(config: Config) -> Self {
            Self {
                config,
                timeout: plex_pin::drive::DEFAULT_TIMEOUT,
                max_body: DEFAULT_MAX_BODY,
            }
        }

        /// Sets the timeout of each call.
        pub fn with_timeout(mut self, timeout: Duration) -> Self {
            self.timeout = timeout;
            self
        }

        /// Sets the response body cap.
        pub fn with_max_body(mut self, bytes: usize) -> Self {
            self.max_body = bytes;
            self
        }

        /// The configuration requests are built from.
        pub fn config(&self) -> &Config {
            &self.config
        }

        /// Sends any plex.tv call ([`Call`]) and reads its answer.
        pub async fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
            drive::call(self, call).await
        }

        /// Runs the whole sign-in; `on_pin` sees the pin and its approval URL once.
        /// Dropping the future aborts the request in flight and stops polling.
        pub async fn login(
            &self,
            options: LoginOptions,
            mut on_pin: impl FnMut(&Pin, &str),
        ) -> Result<Token, Error> {
            let login = PinLogin::new(&self.config, options);
            self.run(login, None, |event| {
                if let Event::PinReady { pin, url, .. } = event {
                    on_pin(pin, url)
                }
            })
            .await
        }

        /// Runs any [`Flow`] with the core's loop ([`drive::run`]), reporting every
        /// [`Event`]; `cancel` ends it at once, aborting the request in flight.
        pub async fn run(
            &self,
            flow: impl Flow,
            cancel: Option<&Cancel>,
            observe: impl FnMut(Event<'_, Error>),
        ) -> Result<Token, Error> {
            drive::run(self, flow, cancel, observe).await
        }

        /// A new Plex JWT for a device whose key is registered ([`plex_pin::JwtRefresh`]).
        #[cfg(feature = "jwt")]
        pub async fn refresh(&self, key: &plex_pin::jwt::DeviceKey) -> Result<Token, Error> {
            let refresh = plex_pin::JwtRefresh::new(&self.config, key.clone());
            self.run(refresh, None, |_| {}).await
        }
    }

    impl Clock for Client {
        fn now(&self) -> Instant {
            Instant::now()
        }

        fn unix_now(&self) -> u64 {
            crate::wire::unix_now()
        }
    }

    impl AsyncTransport for Client {
        type Body = Vec<u8>;
        type Error = Error;

        /// One `fetch` within `timeout`, body capped; 4xx and 5xx are responses for the
        /// core to read. Dropping the future aborts the request.
        async fn send(
            &self,
            request: plex_pin::Request,
            timeout: Duration,
        ) -> Result<http::Response<Vec<u8>>, Error> {
            fetch::send(request, timeout, self.max_body).await
        }

        async fn sleep_until(&self, at: Instant) {
            fetch::sleep(at.saturating_duration_since(Instant::now())).await
        }

        fn timeout(&self) -> Duration {
            self.timeout
        }
    }
}

/// With the `talc` feature: talc instead of dlmalloc, for a smaller .wasm
/// (single-threaded builds only, as talc's wasm allocator requires).
#[cfg(all(
    feature = "talc",
    target_family = "wasm",
    not(target_feature = "atomics")
))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
