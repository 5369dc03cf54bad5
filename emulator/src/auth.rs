//! Plex's JWT side (`plex_pin::protocol`, "The JWT sign-in"): nonces, device keys, device JWTs checked with the
//! device's registered key, and Plex JWTs issued with the emulator's own Ed25519 key.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use plex_pin::jwt::{verify_jwt, DeviceKey, Jwk, DEVICE_JWT_LIFETIME};
use serde::Deserialize;

use crate::account::Account;
use crate::bounded::{shrink_map, Bounded};
use crate::limits::{Amount, Limits};

/// A nonce's life, as Plex documents.
pub const NONCE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Why a device JWT is refused; all answer 422 "Signature Verification Failed", as plex.tv
/// documents a single failure for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    BadSignature,
    WrongIssuer,
    WrongAudience,
    Expired,
    UnknownNonce,
}

pub(crate) struct AuthState {
    /// Signs the Plex JWTs the emulator issues.
    pub server_key: DeviceKey,
    /// Published beside the server key and never used: clients must try every key.
    decoy_key: DeviceKey,
    /// Outstanding nonces and when each expires; at most `max_nonces`.
    nonces: HashMap<String, Instant>,
    max_nonces: usize,
    /// Registered device keys by client identifier (with their thumbprints), the oldest
    /// forgotten past [`Limits::device_keys`]; and the thumbprints taken.
    device_keys: Bounded<(Jwk, String)>,
    thumbprints: HashSet<String>,
    pub plex_jwt_lifetime: Duration,
}

/// The bytes of a JWK as the emulator holds it: its serialized length (every field is
/// text a client chose).
pub(crate) fn jwk_bytes(jwk: &plex_pin::jwt::Jwk) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, jwk);
    count.0
}

fn random_seed() -> [u8; 32] {
    std::array::from_fn(|_| fastrand::u8(..))
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Deserialize)]
struct DeviceClaims {
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    iss: String,
    #[serde(default)]
    aud: String,
    #[serde(default)]
    exp: u64,
}

impl AuthState {
    pub fn new(plex_jwt_lifetime: Duration, limits: &Limits) -> Self {
        Self {
            server_key: DeviceKey::from_seed(random_seed()),
            decoy_key: DeviceKey::from_seed(random_seed()),
            nonces: HashMap::new(),
            max_nonces: limits.nonces,
            device_keys: Bounded::new(limits.device_keys),
            thumbprints: HashSet::new(),
            plex_jwt_lifetime,
        }
    }

    /// The published keys: a decoy first, then the one that signs.
    pub fn keys(&self) -> Vec<Jwk> {
        vec![self.decoy_key.jwk().clone(), self.server_key.jwk().clone()]
    }

    /// A new single-use nonce, or `None` when too many are outstanding.
    pub fn new_nonce(&mut self, now: Instant) -> Option<String> {
        if self.nonces.len() >= self.max_nonces {
            self.nonces.retain(|_, expiry| *expiry > now);
            if self.nonces.len() >= self.max_nonces {
                return None;
            }
        }
        let nonce = format!("{:032x}", fastrand::u128(..));
        self.nonces.insert(nonce.clone(), now + NONCE_LIFETIME);
        Some(nonce)
    }

    /// Checks a device JWT against `jwk` for `client_id`; returns its nonce, not yet used.
    pub fn check_device_jwt(
        &self,
        jwt: &str,
        jwk: &Jwk,
        client_id: &str,
        now: Instant,
    ) -> Result<String, Refusal> {
        let claims: DeviceClaims =
            verify_jwt(jwt, std::slice::from_ref(jwk)).map_err(|_| Refusal::BadSignature)?;
        if claims.iss != client_id {
            return Err(Refusal::WrongIssuer);
        }
        if claims.aud != "plex.tv" {
            return Err(Refusal::WrongAudience);
        }
        // A device JWT may not claim a longer life than Plex allows, nor be expired.
        let now_unix = unix_now();
        if claims.exp <= now_unix || claims.exp > now_unix + DEVICE_JWT_LIFETIME.as_secs() + 60 {
            return Err(Refusal::Expired);
        }
        match self.nonces.get(&claims.nonce) {
            Some(expiry) if *expiry > now => Ok(claims.nonce),
            _ => Err(Refusal::UnknownNonce),
        }
    }

    /// Uses a nonce up: a second use of the same device JWT is a replay.
    pub fn consume(&mut self, nonce: &str) {
        self.nonces.remove(nonce);
    }

