//! What the emulator remembers: pins, issued tokens, fault rules and request statistics.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use crate::account::Account;
use crate::bounded::{shrink_map, Bounded};
use crate::fault::{Fault, FaultRule, Route};
use crate::limits::{Amount, Limits, Stored, RECENT_REQUESTS};
use crate::ratelimit::Limiter;

const STRONG_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const LINK_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PinStatus {
    Pending,
    Approved(String),
}

#[derive(Debug, Clone)]
pub(crate) struct PinRecord {
    pub id: u64,
    pub code: String,
    pub strong: bool,
    pub client_id: String,
    pub product: String,
    pub created: Instant,
    pub created_wall: SystemTime,
    pub lifetime: Duration,
    pub status: PinStatus,
    pub approve_at: Option<Instant>,
    /// The device key the pin was created with (JWT sign-in), if any.
    pub jwk: Option<plex_pin::jwt::Jwk>,
    /// Bytes a client chose that this pin holds, counted against [`Limits::pins`]:
    /// identifier, product, key, and the token once approved.
    pub counted: usize,
}

impl PinRecord {
    pub fn expires_in(&self, now: Instant) -> Duration {
        self.lifetime
            .saturating_sub(now.duration_since(self.created))
    }

    pub fn is_expired(&self, now: Instant) -> bool {
        self.expires_in(now).is_zero()
    }
}

/// One request as the emulator saw it, with `X-Plex-Token` masked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeenRequest {
    /// When, since the emulator started.
    pub at: Duration,
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Route name (`create_pin`, `check_pin`, `user`, `page`, `control`, `preflight`).
    pub route: &'static str,
    /// Headers in arrival order; `x-plex-token` is replaced by `***`.
    pub headers: Vec<(String, String)>,
    /// What plex.tv might refuse in this request though the emulator served it (its
    /// lenient default where plex.tv's behaviour is unconfirmed; `--strict` refuses).
    pub warnings: Vec<&'static str>,
    /// The request's number, in arrival order.
    pub seq: u64,
}

impl SeenRequest {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the emulator has served so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests per route name.
    pub per_route: BTreeMap<&'static str, u64>,
    /// The last [`RECENT_REQUESTS`](crate::RECENT_REQUESTS) requests, oldest first.
    pub recent: Vec<SeenRequest>,
    /// Pins currently stored.
    pub live_pins: usize,
    /// How often each leniency warning was given (see [`SeenRequest::warnings`]).
    pub warnings: BTreeMap<&'static str, u64>,
    /// What the emulator holds against its [`Limits`](crate::Limits).
    pub stored: Stored,
}

impl Stats {
    /// Requests seen on a route.
    pub fn count(&self, route: &str) -> u64 {
        self.per_route.get(route).copied().unwrap_or(0)
    }

    /// The recent requests on one route.
    pub fn on_route<'a>(&'a self, route: &'a str) -> impl Iterator<Item = &'a SeenRequest> + 'a {
        self.recent.iter().filter(move |r| r.route == route)
    }
}

pub(crate) struct State {
    pub started: Instant,
    pub pins: HashMap<u64, PinRecord>,
    /// Valid issued tokens, with the expiry (Unix seconds) of those that are Plex JWTs.
    tokens: Bounded<Option<u64>>,
    revoked: Bounded<()>,
    faults: Vec<FaultRule>,
    /// Bytes of the fault rules' client identifiers.
    fault_bytes: usize,
    pub per_route: BTreeMap<&'static str, u64>,
    pub recent: VecDeque<SeenRequest>,
    pub warnings: BTreeMap<&'static str, u64>,
    requests: u64,
    pub auto_approve: Option<Duration>,
    pub account: Account,
    pub lifetimes: (Duration, Duration),
    pub auth: crate::auth::AuthState,
    /// Every live pin's code (upper case) to its id: a code is unique among live pins and
    /// found by the user's typing, without a scan of every pin under the lock.
    codes: HashMap<String, u64>,
    /// Bytes a client chose that the live pins hold (see [`Limits::pins`]).
    pin_bytes: usize,
    limits: Limits,
    /// Pin creations per client identifier and address.
    pub pin_rate: Limiter,
    /// Nonce creations per client identifier and address.
    pub nonce_rate: Limiter,
}

