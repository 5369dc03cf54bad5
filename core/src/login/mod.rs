//! [`PinLogin`]: the whole sign-in as a state machine driven by the caller's loop.

use std::time::Duration;

use web_time::Instant;

use crate::auth_url::approval_url;
use crate::config::Config;
use crate::error::Error;
use crate::error::ExpiredBy;
use crate::pin::MAX_PIN_LIFETIME;
use crate::pin::{Pin, SavedPin};
use crate::request::{self, PinOptions, Request};
use crate::response::{self, Response};
use crate::token::Token;

#[cfg(feature = "jwt")]
mod jwt_mode;

#[cfg(feature = "jwt")]
use jwt_mode::{JwtMode, JwtPoll};
#[cfg(not(feature = "jwt"))]
use no_jwt::{JwtMode, JwtPoll};

/// The shortest poll interval a login keeps, whatever it is configured with: at most 20
/// polls a second (plex.tv asks for one; this floor only stops a zero from flooding it).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How a [`PinLogin`] paces itself and when it gives up.
///
/// ```
/// use std::time::Duration;
/// use plex_pin::{LoginOptions, PinOptions};
///
/// let options = LoginOptions::default()
///     .with_pin(PinOptions::link())
///     .with_timeout(Duration::from_secs(120));
/// assert_eq!(options.poll_interval, Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginOptions {
    /// What kind of pin to create.
    pub pin: PinOptions,
    /// Time between two checks of the pin. Plex asks for once per second.
    pub poll_interval: Duration,
    /// The caller's overall deadline, counted from the first [`PinLogin::poll`]. `None`
    /// leaves only the pin's own lifetime (15 or 30 minutes) as the bound.
    pub timeout: Option<Duration>,
    /// Consecutive failures (429, 5xx, undecodable bodies, transport errors) after which the
    /// login gives up with the last one. A success resets the count.
    pub max_consecutive_failures: u32,
    /// Longest backoff between retries when plex.tv gives no `Retry-After`.
    pub max_backoff: Duration,
    /// Longest `Retry-After` the login waits out. A server asking for more (or for more
    /// than the time left before the pin expires or the caller's deadline) ends the login
    /// at once with [`Error::RateLimited`] and the wait it asked for, instead of sleeping.
    pub max_retry_after: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            pin: PinOptions::default(),
            poll_interval: Duration::from_secs(1),
            timeout: None,
            max_consecutive_failures: 5,
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl LoginOptions {
    /// Sets the pin options.
    pub fn with_pin(mut self, pin: PinOptions) -> Self {
        self.pin = pin;
        self
    }

    /// Sets the poll interval (also the base of the exponential backoff). It is kept
    /// between [`MIN_POLL_INTERVAL`] and the longest pin lifetime.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets the caller's overall deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets how many consecutive failures are tolerated (at least 1).
    pub fn with_max_consecutive_failures(mut self, failures: u32) -> Self {
        self.max_consecutive_failures = failures.max(1);
        self
    }

    /// Sets the longest backoff between retries when the server gives no `Retry-After`.
    pub fn with_max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// Sets the longest `Retry-After` the login waits out (see
    /// [`max_retry_after`](Self::max_retry_after)).
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The options as a login uses them: every duration within sane bounds, so no value
    /// (the caller's or the server's) can make a sum overflow or a loop spin.
    fn normalized(mut self) -> Self {
        self.poll_interval = self
            .poll_interval
            .clamp(MIN_POLL_INTERVAL, MAX_PIN_LIFETIME);
        self.max_backoff = self.max_backoff.clamp(self.poll_interval, MAX_PIN_LIFETIME);
        self.max_retry_after = self.max_retry_after.min(MAX_PIN_LIFETIME);
        self.max_consecutive_failures = self.max_consecutive_failures.max(1);
        self
    }
}

