//! What a flow tells its loop: the next [`Step`], and what it made of an answer
//! ([`AfterResponse`]) or of a request that got none ([`AfterFailure`]).

use std::time::Duration;

use web_time::Instant;

use crate::error::Error;
use crate::pin::{Pin, SavedPin};
use crate::request::Request;
use crate::token::Token;

/// What the caller's loop must do next; returned by [`PinLogin::poll`](crate::PinLogin::poll).
///
/// Exhaustive, as a state machine's outputs are: a loop matches every step, and a new one
/// would be a breaking change that the compiler points out to every loop.
#[derive(Debug)]
// `PinReady` (a whole pin) is the large variant, and it comes once per login: a step is
// taken apart at once, never stored, so boxing it would only cost its readers a deref.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// Send this request, then pass the response to
    /// [`PinLogin::handle_response`](crate::PinLogin::handle_response) (or call
    /// [`PinLogin::transport_failed`](crate::PinLogin::transport_failed) if it could not be
    /// sent or read).
    Send(Request),
    /// The pin exists: show its code or `url` to the user, and store `saved` if the login
    /// may continue elsewhere. Returned once, right after creation.
    PinReady {
        /// The pin.
        pin: Pin,
        /// Where the user approves it: the Auth App URL for a strong pin, the link page for
        /// a 4-character one ([`approval_url`](crate::approval_url)).
        url: String,
        /// When it expires on the login's clock.
        expires_at: Instant,
        /// What [`PinLogin::resume`](crate::PinLogin::resume) needs to continue this login
        /// in another request, process or machine (no secret in it).
        saved: SavedPin,
    },
    /// Nothing to do before this instant: sleep until then and poll again.
    WaitUntil(Instant),
    /// The user approved: here is the account token. The login is over.
    Done(Token),
}

/// What a flow made of an answer, from
/// [`PinLogin::handle_response`](crate::PinLogin::handle_response): an `Err` beside it ends
/// the flow.
#[derive(Debug)]
#[must_use]
pub enum AfterResponse {
    /// Poll again.
    Continue,
    /// The answer was a failure the flow tries again after (a 429, a 5xx, a body that did
    /// not decode): so that an app can say "plex.tv is rate limiting, retrying in 60 s"
    /// instead of going silent.
    Retry {
        /// What the server answered.
        error: Error,
        /// Failures in a row so far (1 for the first).
        attempt: u32,
        /// When the next attempt goes out ([`Step::WaitUntil`] until then).
        at: Instant,
    },
}

/// What a flow does after a request got no answer, from
/// [`PinLogin::transport_failed`](crate::PinLogin::transport_failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum AfterFailure {
    /// The flow tries again at `at`, after `attempt` failures in a row.
    Retry {
        /// Failures in a row so far (1 for the first).
        attempt: u32,
        /// When the next attempt goes out.
        at: Instant,
    },
    /// The request was cut short by the flow's own deadline: poll again, and the poll says
    /// which deadline ended the flow. Not the transport's fault, so not reported as one.
    Continue,
    /// Too many failures in a row, or a failure that no retry mends (TLS): stop and report
    /// the transport's own error.
    GiveUp,
}

/// How long a request may take: the transport's own `limit`, cut to the time left before
/// `deadline` (at least 1 ms, so that no client reads a zero as "no timeout").
pub(crate) fn timeout_before(deadline: Option<Instant>, now: Instant, limit: Duration) -> Duration {
    let left = deadline.map_or(limit, |d| d.saturating_duration_since(now));
    left.min(limit).max(Duration::from_millis(1))
}
