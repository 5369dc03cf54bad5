//! [`PinLogin`]: the whole sign-in as a state machine driven by the caller's loop.

use std::time::Duration;

use web_time::Instant;

use crate::auth_url::approval_url;
use crate::config::Config;
use crate::error::Error;
use crate::error::ExpiredBy;
use crate::pin::MAX_PIN_LIFETIME;
use crate::pin::{Pin, SavedPin};
use crate::request::{self, Request};
use crate::response::{self, Response};
use crate::token::Token;
use crate::transport_kind::TransportErrorKind;

#[cfg(feature = "jwt")]
mod jwt_mode;
mod options;
mod step;

#[cfg(feature = "jwt")]
use jwt_mode::{JwtMode, JwtPoll};
#[cfg(not(feature = "jwt"))]
use no_jwt::{JwtMode, JwtPoll};

pub use options::{LoginOptions, MIN_POLL_INTERVAL};
pub(crate) use step::timeout_before;
pub use step::{AfterFailure, AfterResponse, Step};

#[derive(Debug)]
enum State {
    Create {
        not_before: Option<Instant>,
    },
    /// A saved pin, resumed: its life left is counted at the first poll, on the wall clock.
    Resume {
        saved: Box<SavedPin>,
    },
    /// The pin exists: `PinReady` is next, then the first poll at `next_poll`.
    Announce {
        next_poll: Instant,
    },
    Wait {
        next_poll: Instant,
    },
    /// JWT sign-in: the Plex JWT arrived; its signature is checked against the keys of
    /// `GET /api/v2/auth/keys`, fetched at `not_before`.
    Verify {
        token: Token,
        not_before: Instant,
    },
    Sent(Sent),
    Approved(Token),
    Finished,
}

/// The request in flight.
#[derive(Debug)]
enum Sent {
    /// `POST /api/v2/pins`.
    Create,
    /// `GET /api/v2/pins/{id}`.
    Check,
    /// JWT sign-in: `GET /api/v2/auth/nonce`.
    Nonce,
    /// JWT sign-in: `GET /api/v2/auth/keys`, for the Plex JWT held here.
    Keys(Token),
}

impl Sent {
    /// The state that sends this request again at `at` (`None`: at once).
    fn again(self, at: Option<Instant>, now: Instant) -> State {
        match self {
            Sent::Create => State::Create { not_before: at },
            Sent::Check | Sent::Nonce => State::Wait {
                next_poll: at.unwrap_or(now),
            },
            Sent::Keys(token) => State::Verify {
                token,
                not_before: at.unwrap_or(now),
            },
        }
    }
}

/// The pin, once it exists, and what polling it needs.
#[derive(Debug)]
struct Created {
    pin: Pin,
    /// `GET /api/v2/pins/{id}`, built once and reused by every poll.
    check_uri: http::Uri,
    /// When it expires, on the login's clock.
    deadline: Instant,
}

/// The wall clock, read once: Unix seconds at the login's first poll.
#[derive(Debug, Clone, Copy)]
struct WallClock {
    origin: Instant,
    unix_at_origin: u64,
}