/// Why a fault rule was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FaultsFull;

impl State {
    pub fn new(
        auto_approve: Option<Duration>,
        lifetimes: (Duration, Duration),
        plex_jwt_lifetime: Duration,
        limits: Limits,
    ) -> Self {
        Self {
            started: Instant::now(),
            pins: HashMap::new(),
            tokens: Bounded::new(limits.tokens),
            revoked: Bounded::new(limits.revoked),
            faults: Vec::new(),
            fault_bytes: 0,
            per_route: BTreeMap::new(),
            recent: VecDeque::with_capacity(RECENT_REQUESTS),
            warnings: BTreeMap::new(),
            requests: 0,
            auto_approve,
            account: Account::default_user(),
            lifetimes,
            auth: crate::auth::AuthState::new(plex_jwt_lifetime, &limits),
            codes: HashMap::new(),
            pin_bytes: 0,
            pin_rate: Limiter::new(limits.per_client, limits.per_address),
            nonce_rate: Limiter::new(limits.per_client, limits.per_address),
            limits,
        }
    }

    /// Logs a request; returns its number, for [`warn`](Self::warn).
    pub fn record(&mut self, mut seen: SeenRequest) -> u64 {
        self.requests += 1;
        seen.seq = self.requests;
        *self.per_route.entry(seen.route).or_default() += 1;
        if self.recent.len() == RECENT_REQUESTS {
            self.recent.pop_front();
        }
        self.recent.push_back(seen);
        self.requests
    }

    /// Notes that request `seq` was served although plex.tv might refuse it.
    pub fn warn(&mut self, seq: u64, warning: &'static str) {
        *self.warnings.entry(warning).or_default() += 1;
        if let Some(seen) = self.recent.iter_mut().rev().find(|r| r.seq == seq) {
            seen.warnings.push(warning);
        }
    }

    /// Adds a fault rule within [`Limits::fault_rules`]; returns how many there are.
    pub fn add_fault(&mut self, rule: FaultRule) -> Result<usize, FaultsFull> {
        let bytes = rule.client.as_ref().map_or(0, String::len);
        let held = Amount::new(self.faults.len(), self.fault_bytes);
        if !held.fits(bytes, self.limits.fault_rules) {
            return Err(FaultsFull);
        }
        self.fault_bytes += bytes;
        self.faults.push(rule);
        Ok(self.faults.len())
    }

    /// Removes the fault rules of one client identifier (or all); returns how many remain.
    pub fn clear_faults(&mut self, client: Option<&str>) -> usize {
        self.retain_faults(|rule| client.is_some_and(|c| rule.client.as_deref() != Some(c)));
        self.faults.len()
    }

    fn retain_faults(&mut self, mut keep: impl FnMut(&FaultRule) -> bool) {
        let mut freed = 0;
        self.faults.retain(|rule| {
            let kept = keep(rule);
            if !kept {
                freed += rule.client.as_ref().map_or(0, String::len);
            }
            kept
        });
        self.fault_bytes -= freed;
    }

    /// Takes the first matching fault rule, using up one of its `times`.
    pub fn take_fault(
        &mut self,
        route: Route,
        pin: Option<u64>,
        client: Option<&str>,
    ) -> Option<Fault> {
        let rule = self
            .faults
            .iter_mut()
            .find(|r| r.matches(route, pin, client))?;
        if let Some(times) = rule.times.as_mut() {
            *times -= 1;
        }
        let fault = rule.fault;
        self.retain_faults(|r| r.times != Some(0));
        Some(fault)
    }

