//! Time, as the loops read it: the transport's clocks, never the core's own.

use web_time::Instant;

/// The transport's clocks. The core reads none itself: the loops ask the transport.
pub trait Clock {
    /// The monotonic clock the flow runs on (`plex_pin::Instant::now()`).
    fn now(&self) -> Instant;

    /// Unix seconds on the wall clock, for the JWT flows' `iat`, the Plex JWT's expiry and
    /// saved pins' expiry (`web_time::SystemTime`, which is `Date.now()` in browsers).
    fn unix_now(&self) -> u64;
}

/// The machine's clocks: `Instant::now()` and the system time, through `web_time` (so on
/// `wasm32-unknown-unknown` too, as `performance.now()` and `Date.now()`). What a transport
/// with no clock of its own delegates to:
///
/// ```
/// use plex_pin::drive::{Clock, SystemClock};
/// use plex_pin::Instant;
///
/// struct MyClient;
/// impl Clock for MyClient {
///     fn now(&self) -> Instant { SystemClock.now() }
///     fn unix_now(&self) -> u64 { SystemClock.unix_now() }
/// }
/// assert!(MyClient.unix_now() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        // The one clock read in the crate: it is the transports', handed to them here so
        // that each does not write its own (scripts/test allows it in this file alone).
        Instant::now()
    }

    fn unix_now(&self) -> u64 {
        let since_epoch = web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH);
        // A clock set before 1970 reads as 0: JWTs then fail to verify, visibly.
        since_epoch.map_or(0, |d| d.as_secs())
    }
}
