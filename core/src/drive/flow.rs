//! What the run loops drive: a sans-IO sequence of requests that ends in a token.

use std::time::Duration;

use web_time::Instant;

use crate::error::Error;
use crate::login::{AfterFailure, PinLogin, Step};
use crate::response::Response;

/// A sequence of plex.tv calls that ends in a [`Token`](crate::Token), run by
/// [`run`](super::run) and [`run_blocking`](super::run_blocking): [`PinLogin`] (the sign-in)
/// and [`JwtRefresh`](crate::JwtRefresh) (a new Plex JWT). Each method is the one of the
/// same name on [`PinLogin`], whose docs give the contract.
///
/// Sealed: the loops rely on that contract.
pub trait Flow: sealed::Sealed {
    /// See [`PinLogin::poll`].
    fn poll(&mut self, now: Instant) -> Result<Step, Error>;
    /// See [`PinLogin::handle_response`].
    fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: Response<B>,
    ) -> Result<(), Error>;
    /// See [`PinLogin::transport_failed`].
    fn transport_failed(&mut self, now: Instant) -> AfterFailure;
    /// See [`PinLogin::request_timeout`].
    fn request_timeout(&self, now: Instant, limit: Duration) -> Duration;
    /// See [`PinLogin::request_deadline`].
    fn request_deadline(&self) -> Option<Instant>;
    /// See [`PinLogin::pin_expires_at`].
    fn pin_expires_at(&self) -> Option<Instant>;
    /// See [`PinLogin::consecutive_failures`].
    fn consecutive_failures(&self) -> u32;
    /// See [`PinLogin::last_error`].
    fn last_error(&self) -> Option<&Error>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for PinLogin {}

impl Flow for PinLogin {
    fn poll(&mut self, now: Instant) -> Result<Step, Error> {
        PinLogin::poll(self, now)
    }
    fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: Response<B>,
    ) -> Result<(), Error> {
        PinLogin::handle_response(self, now, response)
    }
    fn transport_failed(&mut self, now: Instant) -> AfterFailure {
        PinLogin::transport_failed(self, now)
    }
    fn request_timeout(&self, now: Instant, limit: Duration) -> Duration {
        PinLogin::request_timeout(self, now, limit)
    }
    fn request_deadline(&self) -> Option<Instant> {
        PinLogin::request_deadline(self)
    }
    fn pin_expires_at(&self) -> Option<Instant> {
        PinLogin::pin_expires_at(self)
    }
    fn consecutive_failures(&self) -> u32 {
        PinLogin::consecutive_failures(self)
    }
    fn last_error(&self) -> Option<&Error> {
        PinLogin::last_error(self)
    }
}