    /// Releases what expired: pins (and their codes, and fault rules for pins that are
    /// gone), nonces, Plex JWTs, rate-limit keys whose allowance is full again; then
    /// shrinks what a flood left mostly empty. The server calls it once a second.
    pub fn sweep(&mut self, now: Instant) {
        let mut freed = 0;
        self.pins.retain(|_, p| {
            let keep = !p.is_expired(now);
            if !keep {
                freed += p.counted;
            }
            keep
        });
        self.pin_bytes -= freed;
        let pins = std::mem::take(&mut self.pins);
        self.codes.retain(|_, id| pins.contains_key(id));
        self.retain_faults(|rule| rule.pin.is_none_or(|id| pins.contains_key(&id)));
        self.pins = pins;
        let unix = crate::auth::unix_now();
        self.tokens
            .retain(|_, expiry| expiry.is_none_or(|expiry| expiry > unix));
        self.auth.sweep(now);
        self.pin_rate.sweep(now);
        self.nonce_rate.sweep(now);
        shrink_map(&mut self.pins);
        shrink_map(&mut self.codes);
        self.tokens.shrink();
        self.revoked.shrink();
        if self.faults.capacity() > 64 && self.faults.capacity() / 4 > self.faults.len() {
            self.faults.shrink_to(self.faults.len() * 2);
        }
    }

    /// A new pin, or `None` past [`Limits::pins`].
    pub fn create_pin(
        &mut self,
        now: Instant,
        strong: bool,
        client_id: &str,
        product: &str,
        jwk: Option<plex_pin::jwt::Jwk>,
    ) -> Option<PinRecord> {
        let counted =
            client_id.len() + product.len() + jwk.as_ref().map_or(0, crate::auth::jwk_bytes);
        let budget = self.limits.pins;
        if !Amount::new(self.pins.len(), self.pin_bytes).fits(counted, budget) {
            // Expired pins may still be held until the next sweep: make room first.
            self.sweep(now);
            if !Amount::new(self.pins.len(), self.pin_bytes).fits(counted, budget) {
                return None;
            }
        }
        let id = loop {
            let id = fastrand::u64(1_000_000_000..2_147_483_647);
            if !self.pins.contains_key(&id) {
                break id;
            }
        };
        let (code, lifetime) = if strong {
            (random_text(STRONG_ALPHABET, 25), self.lifetimes.0)
        } else {
            // 4-character codes must be unique among live pins: they are how a user finds one.
            let code = loop {
                let code = random_text(LINK_ALPHABET, 4);
                if !self.codes.contains_key(&code) {
                    break code;
                }
            };
            (code, self.lifetimes.1)
        };
        let record = PinRecord {
            id,
            code,
            strong,
            client_id: client_id.to_owned(),
            product: product.to_owned(),
            created: now,
            created_wall: SystemTime::now(),
            lifetime,
            status: PinStatus::Pending,
            // A delay past what an Instant holds never comes.
            approve_at: self.auto_approve.and_then(|d| now.checked_add(d)),
            jwk,
            counted,
        };
        self.codes.insert(record.code.to_ascii_uppercase(), id);
        self.pin_bytes += counted;
        self.pins.insert(id, record.clone());
        Some(record)
    }

    /// The live pin with this id, after applying a due auto-approval; expired pins go.
    pub fn live_pin(&mut self, id: u64, now: Instant) -> Option<&PinRecord> {
        if self.pins.get(&id)?.is_expired(now) {
            self.forget(id);
            return None;
        }
        let due = self.pins[&id].approve_at.is_some_and(|t| now >= t)
            && self.pins[&id].status == PinStatus::Pending;
        if due {
            self.approve(id);
        }
        self.pins.get(&id)
    }

    pub fn find_code(&self, code: &str) -> Option<u64> {
        self.codes.get(&code.to_ascii_uppercase()).copied()
    }

    /// Removes a pin and its code.
    fn forget(&mut self, id: u64) -> bool {
        match self.pins.remove(&id) {
            Some(pin) => {
                self.codes.remove(&pin.code.to_ascii_uppercase());
                self.pin_bytes -= pin.counted;
                true
            }
            None => false,
        }
    }