/// What the caller's loop must do next; returned by [`PinLogin::poll`].
///
/// Exhaustive, as a state machine's outputs are: a loop matches every step, and a new one
/// would be a breaking change that the compiler points out to every loop.
#[derive(Debug)]
pub enum Step {
    /// Send this request, then pass the response to [`PinLogin::handle_response`] (or call
    /// [`PinLogin::transport_failed`] if it could not be sent or read).
    Send(Request),
    /// The pin exists: show its code or `url` to the user. Returned once, right after
    /// creation.
    PinReady {
        /// The pin.
        pin: Pin,
        /// Where the user approves it: the Auth App URL for a strong pin, the link page for
        /// a 4-character one (what [`PinLogin::approval_url`] says).
        url: String,
    },
    /// Nothing to do before this instant: sleep until then and poll again.
    WaitUntil(Instant),
    /// The user approved: here is the account token. The login is over.
    Done(Token),
}

/// What a transport should do after [`PinLogin::transport_failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum AfterFailure {
    /// Keep polling: the login scheduled a retry with backoff.
    Retry,
    /// Too many consecutive failures: stop and report the transport's own error.
    GiveUp,
}

#[derive(Debug)]
enum State {
    Create {
        not_before: Option<Instant>,
    },
    /// A saved pin, resumed: `left` of its life remained when it was resumed.
    Resume {
        left: Duration,
    },
    CreateSent,
    Announce {
        pin: Box<Pin>,
        next_poll: Instant,
    },
    Wait {
        next_poll: Instant,
    },
    CheckSent,
    /// JWT sign-in: `GET /api/v2/auth/nonce` is in flight.
    /// JWT mode: `GET /api/v2/auth/nonce` is in flight.
    NonceSent,
    Approved(Token),
    Finished,
}