    /// Forgets expired nonces.
    pub fn sweep(&mut self, now: Instant) {
        self.nonces.retain(|_, expiry| *expiry > now);
        shrink_map(&mut self.nonces);
        self.device_keys.shrink();
        if self.thumbprints.capacity() > 64
            && self.thumbprints.capacity() / 4 > self.thumbprints.len()
        {
            self.thumbprints.shrink_to(self.thumbprints.len() * 2);
        }
    }

    /// Outstanding nonces.
    pub fn nonces(&self) -> usize {
        self.nonces.len()
    }

    /// Registered device keys, and the bytes of their identifiers, keys and thumbprints.
    pub fn device_keys(&self) -> Amount {
        self.device_keys.amount()
    }

    /// Registers a device key for a client. Err if another client holds its thumbprint.
    /// Past [`Limits::device_keys`] the oldest registrations are forgotten.
    pub fn register(&mut self, client_id: &str, jwk: Jwk) -> Result<(), ()> {
        let thumbprint = jwk.thumbprint();
        let previous = self.device_keys.get(client_id).map(|(_, t)| t.clone());
        if self.thumbprints.contains(&thumbprint) && previous.as_ref() != Some(&thumbprint) {
            return Err(());
        }
        if let Some(previous) = previous {
            self.thumbprints.remove(&previous);
        }
        let bytes = jwk_bytes(&jwk) + thumbprint.len();
        self.thumbprints.insert(thumbprint.clone());
        for (_, (_, gone)) in self.device_keys.insert(client_id, (jwk, thumbprint), bytes) {
            self.thumbprints.remove(&gone);
        }
        Ok(())
    }

    pub fn registered_key(&self, client_id: &str) -> Option<&Jwk> {
        self.device_keys.get(client_id).map(|(jwk, _)| jwk)
    }

    /// A Plex JWT for `account` on device `client_id` with key `jwk`.
    pub fn issue_plex_jwt(&self, account: &Account, client_id: &str, jwk: &Jwk) -> String {
        let now = unix_now();
        self.server_key.sign(&serde_json::json!({
            "iss": "plex.tv",
            "aud": ["plex.tv", client_id],
            "iat": now,
            "exp": now.saturating_add(self.plex_jwt_lifetime.as_secs()),
            // plex.tv never sees a private key: it echoes the `kid` the device registered
            // (python-plexapi requires `thumbprint == kid`, and its kid is its own hash),
            // and falls back to the RFC 7638 thumbprint for a key registered without one.
            "thumbprint": jwk.kid.clone().unwrap_or_else(|| jwk.thumbprint()),
            // Unique per token, so two issued in the same second differ.
            "jti": format!("{:032x}", fastrand::u128(..)),
            "user": {
                "username": account.username,
                "email": account.email,
                "friendlyName": account.title,
            },
        }))
    }

    /// Whether a token is a Plex JWT of ours that has expired (answered with 498).
    pub fn is_expired_plex_jwt(&self, token: &str) -> bool {
        #[derive(Deserialize)]
        struct Exp {
            exp: u64,
        }
        verify_jwt::<Exp>(token, std::slice::from_ref(self.server_key.jwk()))
            .is_ok_and(|claims| claims.exp <= unix_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> Jwk {
        DeviceKey::from_seed([seed; 32]).jwk().clone()
    }

    /// Past the limit the oldest registration goes with its thumbprint; a client that
    /// changes its key frees the old thumbprint (it stayed taken for ever before).
    #[test]
    fn device_keys_are_bounded_and_thumbprints_follow_them() {
        let limits = Limits {
            device_keys: Amount::new(2, 1024 * 1024),
            ..Limits::default()
        };
        let mut auth = AuthState::new(Duration::from_secs(60), &limits);
        auth.register("a", key(1)).unwrap();
        assert_eq!(
            auth.register("b", key(1)),
            Err(()),
            "a's thumbprint is taken"
        );
        auth.register("b", key(2)).unwrap();
        auth.register("c", key(3)).unwrap();
        assert_eq!(auth.device_keys().items, 2);
        assert!(auth.registered_key("a").is_none(), "the oldest went");
        auth.register("d", key(1)).unwrap();
        assert!(auth.device_keys().bytes > 2 * jwk_bytes(&key(1)));

        auth.register("d", key(4)).unwrap();
        auth.register("e", key(1)).unwrap();
        assert_eq!(auth.thumbprints.len(), auth.device_keys().items);
    }
}