    /// Approves a pending pin and issues its token. Returns the token.
    pub fn approve(&mut self, id: u64) -> Option<String> {
        let pin = self.pins.get_mut(&id)?;
        if let PinStatus::Approved(token) = &pin.status {
            return Some(token.clone());
        }
        // A pin created with a device key signs in with a Plex JWT, and registers the key.
        let (token, expiry) = match pin.jwk.clone() {
            Some(jwk) => {
                let client_id = pin.client_id.clone();
                let _ = self.auth.register(&client_id, jwk.clone());
                self.issue_plex_jwt(&client_id, &jwk)
            }
            None => (random_text(TOKEN_ALPHABET, 20), None),
        };
        if let Some(pin) = self.pins.get_mut(&id) {
            // The token holds the client's identifier (and key id) when it is a Plex JWT.
            pin.counted += token.len();
            self.pin_bytes += token.len();
            pin.status = PinStatus::Approved(token.clone());
        }
        self.tokens.insert(&token, expiry, 0);
        Some(token)
    }

    /// A Plex JWT for the account on device `client_id` with key `jwk`, and its expiry.
    fn issue_plex_jwt(&self, client_id: &str, jwk: &plex_pin::jwt::Jwk) -> (String, Option<u64>) {
        let token = self.auth.issue_plex_jwt(&self.account, client_id, jwk);
        let expiry = crate::auth::unix_now().saturating_add(self.auth.plex_jwt_lifetime.as_secs());
        (token, Some(expiry))
    }

    /// Exchanges a checked device JWT for a Plex JWT, remembered as issued.
    pub fn exchange(&mut self, client_id: &str, jwk: &plex_pin::jwt::Jwk) -> String {
        let (token, expiry) = self.issue_plex_jwt(client_id, jwk);
        self.tokens.insert(&token, expiry, 0);
        token
    }

    /// Whether `token` is one the emulator issued and still honours.
    pub fn token_valid(&self, token: &str) -> bool {
        self.tokens.contains(token)
    }

    /// Whether `token` was revoked.
    pub fn is_revoked(&self, token: &str) -> bool {
        self.revoked.contains(token)
    }

    /// Makes a pin expire now (it is forgotten on its next look-up).
    pub fn expire(&mut self, id: u64) -> bool {
        match self.pins.get_mut(&id) {
            Some(pin) => {
                pin.lifetime = Duration::ZERO;
                true
            }
            None => false,
        }
    }

    /// Issues a valid token without a pin (for token-check tests).
    pub fn issue_token(&mut self) -> String {
        let token = random_text(TOKEN_ALPHABET, 20);
        self.tokens.insert(&token, None, 0);
        token
    }

    /// Revokes a token: `/api/v2/user` then answers 422 with XML "Invalid token".
    pub fn revoke(&mut self, token: &str) {
        self.tokens.remove(token);
        self.revoked.insert(token, (), 0);
    }

    /// Denies a pin: it disappears, so polls answer 404/1020 as plex.tv does for a pin it
    /// no longer knows.
    pub fn deny(&mut self, id: u64) -> bool {
        self.forget(id)
    }

    /// What is held against the [`Limits`] (connections aside: the server counts those).
    pub fn stored(&self) -> Stored {
        Stored {
            pins: Amount::new(self.pins.len(), self.pin_bytes),
            tokens: self.tokens.amount(),
            revoked: self.revoked.amount(),
            fault_rules: Amount::new(self.faults.len(), self.fault_bytes),
            device_keys: self.auth.device_keys(),
            nonces: self.auth.nonces(),
            rate_keys: self.pin_rate.len() + self.nonce_rate.len(),
            connections: 0,
        }
    }

    pub fn stats(&self) -> Stats {
        Stats {
            per_route: self.per_route.clone(),
            recent: self.recent.iter().cloned().collect(),
            live_pins: self.pins.len(),
            warnings: self.warnings.clone(),
            stored: self.stored(),
        }
    }
}