/// The PIN sign-in as a sans-IO state machine: create a pin, show it, poll until the user
/// approves, hand back the token. It never reads a clock, sleeps or does IO; the caller
/// passes `now` (any monotonic [`Instant`], e.g. `plex_pin::Instant::now()`), sends the
/// requests it is given and sleeps when told to.
///
/// # The run-loop contract
///
/// 1. Call [`poll`](Self::poll) with the current time and act on the [`Step`]:
///    - [`Step::Send`]: send the request within
///      [`request_timeout`](Self::request_timeout) (your own per-request timeout, cut to
///      the time left). Pass the response, whatever its status, to
///      [`handle_response`](Self::handle_response); if no response arrived (connect error,
///      timeout, body too large), call [`transport_failed`](Self::transport_failed) and stop
///      with your own error if it says [`AfterFailure::GiveUp`]. Then poll again.
///    - [`Step::PinReady`]: show the pin and its approval URL to the user, then poll again.
///    - [`Step::WaitUntil`]: sleep until that instant (or until your own cancellation), then
///      poll again. Waking early is harmless.
///    - [`Step::Done`]: the token. The login is over.
/// 2. Any `Err` ends the login: 404/1020 or the pin's lifetime passing is
///    [`Error::PinExpired`], the caller's deadline is [`Error::TimedOut`], a fatal status is
///    reported as is, and transient failures (429, 5xx, bad bodies) are retried with backoff
///    (honouring `Retry-After`) until [`LoginOptions::max_consecutive_failures`] in a row,
///    after which the last one is returned.
/// 3. After `Done` or an error, every further call returns [`Error::OutOfOrder`]. Dropping
///    the `PinLogin` at any point is a clean cancel.
///
/// # States
///
/// ```text
///            poll: Send                 201 ok                poll: PinReady
///   Create ─────────────▶ CreateSent ──────────▶ Announce ─────────────────▶ Wait ◀──────┐
///     ▲                       │                                               │         │
///     └── 429 / 5xx / bad ────┘                      poll when due: Send      │         │
///         body / transport                     ┌──────────────────────────────┘         │
///         (WaitUntil, backoff)                 ▼                                        │
///                                          CheckSent ── 200, no token ──────────────────┘
///                                              │   └─── 429 / 5xx / transport: backoff ─┘
///                                   200 + token│
///                                              ▼
///                                          Approved ──── poll: Done(token) ───▶ Finished
///
///   any state ── pin expired, caller's deadline, 404/1020, fatal status, too many
///                failures in a row ──▶ Finished (Err)
/// ```
///
/// In the JWT mode a `NonceSent` state comes before `CheckSent` whenever the device JWT
/// has no usable nonce (at first, then every 5 minutes and after a rejected signature).
///
/// # Time
///
/// - The loop runs on a **monotonic** clock: every `now` is an [`Instant`] the caller read
///   (`plex_pin::Instant::now()`, which is `std::time::Instant` natively and a
///   `performance.now()` clock in browsers). Deadlines (the pin's life from `expiresIn` at
///   receipt, the caller's timeout, backoff) are instants on that clock, so a wall clock
///   that jumps (NTP, suspend, a wrong time zone) cannot expire a pin early or late.
/// - The JWT mode also needs the **wall clock**, once: device JWTs carry `iat`/`exp` in
///   Unix seconds, which plex.tv checks. [`with_device_key`](Self::with_device_key) takes
///   it at the start and adds the monotonic time elapsed since.
/// - The core reads neither clock itself (`Instant::now()` panics on
///   `wasm32-unknown-unknown`): time is always an argument.
///
/// # What the HTTP client must do
///
/// - **Follow no redirect.** Hand a 3xx to `handle_response` as it is (it ends the login).
///   A client that follows redirects (many do by default) lets whoever answers the
///   redirect speak for plex.tv; the login refuses an answer about another pin
///   ([`Error::UnexpectedPin`]), but it cannot tell a forged answer about this one.
/// - **Cap the body** (64 KiB is plenty; plex.tv's answers are under 2 KiB), counting
///   what is read, not what `Content-Length` says, and report a larger one with
///   `transport_failed`: the parsers never read more than they are given, but only the
///   transport can stop a server from sending more.
/// - **Bound each request** with `request_timeout`, so that a server that never answers
///   cannot hold the login past its deadline.
///
/// ```
/// use plex_pin::{ClientId, Config, Instant, LoginOptions, PinLogin, Step};
///
/// // A stand-in for a real HTTP client: plex.tv creates pin 7, which the user approves.
/// fn send(req: plex_pin::Request) -> http::Response<Vec<u8>> {
///     let body = if req.method() == "POST" {
///         r#"{"id":7,"code":"ABCD","expiresIn":900,"authToken":null}"#
///     } else {
///         r#"{"id":7,"code":"ABCD","expiresIn":899,"authToken":"secret-token"}"#
///     };
///     http::Response::new(body.as_bytes().to_vec())
/// }
///
/// let config = Config::builder("My App", ClientId::generate()).build()?;
/// let mut login = PinLogin::new(&config, LoginOptions::default());
/// let token = loop {
///     match login.poll(Instant::now())? {
///         Step::Send(req) => login.handle_response(Instant::now(), send(req))?,
///         Step::PinReady { pin, url } => println!("Enter {} at {url}", pin.code),
///         Step::WaitUntil(_t) => { /* sleep until _t */ }
///         Step::Done(token) => break token,
///     }
/// };
/// assert_eq!(token.expose_secret(), "secret-token");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PinLogin {
    config: Config,
    options: LoginOptions,
    state: State,
    /// Boxed: a login's future holds a `PinLogin`, and most of its life waits.
    pin: Option<Box<Pin>>,
    /// `GET /api/v2/pins/{id}`, built once the pin exists and reused by every poll.
    check_uri: Option<http::Uri>,
    pin_deadline: Option<Instant>,
    caller_deadline: Option<Instant>,
    /// The first poll's instant: the origin for turning `now` into Unix time (JWT mode).
    origin: Option<Instant>,
    failures: u32,
    /// The error of the current failure streak (boxed: the login stays small until then).
    last_error: Option<Box<Error>>,
    /// The JWT sign-in's state, boxed: most logins have none.
    jwt: Option<Box<JwtMode>>,
}