impl WallClock {
    /// Unix seconds at `t` (an instant of the same login's clock).
    fn at(self, t: Instant) -> u64 {
        let since = t.saturating_duration_since(self.origin).as_secs();
        self.unix_at_origin.saturating_add(since)
    }
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
///      with your own error if it says [`AfterFailure::GiveUp`]. Both say what became of
///      the attempt ([`AfterResponse::Retry`], [`AfterFailure::Retry`]: when the next one
///      goes out and why). Then poll again.
///    - [`Step::PinReady`]: show the pin and its approval URL to the user (and store its
///      [`SavedPin`] if the login may continue elsewhere), then poll again.
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
///            poll: Send                   201 ok              poll: PinReady
///   Create ─────────────▶ Sent(Create) ──────────▶ Announce ───────────────▶ Wait ◀──────┐
///     ▲                       │                                               │         │
///     └── 429 / 5xx / bad ────┘                      poll when due: Send      │         │
///         body / transport                     ┌──────────────────────────────┘         │
///         (WaitUntil, backoff)                 ▼                                        │
///                                         Sent(Check) ── 200, no token ─────────────────┘
///                                              │   └─── 429 / 5xx / transport: backoff ─┘
///                                   200 + token│
///                                              ▼
///                                          Approved ──── poll: Done(token) ───▶ Finished
///
///   any state ── pin expired, caller's deadline, 404/1020, fatal status, TLS failure,
///                too many failures in a row ──▶ Finished (Err)
/// ```
///
/// In the JWT mode a `Sent(Nonce)` comes before `Sent(Check)` whenever the device JWT has
/// no usable nonce (at first, then every 5 minutes and after a rejected signature), and
/// `Approved` comes only after the Plex JWT verified against the keys of
/// `GET /api/v2/auth/keys` (`Verify`, then `Sent(Keys)`, retried like a poll): the `jwt`
/// module's `verify_plex_jwt` says what is checked. A resumed pin starts at `Resume`, which
/// the first poll turns into `Wait`.
///
/// # Time
///
/// - The loop runs on a **monotonic** clock: every `now` is an [`Instant`] the caller read
///   (`plex_pin::Instant::now()`, which is `std::time::Instant` natively and a
///   `performance.now()` clock in browsers). Deadlines (the pin's life from `expiresIn` at
///   receipt, the caller's timeout, backoff) are instants on that clock, so a wall clock
///   that jumps (NTP, suspend, a wrong time zone) cannot expire a pin early or late.
/// - The JWT mode and a resumed pin also need the **wall clock**, once: device JWTs carry
///   `iat`/`exp` in Unix seconds, which plex.tv checks, a Plex JWT's expiry is one, and a
///   saved pin's expiry is absolute. The loops of [`drive`](crate::drive) give it from the
///   transport's [`Clock`](crate::drive::Clock); a loop of your own calls
///   [`set_wall_clock`](Self::set_wall_clock) before the first poll. The monotonic time
///   elapsed since is added to it, so it is read once.
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
///         Step::Send(req) => {
///             let _retry = login.handle_response(Instant::now(), send(req))?;
///         }
///         Step::PinReady { pin, url, .. } => println!("Enter {} at {url}", pin.code),
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
    created: Option<Box<Created>>,
    caller_deadline: Option<Instant>,
    /// The first poll's instant.
    origin: Option<Instant>,
    /// Unix seconds given by [`set_wall_clock`](Self::set_wall_clock), until the first
    /// poll pairs them with its instant.
    unix_at_start: Option<u64>,
    failures: u32,
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
            created: None,
            caller_deadline: None,
            origin: None,
            unix_at_start: None,
            failures: 0,
            jwt: None,
        }
    }

    /// A JWT sign-in ([protocol](crate::protocol#the-jwt-sign-in)): the pin is created with
    /// the device's JWK, every poll carries a device JWT signed with `key` over a fresh
    /// nonce (renewed before its 5 minutes run out), and the token handed out is a Plex JWT
    /// that verified against plex.tv's published keys, for this device.
    ///
    /// It needs the wall clock ([`set_wall_clock`](Self::set_wall_clock), which the
    /// [`drive`](crate::drive) loops call). Point the configuration at
    /// [`CLIENTS_PLEX_TV`](crate::CLIENTS_PLEX_TV), where Plex documents this flow.
    #[cfg(feature = "jwt")]
    pub fn with_device_key(
        config: &Config,
        options: LoginOptions,
        key: crate::jwt::DeviceKey,
    ) -> Self {
        let mut login = Self::new(config, options);
        login.jwt = Some(Box::new(JwtMode::new(key)));
        login
    }

    /// Continues the login of a saved pin ([`Step::PinReady`]'s `saved`, or
    /// [`save`](Self::save)): polls it with the same rules (interval, backoff, deadlines) as
    /// the login that created it, without creating another or announcing it again
    /// ([`Step::PinReady`] is not returned). Its expiry is counted against the wall clock
    /// once, at the first poll ([`set_wall_clock`](Self::set_wall_clock), which the
    /// [`drive`](crate::drive) loops call).
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
    /// let mut login = PinLogin::resume(&config, LoginOptions::default(), &saved)?;
    /// login.set_wall_clock(1_800_000_000);
    /// match login.poll(Instant::now())? {
    ///     Step::Send(request) => assert_eq!(request.uri().path(), "/api/v2/pins/7"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(config: &Config, options: LoginOptions, saved: &SavedPin) -> Result<Self, Error> {
        if saved.client_identifier != config.client_id().as_str() {
            return Err(Error::ClientMismatch);
        }
        let mut login = Self::new(config, options);
        login.state = State::Resume {
            saved: Box::new(saved.clone()),
        };
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
    ) -> Result<Self, Error> {
        let mut login = Self::resume(config, options, saved)?;
        login.jwt = Some(Box::new(JwtMode::new(key)));
        Ok(login)
    }

    /// Gives the login the wall clock (Unix seconds) at its first poll: the JWT sign-in
    /// signs with it, a resumed pin counts its expiry against it, and saved pins carry an
    /// absolute expiry. Call it before the first [`poll`](Self::poll); the
    /// [`drive`](crate::drive) loops do, from the transport's
    /// [`Clock::unix_now`](crate::drive::Clock::unix_now). A plain login works without it
    /// (its [`SavedPin`]s then have no expiry).
    pub fn set_wall_clock(&mut self, unix_now: u64) {
        self.unix_at_start = Some(unix_now);
    }

    fn wall_clock(&self) -> Option<WallClock> {
        Some(WallClock {
            origin: self.origin?,
            unix_at_origin: self.unix_at_start?,
        })
    }

    /// The pin as [`resume`](Self::resume) needs it, once created (`None` before); what
    /// [`Step::PinReady`] hands over. It holds no secret; a JWT sign-in's pin is resumed with
    /// `resume_with_device_key` and the same key. Its expiry is `0` (unknown) without the
    /// [wall clock](Self::set_wall_clock).
    pub fn save(&self) -> Option<SavedPin> {
        Some(self.saved(self.created.as_ref()?))
    }

    fn saved(&self, created: &Created) -> SavedPin {
        SavedPin {
            id: created.pin.id,
            code: created.pin.code.clone(),
            client_identifier: self.config.client_id().as_str().to_owned(),
            expires_at: self
                .wall_clock()
                .map_or(0, |wall| wall.at(created.deadline)),
        }
    }

    /// The pin, once created.
    pub fn pin(&self) -> Option<&Pin> {
        self.created.as_ref().map(|c| &c.pin)
    }

    /// Where the user approves the pin, once created ([`approval_url`](crate::approval_url)).
    pub fn approval_url(&self) -> Option<String> {
        let pin = self.pin()?;
        let forward = self.options.pin.forward_url.as_ref();
        Some(approval_url(&self.config, pin, forward))
    }

    /// When the pin expires on the caller's clock (receipt time + `expiresIn`).
    pub fn pin_expires_at(&self) -> Option<Instant> {
        self.created.as_ref().map(|c| c.deadline)
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
        [self.pin_expires_at(), self.caller_deadline]
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
        timeout_before(self.request_deadline(), now, limit)
    }

    /// Failures in a row so far.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
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
            let needs_wall_clock = self.jwt.is_some() || matches!(self.state, State::Resume { .. });
            if needs_wall_clock && self.unix_at_start.is_none() {
                return self.finish(Error::OutOfOrder(
                    "a JWT sign-in or a resumed pin needs the wall clock: call set_wall_clock before the first poll",
                ));
            }
        }
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Finished => return Err(Error::OutOfOrder("the login has already finished")),
            State::Approved(token) => return Ok(Step::Done(token)),
            State::Sent(sent) => {
                self.state = State::Sent(sent);
                return Err(Error::OutOfOrder(
                    "a request is in flight: pass its response to handle_response or call transport_failed",
                ));
            }
            State::Resume { saved } => self.resumed(now, &saved),
            other => self.state = other,
        }
        if self.pin_expires_at().is_some_and(|d| now >= d) {
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
                _ => self.send(Sent::Create, self.create_request()),
            },
            State::Announce { next_poll } => {
                self.state = State::Wait { next_poll };
                self.pin_ready()?
            }
            State::Wait { next_poll } if next_poll > now => {
                self.state = State::Wait { next_poll };
                Step::WaitUntil(self.clamp(next_poll))
            }
            State::Wait { .. } => self.check_request(now)?,
            State::Verify { token, not_before } if not_before > now => {
                self.state = State::Verify { token, not_before };
                Step::WaitUntil(self.clamp(not_before))
            }
            State::Verify { token, .. } => match &self.jwt {
                Some(jwt) => {
                    let request = jwt.keys_request(&self.config);
                    self.send(Sent::Keys(token), request)
                }
                None => {
                    return self.finish(Error::OutOfOrder("a JWT to verify without the JWT mode"))
                }
            },
            _ => unreachable!("terminal, resumed and in-flight states were handled above"),
        };
        Ok(step)
    }

    /// A resumed pin at the first poll: its life left on this login's clock.
    fn resumed(&mut self, now: Instant, saved: &SavedPin) {
        let unix_now = self.unix_at_start.unwrap_or_default();
        let left = match saved.expires_at {
            0 => MAX_PIN_LIFETIME,
            at => Duration::from_secs(at.saturating_sub(unix_now)).min(MAX_PIN_LIFETIME),
        };
        self.created = Some(Box::new(Created {
            pin: Pin {
                id: saved.id,
                code: saved.code.clone(),
                client_identifier: saved.client_identifier.clone(),
                ..Pin::default()
            },
            check_uri: request::check_pin_uri(&self.config, saved.id),
            deadline: later(now, left),
        }));
        self.state = State::Wait { next_poll: now };
    }

    fn send(&mut self, sent: Sent, request: Request) -> Step {
        self.state = State::Sent(sent);
        Step::Send(request)
    }

    /// The pin a state that follows creation needs: missing, the login was driven out of
    /// order (it cannot be, by the states' order; an error all the same, never a panic).
    fn created_pin(&self) -> Result<&Created, Error> {
        self.created
            .as_deref()
            .ok_or(Error::OutOfOrder("the pin is used before it exists"))
    }

    fn pin_ready(&self) -> Result<Step, Error> {
        let created = self.created_pin()?;
        let forward = self.options.pin.forward_url.as_ref();
        Ok(Step::PinReady {
            pin: created.pin.clone(),
            url: approval_url(&self.config, &created.pin, forward),
            expires_at: created.deadline,
            saved: self.saved(created),
        })
    }

    fn create_request(&self) -> Request {
        match &self.jwt {
            Some(jwt) => jwt.create_request(&self.config, &self.options.pin),
            None => request::create_pin(&self.config, &self.options.pin),
        }
    }

    /// The poll of the pin: plain, or (JWT mode) with a device JWT, fetching a nonce first
    /// when there is no usable one.
    fn check_request(&mut self, now: Instant) -> Result<Step, Error> {
        let created = self.created_pin()?;
        let (sent, request) = match &self.jwt {
            Some(jwt) => match jwt.poll(&self.config, created.pin.id, now) {
                JwtPoll::Check(request) => (Sent::Check, request),
                JwtPoll::Nonce(request) => (Sent::Nonce, request),
            },
            None => {
                let uri = created.check_uri.clone();
                (Sent::Check, request::check_pin_at(&self.config, uri))
            }
        };
        Ok(self.send(sent, request))
    }

    /// Feeds the response to the request of the last [`Step::Send`], whatever its status,
    /// and says what became of the attempt: [`AfterResponse::Continue`], or a failure that
    /// will be retried ([`AfterResponse::Retry`]: which, and when). Poll again after
    /// either. `Err` ends the login.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: Response<B>,
    ) -> Result<AfterResponse, Error> {
        // Read through a `&[u8]` view, as `call::Parser` does: one copy of each response
        // parser serves every body type (size rule: one response view).
        let (parts, body) = response.into_parts();
        self.handle(now, &Response::from_parts(parts, body.as_ref()))
    }

    fn handle(&mut self, now: Instant, response: &Response<&[u8]>) -> Result<AfterResponse, Error> {
        let sent = match std::mem::replace(&mut self.state, State::Finished) {
            State::Sent(sent) => sent,
            other => {
                self.state = other;
                return Err(Error::OutOfOrder("no request is in flight"));
            }
        };
        let outcome = match &sent {
            Sent::Create => response::pin(response).and_then(|pin| self.created(now, pin)),
            Sent::Check => response::pin(response).and_then(|pin| self.checked(now, pin)),
            Sent::Nonce => self.nonce_received(now, response),
            Sent::Keys(token) => self.keys_received(now, response, token),
        };
        match outcome {
            Ok(state) => {
                // A nonce does not end a failure streak: only an answer plex.tv gives to a
                // signed poll does, or nonce-then-rejected-signature could loop until the
                // pin expires.
                if !matches!(sent, Sent::Nonce) {
                    self.failures = 0;
                }
                self.state = state;
                Ok(AfterResponse::Continue)
            }
            Err(Error::SignatureRejected) if matches!(sent, Sent::Check) && self.jwt.is_some() => {
                // The nonce expired or was used up: sign again over a fresh one, within the
                // failure budget.
                if let Some(jwt) = self.jwt.as_mut() {
                    jwt.signature_rejected();
                }
                self.failed(now, Error::SignatureRejected, sent)
            }
            Err(error) => self.failed(now, error, sent),
        }
    }

    /// A created pin: the state that announces it.
    fn created(&mut self, now: Instant, mut pin: Pin) -> Result<State, Error> {
        self.check_creator(&pin)?;
        // `expiresIn` comes from the network: clamped before any arithmetic.
        let lifetime = pin.lifetime();
        // A token in a creation response would be nonsense; never hand it out as the
        // user's approval.
        pin.auth_token = None;
        self.created = Some(Box::new(Created {
            check_uri: request::check_pin_uri(&self.config, pin.id),
            deadline: later(now, lifetime),
            pin,
        }));
        Ok(State::Announce {
            next_poll: later(now, self.options.poll_interval),
        })
    }

    /// A poll's answer: wait for the next poll, or (approved) the token.
    fn checked(&mut self, now: Instant, pin: Pin) -> Result<State, Error> {
        self.check_same_pin(&pin)?;
        if let Some(ours) = self.created.as_mut().filter(|c| c.pin.code.is_empty()) {
            ours.pin.code = pin.code.clone();
        }
        Ok(match pin.auth_token {
            // A Plex JWT is handed out only once it verifies.
            Some(token) if self.jwt.is_some() => State::Verify {
                token,
                not_before: now,
            },
            Some(token) => State::Approved(token),
            None => State::Wait {
                next_poll: later(now, self.options.poll_interval),
            },
        })
    }

    /// The nonce answer: the poll it was fetched for goes out at once, signed over it.
    fn nonce_received(&mut self, now: Instant, response: &Response<&[u8]>) -> Result<State, Error> {
        let issued_at = self.wall_clock().map_or(0, |wall| wall.at(now));
        match self.jwt.as_mut() {
            Some(jwt) => jwt.nonce_received(&self.config, response, now, issued_at)?,
            None => return Err(Error::OutOfOrder("a nonce without the JWT mode")),
        }
        Ok(State::Wait { next_poll: now })
    }

    /// Plex's keys: the Plex JWT is handed out if one of them verifies it for this device.
    fn keys_received(
        &mut self,
        now: Instant,
        response: &Response<&[u8]>,
        token: &Token,
    ) -> Result<State, Error> {
        let unix_now = self.wall_clock().map_or(0, |wall| wall.at(now));
        match &self.jwt {
            Some(jwt) => jwt.verify(&self.config, response, token, unix_now)?,
            None => return Err(Error::OutOfOrder("keys without the JWT mode")),
        }
        Ok(State::Approved(token.clone()))
    }

    /// Reports that the request of the last [`Step::Send`] got no response (connect error,
    /// timeout, TLS error, body over the cap), and of which `kind`. Counts as a failure with
    /// backoff ([`AfterFailure::Retry`]); gives up ([`AfterFailure::GiveUp`]: return your
    /// own error) after too many in a row, on a failure no retry mends (TLS, a refused
    /// redirect, a cancelled request), or when the retry would come after the pin's expiry
    /// or the caller's deadline. A failure at or after that deadline (a request cut by
    /// [`request_timeout`](Self::request_timeout)) is not the transport's fault
    /// ([`AfterFailure::Continue`]): the next [`poll`](Self::poll) reports the deadline.
    pub fn transport_failed(&mut self, now: Instant, kind: TransportErrorKind) -> AfterFailure {
        let sent = match std::mem::replace(&mut self.state, State::Finished) {
            State::Sent(sent) => sent,
            // Out of order: nothing was in flight, and nothing changes.
            other => {
                self.state = other;
                return AfterFailure::GiveUp;
            }
        };
        if self
            .request_deadline()
            .is_some_and(|deadline| now >= deadline)
        {
            self.state = sent.again(None, now);
            return AfterFailure::Continue;
        }
        if matches!(
            kind,
            TransportErrorKind::Tls | TransportErrorKind::Redirect | TransportErrorKind::Cancelled
        ) {
            return AfterFailure::GiveUp;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.options.max_consecutive_failures {
            return AfterFailure::GiveUp;
        }
        match self.retry_at(now, self.backoff()) {
            Some(at) => {
                self.state = sent.again(Some(at), now);
                AfterFailure::Retry {
                    attempt: self.failures,
                    at,
                }
            }
            None => AfterFailure::GiveUp,
        }
    }

    /// An answer that failed: retried within the budget (the state is set), or the end.
    fn failed(&mut self, now: Instant, error: Error, sent: Sent) -> Result<AfterResponse, Error> {
        // A rejected device JWT is retried over a new nonce, within the failure budget.
        let retryable = error.is_transient() || matches!(error, Error::SignatureRejected);
        if !retryable {
            return Err(error);
        }
        self.failures = self.failures.saturating_add(1);
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
        match self.retry_at(now, delay) {
            Some(at) => {
                self.state = sent.again(Some(at), now);
                Ok(AfterResponse::Retry {
                    error,
                    attempt: self.failures,
                    at,
                })
            }
            // The retry would come too late to help: say what actually happened.
            None => Err(error),
        }
    }

    /// When an attempt `delay` after `now` goes out; `None` when that lies at or past the
    /// pin's expiry or the caller's deadline.
    fn retry_at(&self, now: Instant, delay: Duration) -> Option<Instant> {
        let at = now.checked_add(delay)?;
        match self.request_deadline() {
            Some(deadline) if at >= deadline => None,
            _ => Some(at),
        }
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
        let Some(ours) = self.pin() else {
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
        [self.pin_expires_at(), self.caller_deadline]
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
    use crate::token::Token;

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
            _: u64,
        ) -> Result<(), Error> {
            match *self {}
        }

        pub(crate) fn signature_rejected(&mut self) {
            match *self {}
        }

        pub(crate) fn keys_request(&self, _: &Config) -> Request {
            match *self {}
        }

        pub(crate) fn verify(
            &self,
            _: &Config,
            _: &Response<&[u8]>,
            _: &Token,
            _: u64,
        ) -> Result<(), Error> {
            match *self {}
        }
    }
}
