//! How much the emulator keeps and serves: a bound on every collection a client can grow,
//! the connection cap and the per-client and per-address rate limits ([`Limits`]), and
//! what is held against them now ([`Stored`], in [`Stats`](crate::Stats)).
//!
//! The emulator is a server other people's tests share. Whatever a client can make it
//! store (pins with their identifiers and keys, tokens, revocations, fault rules,
//! registered device keys, nonces) is counted in items and in the bytes the client chose,
//! and refused or forgotten past its budget; what expires is swept once a second and the
//! emptied collections shrink.

use std::time::Duration;

/// Most pins alive at once ([`Limits::pins`]'s default); creation answers 429 past it.
pub const MAX_PINS: usize = 200_000;
/// Most bytes a client chose that all live pins may hold together (identifiers, product
/// names, device keys, issued tokens; [`Limits::pins`]'s default). Creation answers 429
/// past it, as past [`MAX_PINS`]: pins with 60 KB keys must not make 13,000 pins cost
/// 883 MB.
pub const MAX_PIN_BYTES: usize = 64 * 1024 * 1024;
/// Requests kept in the log returned by [`Stats::recent`](crate::Stats::recent); each
/// keeps at most [`MAX_LOGGED_HEADERS`](crate::MAX_LOGGED_HEADERS) headers of
/// [`MAX_LOGGED_VALUE`](crate::MAX_LOGGED_VALUE) bytes, so the log holds at most ~17 MB.
pub const RECENT_REQUESTS: usize = 1_000;
/// Most keys (client identifiers, addresses) each rate limiter tracks at once. A key whose
/// allowance is full again is forgotten; past this, creation answers 429.
pub const MAX_RATE_KEYS: usize = 100_000;

/// A count and a byte total: a budget in [`Limits`], what is held in [`Stored`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Amount {
    /// Entries.
    pub items: usize,
    /// Bytes a client chose (identifiers, keys, tokens…), not counting fixed overhead.
    pub bytes: usize,
}

impl Amount {
    /// `items` entries holding `bytes` bytes.
    pub const fn new(items: usize, bytes: usize) -> Self {
        Self { items, bytes }
    }

    /// Whether one more entry of `bytes` bytes still fits within `budget`.
    pub(crate) fn fits(self, bytes: usize, budget: Amount) -> bool {
        self.items < budget.items && self.bytes.saturating_add(bytes) <= budget.bytes
    }
}

/// At most `burst` creations at once, then one more per `refill_every` (a token bucket).
///
/// ```
/// use std::time::Duration;
/// use plex_pin_emulator::RateLimit;
///
/// let ten_a_second = RateLimit::new(100, Duration::from_millis(100));
/// assert_eq!(ten_a_second.burst, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Creations allowed at once, from rest.
    pub burst: u32,
    /// How long it takes to earn one more back.
    pub refill_every: Duration,
}

impl RateLimit {
    /// `burst` at once, then one per `refill_every`.
    pub const fn new(burst: u32, refill_every: Duration) -> Self {
        Self {
            burst,
            refill_every,
        }
    }
}

/// The bounds an emulator keeps to ([`Options::limits`](crate::Options::limits)).
///
/// The defaults hold every use in this repository (the benchmark's 10,000 concurrent
/// logins under one client identifier included) and stop one client from filling the
/// emulator for everyone. plex.tv publishes no limits for these routes; it does answer 429
/// (code 1003) when it limits, as the emulator does.
///
/// ```
/// use plex_pin_emulator::{Amount, Limits, Options};
///
/// let mut limits = Limits::default();
/// limits.fault_rules = Amount::new(50, 64 * 1024);
/// limits.per_client = None; // no per-client rate limit
/// let options = Options::default().limits(limits);
/// assert_eq!(options.limits.fault_rules.items, 50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Live pins, and the bytes of their client identifiers, product names, device keys
    /// (JWKs) and issued tokens: creation answers 429 (code 1003) past it.
    /// Default: [`MAX_PINS`] pins, [`MAX_PIN_BYTES`].
    pub pins: Amount,
    /// Issued tokens (plain tokens and Plex JWTs) still valid: past it the oldest is
    /// forgotten (and then answers 401). Expired Plex JWTs are swept. Default: 200,000,
    /// 64 MiB.
    pub tokens: Amount,
    /// Revoked tokens remembered (they answer 422 "Invalid token"): past it the oldest is
    /// forgotten (and then answers 401). Default: 100,000, 16 MiB.
    pub revoked: Amount,
    /// Fault rules, and the bytes of their client identifiers: past it `POST
    /// /emulator/fault` answers 507. Rules for pins that are gone are swept. Default:
    /// 1,000, 1 MiB.
    pub fault_rules: Amount,
    /// Registered device keys (JWT sign-in), and the bytes of their client identifiers and
    /// JWKs: past it the oldest registration is forgotten. Default: 100,000, 32 MiB.
    pub device_keys: Amount,
    /// Outstanding nonces (server-made, 32 bytes each; expired ones are swept): past it
    /// `GET /api/v2/auth/nonce` answers 429. Default: 100,000.
    pub nonces: usize,
    /// Open connections. Past it the connection idle the longest is closed to make room;
    /// when none is idle the newcomer gets 503. When the process runs out of file
    /// descriptors first, idle connections are closed likewise. Default: 16,384.
    pub connections: usize,
    /// Pin and nonce creations per client identifier (each counted apart); past it 429
    /// with `Retry-After`. `None`: unlimited. Default: a burst of 20,000, then 20 a second.
    pub per_client: Option<RateLimit>,
    /// Pin and nonce creations per client address; past it 429 with `Retry-After`. Every
    /// local test shares 127.0.0.1, so this is the larger: a burst of 40,000, then 50 a
    /// second. `None`: unlimited.
    pub per_address: Option<RateLimit>,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: usize = 1024 * 1024;
        Self {
            pins: Amount::new(MAX_PINS, MAX_PIN_BYTES),
            tokens: Amount::new(200_000, 64 * MIB),
            revoked: Amount::new(100_000, 16 * MIB),
            fault_rules: Amount::new(1_000, MIB),
            device_keys: Amount::new(100_000, 32 * MIB),
            nonces: 100_000,
            connections: 16_384,
            per_client: Some(RateLimit::new(20_000, Duration::from_millis(50))),
            per_address: Some(RateLimit::new(40_000, Duration::from_millis(20))),
        }
    }
}

/// What the emulator holds now, against its [`Limits`] (in [`Stats::stored`](crate::Stats::stored)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stored {
    /// Live pins (expired ones until the next sweep), and the bytes counted for them.
    pub pins: Amount,
    /// Valid issued tokens.
    pub tokens: Amount,
    /// Remembered revoked tokens.
    pub revoked: Amount,
    /// Fault rules.
    pub fault_rules: Amount,
    /// Registered device keys.
    pub device_keys: Amount,
    /// Outstanding nonces.
    pub nonces: usize,
    /// Keys the rate limiters track (client identifiers and addresses, pins and nonces).
    pub rate_keys: usize,
    /// Open connections.
    pub connections: usize,
}