impl PinLogin {
    /// A login that will create a pin on its first [`poll`](Self::poll).
    pub fn new(config: &Config, options: LoginOptions) -> Self {
        Self {
            config: config.clone(),
            options: options.normalized(),
            state: State::Create { not_before: None },
            pin: None,
            check_uri: None,
            pin_deadline: None,
            caller_deadline: None,
            origin: None,
            failures: 0,
            last_error: None,
            jwt: None,
        }
    }

    /// A JWT sign-in ([protocol](crate::protocol#the-jwt-sign-in)): the pin is created with the device's JWK, every
    /// poll carries a device JWT signed with `key` over a fresh nonce (renewed before its
    /// 5 minutes run out), and the token handed out is a Plex JWT.
    ///
    /// `unix_now` is the wall clock (Unix seconds) at the first [`poll`](Self::poll); later
    /// `iat` values add the monotonic time elapsed since, so the clock is read once. Point
    /// the configuration at [`CLIENTS_PLEX_TV`](crate::CLIENTS_PLEX_TV), where Plex
    /// documents this flow.
    #[cfg(feature = "jwt")]
    pub fn with_device_key(
        config: &Config,
        options: LoginOptions,
        key: crate::jwt::DeviceKey,
        unix_now: u64,
    ) -> Self {
        let mut login = Self::new(config, options);
        login.jwt = Some(Box::new(JwtMode::new(key, unix_now)));
        login
    }

