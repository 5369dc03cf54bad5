//! How to start an emulator: [`Options`], and the bounds on the durations a command line
//! may give it.

use std::time::Duration;

use crate::fault::FaultRule;
use crate::limits::Limits;

/// The longest duration a command-line flag may give (auto-approval, timeouts): a week.
pub const MAX_FLAG_SECONDS: u64 = 7 * 24 * 3600;

/// A command-line flag's seconds as a `Duration`, refusing negative, NaN and values over
/// [`MAX_FLAG_SECONDS`] (`--auto-approve 1.8e19` once made every pin creation panic). Both
/// binaries that run the emulator (`plex-pin-emulator`, `plex-pin emulator`) read their
/// flags with it.
///
/// ```
/// use plex_pin_emulator::seconds_arg;
/// assert_eq!(seconds_arg("--auto-approve", 1.5).unwrap().as_millis(), 1500);
/// assert!(seconds_arg("--auto-approve", 1.8e19).is_err());
/// assert!(seconds_arg("--auto-approve", -1.0).is_err());
/// assert!(seconds_arg("--auto-approve", f64::NAN).is_err());
/// ```
pub fn seconds_arg(flag: &str, secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| d.as_secs() <= MAX_FLAG_SECONDS)
        .ok_or_else(|| {
            format!("{flag} {secs}: not a number of seconds from 0 to {MAX_FLAG_SECONDS}")
        })
}

/// How to start an [`Emulator`](crate::Emulator).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Approve every pin this long after its creation (for demos).
    pub auto_approve: Option<Duration>,
    /// Fault rules active from the start.
    pub faults: Vec<FaultRule>,
    /// Lifetime of strong pins (plex.tv: 1800 s).
    pub strong_lifetime: Duration,
    /// Lifetime of 4-character pins (plex.tv: 900 s).
    pub link_lifetime: Duration,
    /// Runtime worker threads.
    pub worker_threads: usize,
    /// Lifetime of the Plex JWTs it issues (plex.tv: 7 days).
    pub plex_jwt_lifetime: Duration,
    /// Enforce the stricter reading where plex.tv's behaviour is unconfirmed (a pin created
    /// or polled without `X-Plex-Product`): refuse with plex.tv's error shape instead of
    /// serving with a warning (see [`SeenRequest::warnings`](crate::SeenRequest::warnings)).
    pub strict: bool,
    /// How long a request body may take to arrive before the request is answered 408 and
    /// its connection closed (a client sending half a body must not hold it for ever).
    pub body_read_timeout: Duration,
    /// How long a connection may wait for its next request (or a request's head may take
    /// to arrive) before it is closed: idle keep-alive connections must not pile up.
    /// Default: 10 s.
    pub idle_timeout: Duration,
    /// Bounds on what it stores and serves, and the rate limits on creating pins.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 0,
            auto_approve: None,
            faults: Vec::new(),
            strong_lifetime: Duration::from_secs(1800),
            link_lifetime: Duration::from_secs(900),
            worker_threads: 2,
            plex_jwt_lifetime: Duration::from_secs(7 * 24 * 3600),
            body_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            strict: false,
            limits: Limits::default(),
        }
    }
}

impl Options {
    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Approves every pin after `delay`.
    pub fn auto_approve(mut self, delay: Duration) -> Self {
        self.auto_approve = Some(delay);
        self
    }

    /// Sets both pin lifetimes (to test expiry quickly); `--pin-lifetime` on the command
    /// line.
    ///
    /// ```
    /// use std::time::Duration;
    /// use plex_pin_emulator::Options;
    ///
    /// let options = Options::default().pin_lifetime(Duration::from_secs(5));
    /// assert_eq!((options.strong_lifetime, options.link_lifetime), (Duration::from_secs(5), Duration::from_secs(5)));
    /// ```
    pub fn pin_lifetime(mut self, lifetime: Duration) -> Self {
        self.strong_lifetime = lifetime;
        self.link_lifetime = lifetime;
        self
    }

    /// Enforces the stricter reading where plex.tv's behaviour is unconfirmed.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets how long a request body may take to arrive.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets how long a connection may wait for its next request.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the bounds on what it stores and serves, and the rate limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the lifetime of the Plex JWTs it issues (to test expiry and refresh).
    pub fn plex_jwt_lifetime(mut self, lifetime: Duration) -> Self {
        self.plex_jwt_lifetime = lifetime;
        self
    }

    /// Adds a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }
}
