//! The JWT refresh as a sans-IO sequence: fetch a nonce, sign a device JWT over it,
//! exchange that for a new Plex JWT, verify it against Plex's keys.

use web_time::Instant;

use crate::config::Config;
use crate::drive::flow::sealed::Sealed;
use crate::drive::Flow;
use crate::error::Error;
use crate::jwt::{verify_plex_jwt, DeviceKey};
use crate::login::{AfterFailure, AfterResponse, Step};
use crate::request;
use crate::response::{self, Response};
use crate::token::Token;
use crate::transport_kind::TransportErrorKind;

/// A new Plex JWT for a device whose key is registered
/// ([protocol](crate::protocol#the-jwt-sign-in)): `GET /api/v2/auth/nonce`, then
/// `POST /api/v2/auth/token` with a device JWT signed over that nonce, then
/// `GET /api/v2/auth/keys` to verify the new Plex JWT before handing it out
/// ([`verify_plex_jwt`](crate::jwt::verify_plex_jwt)). Run it with
/// [`drive::run`](crate::drive::run) or [`drive::run_blocking`](crate::drive::run_blocking),
/// or by hand like a [`PinLogin`](crate::PinLogin). Do it when less than a day is left
/// ([`PlexClaims::needs_refresh`](crate::jwt::PlexClaims::needs_refresh)) or after
/// [`Error::JwtExpired`].
///
/// Nothing is retried: a refresh is three quick calls, and the caller knows best whether
/// to try again. A signature refused over a fresh nonce means plex.tv does not know the key
/// ([`Error::DeviceKeyUnknown`]: sign in again).
///
/// ```
/// use plex_pin::jwt::DeviceKey;
/// use plex_pin::{ClientId, Config, Instant, JwtRefresh, Step};
///
/// let config = Config::builder("My App", ClientId::new("device-1")?).build()?;
/// let mut refresh = JwtRefresh::new(&config, DeviceKey::from_seed([7; 32]));
/// refresh.set_wall_clock(1_800_000_000); // the `drive` loops do this from the transport
/// let Step::Send(nonce) = refresh.poll(Instant::now())? else { unreachable!() };
/// assert_eq!(nonce.uri().path(), "/api/v2/auth/nonce");
/// refresh.handle_response(Instant::now(), http::Response::new(br#"{"nonce":"n-1"}"#))?;
/// let Step::Send(exchange) = refresh.poll(Instant::now())? else { unreachable!() };
/// assert_eq!(exchange.uri().path(), "/api/v2/auth/token");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JwtRefresh {
    config: Config,
    key: DeviceKey,
    unix_now: Option<u64>,
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    NonceSent,
    Nonce(String),
    ExchangeSent,
    /// The new Plex JWT, to verify.
    Verify(Token),
    KeysSent(Token),
    Done(Token),
    Finished,
}

impl JwtRefresh {
    /// A refresh signed by `key`. It needs the wall clock
    /// ([`set_wall_clock`](Self::set_wall_clock), which the [`drive`](crate::drive) loops
    /// call).
    pub fn new(config: &Config, key: DeviceKey) -> Self {
        Self {
            config: config.clone(),
            key,
            unix_now: None,
            state: State::Start,
        }
    }

    /// Gives the refresh the wall clock (Unix seconds): the device JWT's `iat`, and the new
    /// Plex JWT's expiry check. Call it before the first [`poll`](Self::poll).
    pub fn set_wall_clock(&mut self, unix_now: u64) {
        self.unix_now = Some(unix_now);
    }

    /// Says what to do next: send the nonce request, the exchange, the keys request, then
    /// `Done`.
    pub fn poll(&mut self, _now: Instant) -> Result<Step, Error> {
        let Some(unix_now) = self.unix_now else {
            self.state = State::Finished;
            return Err(Error::OutOfOrder(
                "a refresh needs the wall clock: call set_wall_clock before the first poll",
            ));
        };
        let (state, step) = match std::mem::replace(&mut self.state, State::Finished) {
            State::Start => (State::NonceSent, Step::Send(request::nonce(&self.config))),
            State::Nonce(nonce) => {
                let request =
                    request::refresh_with_nonce(&self.config, &self.key, &nonce, unix_now);
                (State::ExchangeSent, Step::Send(request))
            }
            State::Verify(token) => (
                State::KeysSent(token),
                Step::Send(request::plex_keys(&self.config)),
            ),
            State::Done(token) => (State::Finished, Step::Done(token)),
            State::Finished => return Err(Error::OutOfOrder("the refresh has already finished")),
            in_flight @ (State::NonceSent | State::ExchangeSent | State::KeysSent(_)) => {
                self.state = in_flight;
                return Err(Error::OutOfOrder("a request is in flight"));
            }
        };
        self.state = state;
        Ok(step)
    }

    /// Feeds the answer to the last request; any error ends the refresh.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        _now: Instant,
        response: Response<B>,
    ) -> Result<AfterResponse, Error> {
        let (parts, body) = response.into_parts();
        let response = Response::from_parts(parts, body.as_ref());
        self.state = match std::mem::replace(&mut self.state, State::Finished) {
            State::NonceSent => State::Nonce(response::nonce(&response)?),
            State::ExchangeSent => match response::auth_token(&response) {
                Ok(token) => State::Verify(token),
                // The nonce is fresh: a refused signature is a key plex.tv does not know.
                Err(Error::SignatureRejected) => return Err(Error::DeviceKeyUnknown),
                Err(error) => return Err(error),
            },
            State::KeysSent(token) => {
                let keys = response::plex_keys(&response)?;
                let unix_now = self.unix_now.unwrap_or_default();
                verify_plex_jwt(
                    token.expose_secret(),
                    &keys,
                    self.config.client_id(),
                    &self.key,
                    unix_now,
                )
                .map_err(Error::InvalidJwt)?;
                State::Done(token)
            }
            _ => return Err(Error::OutOfOrder("no request is in flight")),
        };
        Ok(AfterResponse::Continue)
    }

    /// A request got no answer: a refresh is not retried ([`AfterFailure::GiveUp`]).
    pub fn transport_failed(&mut self, _now: Instant, _kind: TransportErrorKind) -> AfterFailure {
        self.state = State::Finished;
        AfterFailure::GiveUp
    }
}

impl Sealed for JwtRefresh {}

impl Flow for JwtRefresh {
    fn set_wall_clock(&mut self, unix_now: u64) {
        JwtRefresh::set_wall_clock(self, unix_now);
    }
    fn poll(&mut self, now: Instant) -> Result<Step, Error> {
        JwtRefresh::poll(self, now)
    }
    fn handle_response(
        &mut self,
        now: Instant,
        response: Response<&[u8]>,
    ) -> Result<AfterResponse, Error> {
        JwtRefresh::handle_response(self, now, response)
    }
    fn transport_failed(&mut self, now: Instant, kind: TransportErrorKind) -> AfterFailure {
        JwtRefresh::transport_failed(self, now, kind)
    }
    /// A refresh has no deadline of its own: each request has the transport's timeout.
    fn deadline(&self) -> Option<Instant> {
        None
    }
}
