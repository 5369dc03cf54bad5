//! What the run loops drive: a sans-IO sequence of requests that ends in a token.

use web_time::Instant;

use crate::error::Error;
use crate::login::{AfterFailure, AfterResponse, PinLogin, Step};
use crate::response::Response;
use crate::transport_kind::TransportErrorKind;

/// A sequence of plex.tv calls that ends in a [`Token`](crate::Token), run by
/// [`run`](super::run) and [`run_blocking`](super::run_blocking): [`PinLogin`] (the sign-in)
/// and `JwtRefresh` (a new Plex JWT, with the `jwt` feature). Each method is the one of the
/// same name on [`PinLogin`], whose docs give the contract; the outcomes say what happened,
/// so the loops report it as it is.
///
/// Sealed: the loops rely on that contract.
pub trait Flow: sealed::Sealed {
    /// Gives the flow the wall clock (Unix seconds) before its first poll. See
    /// [`PinLogin::set_wall_clock`].
    fn set_wall_clock(&mut self, unix_now: u64);
    /// See [`PinLogin::poll`].
    fn poll(&mut self, now: Instant) -> Result<Step, Error>;
    /// See [`PinLogin::handle_response`].
    fn handle_response(
        &mut self,
        now: Instant,
        response: Response<&[u8]>,
    ) -> Result<AfterResponse, Error>;
    /// See [`PinLogin::transport_failed`].
    fn transport_failed(&mut self, now: Instant, kind: TransportErrorKind) -> AfterFailure;
    /// After this no answer is of use: every request is cut to it. See
    /// [`PinLogin::request_deadline`].
    fn deadline(&self) -> Option<Instant>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for PinLogin {}

impl Flow for PinLogin {
    fn set_wall_clock(&mut self, unix_now: u64) {
        PinLogin::set_wall_clock(self, unix_now);
    }
    fn poll(&mut self, now: Instant) -> Result<Step, Error> {
        PinLogin::poll(self, now)
    }
    fn handle_response(
        &mut self,
        now: Instant,
        response: Response<&[u8]>,
    ) -> Result<AfterResponse, Error> {
        PinLogin::handle_response(self, now, response)
    }
    fn transport_failed(&mut self, now: Instant, kind: TransportErrorKind) -> AfterFailure {
        PinLogin::transport_failed(self, now, kind)
    }
    fn deadline(&self) -> Option<Instant> {
        PinLogin::request_deadline(self)
    }
}
