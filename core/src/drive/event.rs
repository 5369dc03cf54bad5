//! What a run loop tells its observer while a flow runs.

use std::fmt;

use web_time::Instant;

use crate::error::Error;
use crate::pin::{Pin, SavedPin};

/// What happened, as [`run`](super::run) and [`run_blocking`](super::run_blocking) report it
/// to their observer: enough for an app to show the pin, count down and say "plex.tv is
/// unreachable, retrying" instead of going silent.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a, E> {
    /// The pin exists: show its code or `url` to the user, and store `saved` first if the
    /// login may continue elsewhere (a web backend answering the request that started it).
    /// Reported once.
    PinReady {
        /// The pin.
        pin: &'a Pin,
        /// Where the user approves it ([`Step::PinReady`](crate::Step::PinReady)'s `url`).
        url: &'a str,
        /// When it expires on the transport's clock.
        expires_at: Instant,
        /// What [`PinLogin::resume`](crate::PinLogin::resume) needs to continue this login
        /// in another request, process or machine: no secret, serialisable with serde.
        saved: &'a SavedPin,
    },
    /// An attempt failed and will be tried again at `next_try`.
    Retrying {
        /// Failures in a row so far (1 for the first).
        attempt: u32,
        /// Why.
        error: Failure<'a, E>,
        /// When the next attempt goes out.
        next_try: Instant,
        /// As in [`Event::Waiting`].
        deadline: Option<Instant>,
    },
    /// Nothing to do until `until`: the next poll of a pending pin.
    Waiting {
        /// When the loop polls again.
        until: Instant,
        /// After this nothing is of use: the pin's expiry or the caller's deadline,
        /// whichever is earlier (`None` before either is known).
        deadline: Option<Instant>,
    },
}

/// Why an attempt failed: the transport got no answer, or the server's answer was one to
/// retry (429, 5xx, a body that did not decode).
#[derive(Debug)]
pub enum Failure<'a, E> {
    /// The transport's error (connect, timeout, body too large…).
    Transport(&'a E),
    /// The server's answer, read by the core.
    Server(&'a Error),
}

impl<E: fmt::Display> fmt::Display for Failure<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transport(error) => error.fmt(f),
            Failure::Server(error) => error.fmt(f),
        }
    }
}