    /// Continues the login of a saved pin (see [`save`](Self::save)): polls it with the same
    /// rules (interval, backoff, deadlines) as the login that created it, without creating
    /// another or announcing it again ([`Step::PinReady`] is not returned). `unix_now` is the
    /// wall clock now, against which the pin's absolute expiry is counted once.
    ///
    /// A pin saved under another client identifier is refused
    /// ([`Error::ClientMismatch`]): plex.tv would answer its polls as if it did not exist.
    ///
    /// ```
    /// use plex_pin::{ClientId, Config, LoginOptions, PinLogin, SavedPin, Step};
    /// use plex_pin::Instant;
    ///
    /// let config = Config::builder("My App", ClientId::new("device-1")?).build()?;
    /// // Stored by the request that created the pin, e.g. in a session:
    /// let saved: SavedPin = serde_json::from_str(
    ///     r#"{"id":7,"code":"ABCD","clientIdentifier":"device-1","expiresAt":1800000900}"#,
    /// )?;
    /// let mut login = PinLogin::resume(&config, LoginOptions::default(), &saved, 1_800_000_000)?;
    /// match login.poll(Instant::now())? {
    ///     Step::Send(request) => assert_eq!(request.uri().path(), "/api/v2/pins/7"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(
        config: &Config,
        options: LoginOptions,
        saved: &SavedPin,
        unix_now: u64,
    ) -> Result<Self, Error> {
        if saved.client_identifier != config.client_id().as_str() {
            return Err(Error::ClientMismatch);
        }
        let mut login = Self::new(config, options);
        let left = match saved.expires_at {
            0 => MAX_PIN_LIFETIME,
            at => Duration::from_secs(at.saturating_sub(unix_now)),
        };
        login.state = State::Resume {
            left: left.min(MAX_PIN_LIFETIME),
        };
        login.check_uri = Some(request::check_pin_uri(config, saved.id));
        login.pin = Some(Box::new(Pin {
            id: saved.id,
            code: saved.code.clone(),
            client_identifier: saved.client_identifier.clone(),
            ..Pin::default()
        }));
        Ok(login)
    }

    /// [`resume`](Self::resume) for a pin the JWT sign-in created
    /// ([`with_device_key`](Self::with_device_key)): its polls are signed with `key` again,
    /// over a fresh nonce. The app keeps the key (its seed) with the client identifier; the
    /// saved pin holds neither.
    #[cfg(feature = "jwt")]
    pub fn resume_with_device_key(
        config: &Config,
        options: LoginOptions,
        saved: &SavedPin,
        key: crate::jwt::DeviceKey,
        unix_now: u64,
    ) -> Result<Self, Error> {
        let mut login = Self::resume(config, options, saved, unix_now)?;
        login.jwt = Some(Box::new(JwtMode::new(key, unix_now)));
        Ok(login)
    }

    /// The pin as [`resume`](Self::resume) needs it, once created (`None` before): `now` on
    /// the login's clock and `unix_now` on the wall clock turn its expiry into Unix seconds.
    /// It holds no secret; a JWT sign-in's pin is resumed with
    /// [`resume_with_device_key`](Self::resume_with_device_key) and the same key.
    pub fn save(&self, now: Instant, unix_now: u64) -> Option<SavedPin> {
        let pin = self.pin.as_ref()?;
        let left = self.pin_deadline?.saturating_duration_since(now);
        Some(SavedPin {
            id: pin.id,
            code: pin.code.clone(),
            client_identifier: self.config.client_id().as_str().to_owned(),
            expires_at: unix_now.saturating_add(left.as_secs()),
        })
    }

    /// The pin, once created.
    pub fn pin(&self) -> Option<&Pin> {
        self.pin.as_deref()
    }

    /// Where the user approves the pin, once created: the Auth App URL for a strong pin,
    /// the link page for a 4-character one.
    pub fn approval_url(&self) -> Option<String> {
        let pin = self.pin.as_ref()?;
        Some(approval_url(
            &self.config,
            pin,
            self.options.pin.forward_url.as_ref(),
        ))
    }

    /// When the pin expires on the caller's clock (receipt time + `expiresIn`).
    pub fn pin_expires_at(&self) -> Option<Instant> {
        self.pin_deadline
    }

    /// The caller's deadline, once the first poll has fixed it.
    pub fn deadline(&self) -> Option<Instant> {
        self.caller_deadline
    }

    /// The instant after which no answer is of use: the earlier of the pin's expiry and the
    /// caller's deadline. A transport sends each request with
    /// [`request_timeout`](Self::request_timeout), so that a server that never answers
    /// cannot hold the login past it.
    pub fn request_deadline(&self) -> Option<Instant> {
        [self.pin_deadline, self.caller_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    /// How long the request of the last [`Step::Send`] may take: the transport's own
    /// per-request `limit`, cut to the time left before
    /// [`request_deadline`](Self::request_deadline) (at least 1 ms, so that no client reads
    /// a zero as "no timeout"). When it runs out, report it with
    /// [`transport_failed`](Self::transport_failed): the login then ends with the right error.
    pub fn request_timeout(&self, now: Instant, limit: Duration) -> Duration {
        let left = self
            .request_deadline()
            .map_or(limit, |d| d.saturating_duration_since(now));
        left.min(limit).max(Duration::from_millis(1))
    }

    /// Failures in a row so far.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    /// The server's answer that the login is retrying after (a 429, a 5xx, a body that
    /// did not decode), while a failure streak lasts: so that an app can say "plex.tv is
    /// rate limiting, retrying in 60 s" instead of going silent. `None` after a success and
    /// for transport failures (the transport has those errors itself).
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_deref()
    }

    /// Whether the login has ended (token handed out or error returned).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// Says what to do next. See the run-loop contract on [`PinLogin`].
    pub fn poll(&mut self, now: Instant) -> Result<Step, Error> {
        if self.origin.is_none() {
            self.origin = Some(now);
            // A deadline too far to represent is no deadline.
            self.caller_deadline = self.options.timeout.and_then(|t| now.checked_add(t));
        }
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Finished => return Err(Error::OutOfOrder("the login has already finished")),
            State::Approved(token) => return Ok(Step::Done(token)),
            in_flight @ (State::CreateSent | State::CheckSent | State::NonceSent) => {
                self.state = in_flight;
                return Err(Error::OutOfOrder(
                    "a request is in flight: pass its response to handle_response or call transport_failed",
                ));
            }
            State::Resume { left } => {
                // The saved pin's life counts on this login's clock from its first poll.
                self.pin_deadline = Some(later(now, left));
                self.state = State::Wait { next_poll: now };
            }
            other => self.state = other,
        }
        if self.pin_deadline.is_some_and(|d| now >= d) {
            return self.finish(Error::PinExpired {
                by: ExpiredBy::LocalDeadline,
            });
        }
        if self.caller_deadline.is_some_and(|d| now >= d) {
            return self.finish(Error::TimedOut);
        }
        let step = match std::mem::replace(&mut self.state, State::Finished) {
            State::Create { not_before } => match not_before {
                Some(t) if t > now => {
                    self.state = State::Create { not_before };
                    Step::WaitUntil(self.clamp(t))
                }
                _ => {
                    self.state = State::CreateSent;
                    Step::Send(self.create_request())
                }
            },
            State::Announce { pin, next_poll } => {
                self.state = State::Wait { next_poll };
                let url = self.approval_url().unwrap_or_default();
                Step::PinReady { pin: *pin, url }
            }
            State::Wait { next_poll } if next_poll > now => {
                self.state = State::Wait { next_poll };
                Step::WaitUntil(self.clamp(next_poll))
            }
            State::Wait { .. } => self.check_request(now),
            _ => unreachable!("terminal and in-flight states returned above"),
        };
        Ok(step)
    }

    fn create_request(&self) -> Request {
        match &self.jwt {
            Some(jwt) => jwt.create_request(&self.config, &self.options.pin),
            None => request::create_pin(&self.config, &self.options.pin),
        }
    }

    /// The poll of a pin that exists: plain, or (JWT mode) with a device JWT, fetching a
    /// nonce first when there is no usable one.
    fn check_request(&mut self, now: Instant) -> Step {
        if let Some(jwt) = &self.jwt {
            let id = self.pin.as_ref().map_or(0, |p| p.id);
            let (state, request) = match jwt.poll(&self.config, id, now) {
                JwtPoll::Check(request) => (State::CheckSent, request),
                JwtPoll::Nonce(request) => (State::NonceSent, request),
            };
            self.state = state;
            return Step::Send(request);
        }
        self.state = State::CheckSent;
        // A poll is only due once a pin (and so its URI) exists.
        let uri = self.check_uri.clone().unwrap_or_default();
        Step::Send(request::check_pin_at(&self.config, uri))
    }

    /// Feeds the response to the request of the last [`Step::Send`], whatever its status.
    ///
    /// `Ok(())` means "poll again" (including after a transient failure that will be
    /// retried); `Err` ends the login.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: Response<B>,
    ) -> Result<(), Error> {
        // Read through a `&[u8]` view, as `call::Parser` does: one copy of each response
        // parser serves every body type (a copy per type cost the browser build 220 B gzipped).
        let (parts, body) = response.into_parts();
        let response = Response::from_parts(parts, body.as_ref());
        match std::mem::replace(&mut self.state, State::Finished) {
            State::CreateSent => match response::pin(&response) {
                Ok(mut pin) => {
                    self.check_creator(&pin)?;
                    self.succeeded();
                    // `expiresIn` comes from the network: clamped before any arithmetic.
                    let lifetime = pin
                        .expires_in
                        .map_or(self.options.pin.kind.default_lifetime(), |secs| {
                            Duration::from_secs(secs).min(MAX_PIN_LIFETIME)
                        });
                    self.pin_deadline = Some(later(now, lifetime));
                    // A token in a creation response would be nonsense; never hand it out
                    // as the user's approval.
                    pin.auth_token = None;
                    self.check_uri = Some(request::check_pin_uri(&self.config, pin.id));
                    self.pin = Some(Box::new(pin.clone()));
                    self.state = State::Announce {
                        pin: Box::new(pin),
                        next_poll: later(now, self.options.poll_interval),
                    };
                    Ok(())
                }
                Err(error) => self.failed(now, error, true),
            },
            State::CheckSent => match response::pin(&response) {
                Ok(pin) => {
                    self.check_same_pin(&pin)?;
                    if let Some(ours) = self.pin.as_mut().filter(|p| p.code.is_empty()) {
                        ours.code = pin.code.clone();
                    }
                    self.succeeded();
                    self.state = match pin.auth_token {
                        Some(token) => State::Approved(token),
                        None => State::Wait {
                            next_poll: later(now, self.options.poll_interval),
                        },
                    };
                    Ok(())
                }
                Err(Error::SignatureRejected) if self.jwt.is_some() => {
                    // The nonce expired or was used up: sign again over a fresh one.
                    if let Some(jwt) = self.jwt.as_mut() {
                        jwt.signature_rejected();
                    }
                    self.failed(now, Error::SignatureRejected, false)
                }
                Err(error) => self.failed(now, error, false),
            },
            State::NonceSent => {
                let elapsed = self
                    .origin
                    .map_or(Duration::ZERO, |o| now.saturating_duration_since(o));
                let signed = match self.jwt.as_mut() {
                    Some(jwt) => jwt.nonce_received(&self.config, &response, now, elapsed),
                    None => Err(Error::OutOfOrder("a nonce without the JWT mode")),
                };
                match signed {
                    // No reset of the failure streak: only a poll that plex.tv accepts ends
                    // it, or nonce-then-rejected-signature could loop until the pin expires.
                    // The poll this nonce was fetched for goes out at once.
                    Ok(()) => {
                        self.state = State::Wait { next_poll: now };
                        Ok(())
                    }
                    Err(error) => self.failed(now, error, false),
                }
            }
            other => {
                self.state = other;
                Err(Error::OutOfOrder("no request is in flight"))
            }
        }
    }

    /// Reports that the request of the last [`Step::Send`] got no response (connect error,
    /// timeout, TLS error, body over the cap). Counts as a failure with backoff; gives up
    /// (return your own error) after too many in a row, or when the retry would come after
    /// the pin's expiry or the caller's deadline. A failure at or after that deadline (a
    /// request cut by [`request_timeout`](Self::request_timeout)) is not the transport's
    /// fault: the next [`poll`](Self::poll) reports the deadline.
    pub fn transport_failed(&mut self, now: Instant) -> AfterFailure {
        let creating = match self.state {
            State::CreateSent => true,
            State::CheckSent | State::NonceSent => false,
            _ => return AfterFailure::GiveUp,
        };
        if self
            .request_deadline()
            .is_some_and(|deadline| now >= deadline)
        {
            // The request was cut by the deadline (see `request_timeout`): the next poll
            // reports the deadline itself, not the transport's timeout.
            self.state = if creating {
                State::Create { not_before: None }
            } else {
                State::Wait { next_poll: now }
            };
            return AfterFailure::Retry;
        }
        self.failures += 1;
        self.last_error = None;
        if self.failures >= self.options.max_consecutive_failures
            || !self.schedule_retry(now, self.backoff(), creating)
        {
            self.state = State::Finished;
            return AfterFailure::GiveUp;
        }
        AfterFailure::Retry
    }

    fn failed(&mut self, now: Instant, error: Error, creating: bool) -> Result<(), Error> {
        // A rejected device JWT is retried over a new nonce, within the failure budget.
        let retryable = error.is_transient() || matches!(error, Error::SignatureRejected);
        if !retryable {
            return Err(error);
        }
        self.failures += 1;
        if self.failures >= self.options.max_consecutive_failures {
            return Err(error);
        }
        let delay = match error.retry_after() {
            // The server's word, within bounds: a wait longer than the login will wait
            // ends it now, with the error that asked for it.
            Some(after) if after > self.options.max_retry_after => return Err(error),
            Some(after) => after.max(self.options.poll_interval),
            None => self.backoff(),
        };
        if self.schedule_retry(now, delay, creating) {
            self.last_error = Some(Box::new(error));
            Ok(())
        } else {
            // The retry would come too late to help: say what actually happened.
            Err(error)
        }
    }

    fn succeeded(&mut self) {
        self.failures = 0;
        self.last_error = None;
    }

    /// Schedules the next attempt `delay` after `now`. Returns `false`, scheduling nothing,
    /// when that lies at or past the pin's expiry or the caller's deadline.
    fn schedule_retry(&mut self, now: Instant, delay: Duration, creating: bool) -> bool {
        let Some(at) = now.checked_add(delay) else {
            return false;
        };
        if self
            .request_deadline()
            .is_some_and(|deadline| at >= deadline)
        {
            return false;
        }
        self.state = if creating {
            State::Create {
                not_before: Some(at),
            }
        } else {
            State::Wait { next_poll: at }
        };
        true
    }

    /// A creation answer names the client identifier that made the pin; another one means
    /// the answer is not to this request (a redirect, a shared cache).
    fn check_creator(&self, pin: &Pin) -> Result<(), Error> {
        let ours = self.config.client_id().as_str();
        if !pin.client_identifier.is_empty() && pin.client_identifier != ours {
            return Err(Error::UnexpectedPin {
                field: "clientIdentifier",
            });
        }
        Ok(())
    }

    /// A poll's answer must describe the pin being polled: an HTTP client that followed a
    /// redirect, or a confused proxy, may hand over another pin, whose token nobody
    /// approved for this login.
    fn check_same_pin(&self, polled: &Pin) -> Result<(), Error> {
        self.check_creator(polled)?;
        let Some(ours) = &self.pin else {
            return Ok(());
        };
        // A pin resumed without its code takes the code of the first answer about its id.
        let field = if polled.id != ours.id {
            "id"
        } else if !ours.code.is_empty() && polled.code != ours.code {
            "code"
        } else {
            return Ok(());
        };
        Err(Error::UnexpectedPin { field })
    }

    /// `poll_interval × 2^(failures−1)`, capped at `max_backoff`.
    fn backoff(&self) -> Duration {
        let exponent = self.failures.saturating_sub(1).min(16);
        self.options
            .poll_interval
            .saturating_mul(1 << exponent)
            .min(self.options.max_backoff)
    }

    fn clamp(&self, t: Instant) -> Instant {
        [self.pin_deadline, self.caller_deadline]
            .into_iter()
            .flatten()
            .fold(t, Instant::min)
    }

    fn finish(&mut self, error: Error) -> Result<Step, Error> {
        self.state = State::Finished;
        Err(error)
    }
}

