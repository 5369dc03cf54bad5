//! The JWT refresh as a sans-IO sequence: fetch a nonce, sign a device JWT over it,
//! exchange that for a new Plex JWT.

use std::time::Duration;

use web_time::Instant;

use crate::config::Config;
use crate::drive::flow::sealed::Sealed;
use crate::drive::Flow;
use crate::error::Error;
use crate::jwt::DeviceKey;
use crate::login::{AfterFailure, Step};
use crate::request;
use crate::response::{self, Response};
use crate::token::Token;

/// A new Plex JWT for a device whose key is registered
/// ([protocol](crate::protocol#the-jwt-sign-in)): `GET /api/v2/auth/nonce`, then
/// `POST /api/v2/auth/token` with a device JWT signed over that nonce. Run it with
/// [`drive::run`](crate::drive::run) or [`drive::run_blocking`](crate::drive::run_blocking),
/// or by hand like a [`PinLogin`](crate::PinLogin). Do it when less than a day is left
/// ([`PlexClaims::needs_refresh`](crate::jwt::PlexClaims::needs_refresh)) or after
/// [`Error::JwtExpired`].
///
/// Nothing is retried: a refresh is two quick calls, and the caller knows best whether to
/// try again.
///
/// ```
/// use plex_pin::jwt::DeviceKey;
/// use plex_pin::{ClientId, Config, Instant, JwtRefresh, Step};
///
/// let config = Config::builder("My App", ClientId::new("device-1")?).build()?;
/// let mut refresh = JwtRefresh::new(&config, DeviceKey::from_seed([7; 32]), 1_800_000_000);
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
    unix_now: u64,
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    NonceSent,
    Nonce(String),
    ExchangeSent,
    Done(Token),
    Finished,
}

impl JwtRefresh {
    /// A refresh signed by `key` at `unix_now` (the wall clock, Unix seconds).
    pub fn new(config: &Config, key: DeviceKey, unix_now: u64) -> Self {
        Self {
            config: config.clone(),
            key,
            unix_now,
            state: State::Start,
        }
    }

    /// Says what to do next: send the nonce request, then the exchange, then `Done`.
    pub fn poll(&mut self, _now: Instant) -> Result<Step, Error> {
        let (state, step) = match std::mem::replace(&mut self.state, State::Finished) {
            State::Start => (State::NonceSent, Step::Send(request::nonce(&self.config))),
            State::Nonce(nonce) => {
                let request =
                    request::refresh_with_nonce(&self.config, &self.key, &nonce, self.unix_now);
                (State::ExchangeSent, Step::Send(request))
            }
            State::Done(token) => (State::Finished, Step::Done(token)),
            State::Finished => return Err(Error::OutOfOrder("the refresh has already finished")),
            in_flight @ (State::NonceSent | State::ExchangeSent) => {
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
    ) -> Result<(), Error> {
        self.state = match std::mem::replace(&mut self.state, State::Finished) {
            State::NonceSent => State::Nonce(response::nonce(&response)?),
            State::ExchangeSent => State::Done(response::auth_token(&response)?),
            _ => return Err(Error::OutOfOrder("no request is in flight")),
        };
        Ok(())
    }
}

impl Sealed for JwtRefresh {}

impl Flow for JwtRefresh {
    fn poll(&mut self, now: Instant) -> Result<Step, Error> {
        JwtRefresh::poll(self, now)
    }
    fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: Response<B>,
    ) -> Result<(), Error> {
        JwtRefresh::handle_response(self, now, response)
    }
    fn transport_failed(&mut self, _now: Instant) -> AfterFailure {
        self.state = State::Finished;
        AfterFailure::GiveUp
    }
    fn request_timeout(&self, _now: Instant, limit: Duration) -> Duration {
        limit
    }
    fn request_deadline(&self) -> Option<Instant> {
        None
    }
    fn pin_expires_at(&self) -> Option<Instant> {
        None
    }
    fn consecutive_failures(&self) -> u32 {
        0
    }
    fn last_error(&self) -> Option<&Error> {
        None
    }
}
