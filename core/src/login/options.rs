//! How a [`PinLogin`](super::PinLogin) paces itself and when it gives up.

use std::time::Duration;

use crate::pin::MAX_PIN_LIFETIME;
use crate::request::PinOptions;

/// The shortest poll interval a login keeps, whatever it is configured with: at most 20
/// polls a second (plex.tv asks for one; this floor only stops a zero from flooding it).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How a [`PinLogin`](crate::PinLogin) paces itself and when it gives up.
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
    /// The caller's overall deadline, counted from the first [`PinLogin::poll`](crate::PinLogin::poll). `None`
    /// leaves only the pin's own lifetime (15 or 30 minutes) as the bound.
    pub timeout: Option<Duration>,
    /// Consecutive failures (429, 5xx, undecodable bodies, transport errors) after which the
    /// login gives up with the last one. A success resets the count.
    pub max_consecutive_failures: u32,
    /// Longest backoff between retries when plex.tv gives no `Retry-After`.
    pub max_backoff: Duration,
    /// Longest `Retry-After` the login waits out. A server asking for more (or for more
    /// than the time left before the pin expires or the caller's deadline) ends the login
    /// at once with [`Error::RateLimited`](crate::Error::RateLimited) and the wait it asked for, instead of sleeping.
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
    pub(crate) fn normalized(mut self) -> Self {
        self.poll_interval = self
            .poll_interval
            .clamp(MIN_POLL_INTERVAL, MAX_PIN_LIFETIME);
        self.max_backoff = self.max_backoff.clamp(self.poll_interval, MAX_PIN_LIFETIME);
        self.max_retry_after = self.max_retry_after.min(MAX_PIN_LIFETIME);
        self.max_consecutive_failures = self.max_consecutive_failures.max(1);
        self
    }
}
