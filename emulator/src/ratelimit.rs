//! Rate limits on creations (pins, nonces) per client identifier and per address, so one
//! noisy test cannot fill the emulator and lock every other test out.
//!
//! Each key has a token bucket kept as one instant (the generic cell rate algorithm): the
//! time at which its bucket would be full again. A key whose bucket is full is forgotten,
//! so only clients that created something recently cost memory. Client identifiers are
//! kept as a keyed 64-bit hash: a 16 KB identifier costs 8 bytes here.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::bounded::shrink_map;
use crate::limits::{RateLimit, MAX_RATE_KEYS};

/// The buckets of one kind of key under one limit.
struct Buckets<K> {
    limit: Option<RateLimit>,
    /// When each key's bucket is full again.
    full_at: HashMap<K, Instant>,
}

impl<K: Hash + Eq + Copy> Buckets<K> {
    fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            full_at: HashMap::new(),
        }
    }

    /// `Ok(new full_at)` if `key` may create one more now, else how long until it may.
    fn check(&mut self, key: K, now: Instant) -> Result<Option<Instant>, Duration> {
        let Some(limit) = self.limit else {
            return Ok(None);
        };
        let interval = limit.refill_every;
        // A full bucket holds `burst` creations: it is `tolerance` ahead of now when only
        // one is left.
        let tolerance = interval.saturating_mul(limit.burst.saturating_sub(1));
        let full_at = self.full_at.get(&key).copied().unwrap_or(now).max(now);
        if limit.burst == 0 {
            return Err(interval.max(Duration::from_secs(1)));
        }
        let allowed_until = now.checked_add(tolerance).unwrap_or(full_at);
        if full_at > allowed_until {
            return Err(full_at - allowed_until);
        }
        if !self.full_at.contains_key(&key) && self.full_at.len() >= MAX_RATE_KEYS {
            self.sweep(now);
            if self.full_at.len() >= MAX_RATE_KEYS {
                return Err(interval.max(Duration::from_secs(1)));
            }
        }
        Ok(Some(full_at.checked_add(interval).unwrap_or(full_at)))
    }

    fn commit(&mut self, key: K, full_at: Option<Instant>) {
        if let Some(full_at) = full_at {
            self.full_at.insert(key, full_at);
        }
    }

    fn sweep(&mut self, now: Instant) {
        self.full_at.retain(|_, full_at| *full_at > now);
        shrink_map(&mut self.full_at);
    }
}

/// Per-client and per-address limits on one kind of creation.
pub(crate) struct Limiter {
    clients: Buckets<u64>,
    addresses: Buckets<IpAddr>,
    hasher: RandomState,
}

impl Limiter {
    pub fn new(per_client: Option<RateLimit>, per_address: Option<RateLimit>) -> Self {
        Self {
            clients: Buckets::new(per_client),
            addresses: Buckets::new(per_address),
            hasher: RandomState::new(),
        }
    }

    /// Counts one creation by `client` from `address`, or says how long to wait (nothing
    /// is counted then: a refused request costs no allowance).
    pub fn take(
        &mut self,
        client: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let client = self.hasher.hash_one(client);
        let by_client = self.clients.check(client, now)?;
        let by_address = match address {
            Some(address) => Some((address, self.addresses.check(address, now)?)),
            None => None,
        };
        self.clients.commit(client, by_client);
        if let Some((address, full_at)) = by_address {
            self.addresses.commit(address, full_at);
        }
        Ok(())
    }

    /// Forgets every key whose bucket is full again.
    pub fn sweep(&mut self, now: Instant) {
        self.clients.sweep(now);
        self.addresses.sweep(now);
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.clients.full_at.len() + self.addresses.full_at.len()
    }
}

/// `Retry-After` seconds for a wait: whole seconds, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_then_one_per_interval_per_client_and_per_address() {
        let mut limiter = Limiter::new(
            Some(RateLimit::new(3, 100 * MS)),
            Some(RateLimit::new(5, 100 * MS)),
        );
        let here: IpAddr = [127, 0, 0, 1].into();
        let there: IpAddr = [127, 0, 0, 2].into();
        let t = Instant::now();
        for _ in 0..3 {
            limiter.take("noisy", Some(here), t).unwrap();
        }
        let wait = limiter.take("noisy", Some(here), t).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= 100 * MS, "{wait:?}");
        assert_eq!(retry_after_secs(wait), 1);
        // Another client from the same address still has the address's allowance.
        limiter.take("quiet", Some(here), t).unwrap();
        limiter.take("quiet", Some(here), t).unwrap();
        // The address is spent now (5), but not another address.
        assert!(limiter.take("third", Some(here), t).is_err());
        limiter.take("third", Some(there), t).unwrap();
        // One interval later, one more each.
        let later = t + 100 * MS;
        limiter.take("noisy", Some(there), later).unwrap();
        assert!(limiter.take("noisy", Some(there), later).is_err());
        // Refusals cost nothing, and full buckets are forgotten.
        limiter.sweep(t + 10 * 100 * MS);
        assert_eq!(limiter.len(), 0);
    }

    /// The defaults hold the benchmark (10,000 concurrent logins under one client
    /// identifier, `tests/benches/transports.rs`), then stop the identifier, not its
    /// neighbours; and a client flooding for a strong pin's whole life (1,800 s) cannot
    /// hold half of the emulator's pins, nor an address all of them.
    #[test]
    fn the_defaults_hold_the_benchmark_and_stop_a_flood() {
        let limits = crate::limits::Limits::default();
        let mut limiter = Limiter::new(limits.per_client, limits.per_address);
        let (here, now) = (Some(IpAddr::from([127, 0, 0, 1])), Instant::now());
        for _ in 0..20_000 {
            limiter.take("bench-client", here, now).unwrap();
        }
        assert!(limiter.take("bench-client", here, now).is_err());
        limiter.take("another-test", here, now).unwrap();
        let most = |limit: Option<RateLimit>| {
            let limit = limit.unwrap();
            limit.burst as usize + (1_800_000 / limit.refill_every.as_millis()) as usize
        };
        assert!(most(limits.per_client) < crate::limits::MAX_PINS / 2);
        assert!(most(limits.per_address) < crate::limits::MAX_PINS);
    }

    #[test]
    fn no_limit_and_zero_burst() {
        let mut open = Limiter::new(None, None);
        for _ in 0..10_000 {
            open.take("c", None, Instant::now()).unwrap();
        }
        assert_eq!(open.len(), 0);
        let mut shut = Limiter::new(Some(RateLimit::new(0, MS)), None);
        assert!(shut.take("c", None, Instant::now()).is_err());
    }
}