fn random_text(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[fastrand::usize(..alphabet.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_PIN_BYTES;

    fn state() -> State {
        state_with(Limits::default())
    }

    fn state_with(limits: Limits) -> State {
        State::new(
            None,
            (Duration::from_secs(1800), Duration::from_secs(900)),
            Duration::from_secs(3600),
            limits,
        )
    }

    /// Issue #12 item 18: 16 KB client identifiers fill the byte budget, not the memory.
    #[test]
    fn identity_bytes_of_live_pins_are_bounded() {
        let mut state = state();
        let now = Instant::now();
        let huge = "c".repeat(16 * 1024);
        let mut created = 0;
        while state.create_pin(now, true, &huge, "p", None).is_some() {
            created += 1;
            assert!(
                created <= MAX_PIN_BYTES / huge.len(),
                "past the byte budget"
            );
        }
        assert_eq!(created, MAX_PIN_BYTES / (huge.len() + 1));
        // Small identifiers still fit once a pin goes.
        let id = *state.pins.keys().next().unwrap();
        assert!(state.deny(id));
        assert!(state.create_pin(now, true, "small", "p", None).is_some());
    }

    /// Expired pins go at the sweep with their bytes, codes and fault rules, and the maps
    /// they filled give their memory back.
    #[test]
    fn the_sweep_releases_expired_pins_and_shrinks() {
        let mut state = state();
        state.lifetimes = (Duration::from_millis(1), Duration::from_millis(1));
        let now = Instant::now();
        for i in 0..5_000 {
            let pin = state.create_pin(now, i % 2 == 0, "c", "p", None).unwrap();
            if i < 10 {
                state
                    .add_fault(FaultRule::always(Fault::ServerError).for_pin(pin.id))
                    .unwrap();
            }
        }
        state
            .add_fault(FaultRule::always(Fault::ServerError))
            .unwrap();
        assert!(state.pins.capacity() >= 5_000 && state.stored().pins.bytes == 5_000 * 2);
        state.sweep(now + Duration::from_millis(5));
        assert_eq!(state.stored().pins, Amount::new(0, 0));
        assert_eq!(
            state.stored().fault_rules.items,
            1,
            "the rule for no pin stays"
        );
        assert!(state.pins.capacity() < 100, "{}", state.pins.capacity());
        assert!(state.codes.capacity() < 100, "{}", state.codes.capacity());
    }

    /// A device key and the token issued for it count in the pin's bytes.
    #[test]
    fn keys_and_tokens_count_in_the_pin_budget() {
        let mut state = state_with(Limits {
            pins: Amount::new(100, 4_000),
            ..Limits::default()
        });
        let key = plex_pin::jwt::DeviceKey::from_seed([7; 32]).jwk().clone();
        let key_bytes = crate::auth::jwk_bytes(&key);
        assert!(key_bytes > 50);
        let now = Instant::now();
        let pin = state
            .create_pin(now, true, "client", "p", Some(key))
            .unwrap();
        assert_eq!(state.stored().pins.bytes, 6 + 1 + key_bytes);
        let token = state.approve(pin.id).unwrap();
        assert_eq!(state.stored().pins.bytes, 6 + 1 + key_bytes + token.len());
        assert!(state.deny(pin.id));
        assert_eq!(state.stored().pins, Amount::new(0, 0));
    }

    /// Codes are found through the index, and leave it with their pin.
    #[test]
    fn codes_are_indexed_and_forgotten() {
        let mut state = state();
        let now = Instant::now();
        let pin = state.create_pin(now, false, "c", "p", None).unwrap();
        assert_eq!(state.find_code(&pin.code.to_lowercase()), Some(pin.id));
        assert!(state.deny(pin.id));
        assert_eq!(state.find_code(&pin.code), None);
        let strong = state.create_pin(now, true, "c", "p", None).unwrap();
        assert!(state.expire(strong.id));
        assert!(state.live_pin(strong.id, now).is_none());
        assert_eq!(state.find_code(&strong.code), None);
    }
}