/// `now + delay` for delays the login has already bounded (the poll interval, the pin's
/// clamped lifetime). An instant too far to represent is taken as `now`'s far edge: the
/// deadlines, checked on every poll, still end the login.
fn later(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay)
        .or_else(|| now.checked_add(MAX_PIN_LIFETIME))
        .unwrap_or(now)
}

/// Without the `jwt` feature the JWT mode cannot exist: an uninhabited stand-in with the
/// seam's shape keeps `PinLogin` free of feature switches.
#[cfg(not(feature = "jwt"))]
mod no_jwt {
    use web_time::Instant;

    use crate::config::Config;
    use crate::error::Error;
    use crate::request::{PinOptions, Request};
    use crate::response::Response;

    #[derive(Debug)]
    pub(crate) enum JwtMode {}

    #[allow(dead_code)] // Never built: there is no JWT mode to build it.
    pub(crate) enum JwtPoll {
        Check(Request),
        Nonce(Request),
    }

    impl JwtMode {
        pub(crate) fn create_request(&self, _: &Config, _: &PinOptions) -> Request {
            match *self {}
        }

        pub(crate) fn poll(&self, _: &Config, _: u64, _: Instant) -> JwtPoll {
            match *self {}
        }

        pub(crate) fn nonce_received(
            &mut self,
            _: &Config,
            _: &Response<&[u8]>,
            _: Instant,
            _: std::time::Duration,
        ) -> Result<(), Error> {
            match *self {}
        }

        pub(crate) fn signature_rejected(&mut self) {
            match *self {}
        }
    }
}
