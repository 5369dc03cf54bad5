//! Plex's JWT sign-in with an Ed25519 device key ([protocol](crate::protocol#the-jwt-sign-in)), without IO.
//!
//! A device holds a [`DeviceKey`] ([`DeviceKey::generate`], stored as its 64 hex digits:
//! [`DeviceKey::to_hex`], [`DeviceKey::from_hex`]), publishes its [`Jwk`], and proves
//! itself with short-lived device JWTs ([`DeviceKey::device_jwt`]) carrying a nonce from
//! `GET /api/v2/auth/nonce`. plex.tv answers with a Plex JWT (7 days), which the sign-in
//! and the refresh hand out only once [`verify_plex_jwt`] accepts it.
//!
//! # What is verified, and what cannot be
//!
//! A Plex JWT is checked before it is handed out: its EdDSA signature by one of the keys
//! of `GET /api/v2/auth/keys` (Plex publishes several: any may have signed), issuer
//! `plex.tv`, an audience of `plex.tv` or this client, not expired, and issued for this
//! device's key (`thumbprint`). That refuses what a confused proxy, a cache, a redirect
//! followed or a server answering garbage may hand over: an unsigned token (`alg: none`),
//! one signed by another key, an expired one, one for another device, or no JWT at all.
//!
//! It cannot tell whether plex.tv itself is genuine: the keys come from the same server,
//! over the same TLS connection, as the token. A machine that trusts a certificate
//! authority it should not (a TLS-inspecting proxy) can be served forged keys with the
//! forged token; TLS is what guards against that, and the transports verify certificates
//! against the Mozilla roots.
//!
//! Times here are Unix seconds passed in by the caller (`iat`, `exp` are wall-clock).
//!
//! ```
//! use plex_pin::jwt::{DeviceClaims, DeviceKey, verify_jwt};
//! use plex_pin::ClientId;
//!
//! let key = DeviceKey::from_seed([7; 32]); // use 32 random bytes, and store them
//! let client = ClientId::new("my-device")?;
//! let jwt = key.device_jwt(&DeviceClaims::new(&client, "nonce-from-plex", 1_800_000_000));
//! let claims: serde_json::Value = verify_jwt(jwt.as_str(), std::slice::from_ref(key.jwk()))?;
//! assert_eq!(claims["iss"], "my-device");
//! assert_eq!(claims["aud"], "plex.tv");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::client_id::ClientId;

/// How long a device JWT is valid: the nonce inside it lives 5 minutes.
pub const DEVICE_JWT_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Refresh a Plex JWT once less than this is left (Plex JWTs live 7 days).
pub const REFRESH_WITHIN: Duration = Duration::from_secs(24 * 3600);
/// Longest JWT accepted for verification.
pub const MAX_JWT_LEN: usize = 8 * 1024;

/// An Ed25519 key pair: a device's key, or (in the emulator) a server's signing key.
///
/// `Debug` shows the key id only; the seed leaves only through [`DeviceKey::seed`].
#[derive(Clone)]
pub struct DeviceKey {
    signing: SigningKey,
    jwk: Jwk,
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey")
            .field("kid", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// A new key from the operating system's random source (`crypto.getRandomValues` in a
    /// browser). Store it ([`to_hex`](Self::to_hex)) with the client identifier: plex.tv
    /// ties the device's registration to both.
    pub fn generate() -> Result<Self, DeviceKeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| DeviceKeyError::NoRandomSource(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// The key as stored: its seed as 64 lower-case hex digits. It is the private key:
    /// keep it like a password (owner-only file, a secret store).
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let seed = self.seed();
        let mut text = String::with_capacity(64);
        for byte in seed {
            text.push(HEX[usize::from(byte >> 4)] as char);
            text.push(HEX[usize::from(byte & 15)] as char);
        }
        text
    }

    /// A stored key ([`to_hex`](Self::to_hex)): exactly 64 hex digits, either case.
    pub fn from_hex(text: &str) -> Result<Self, DeviceKeyError> {
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(DeviceKeyError::NotHex);
        }
        let mut seed = [0u8; 32];
        for (byte, pair) in seed.iter_mut().zip(digits.chunks_exact(2)) {
            let digit = |d: u8| char::from(d).to_digit(16).ok_or(DeviceKeyError::NotHex);
            *byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Ok(Self::from_seed(seed))
    }

    /// The key for a 32-byte seed. Take the seed from a cryptographic random source
    /// ([`generate`](Self::generate) does) and store it to keep the same key.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let x = B64.encode(signing.verifying_key().to_bytes());
        let mut jwk = Jwk {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x,
            kid: None,
            alg: Some("EdDSA".to_owned()),
            use_: Some("sig".to_owned()),
        };
        jwk.kid = Some(jwk.thumbprint());
        Self { signing, jwk }
    }

    /// The seed, for storing the key. It is the private key: keep it like a password.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public key as Plex wants it: `kty` OKP, `crv` Ed25519, `x`, `kid` (the RFC 7638
    /// thumbprint), `alg` EdDSA, `use` sig.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The key id: the JWK's RFC 7638 thumbprint.
    pub fn key_id(&self) -> &str {
        self.jwk.kid.as_deref().unwrap_or_default()
    }

    /// Signs any claims as a compact JWT (`alg` EdDSA, `typ` JWT, `kid` this key's id).
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'a str,
            kid: &'a str,
            typ: &'a str,
        }
        let header = Header {
            alg: "EdDSA",
            kid: self.key_id(),
            typ: "JWT",
        };
        // Serialising these plain structs cannot fail.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let claims = serde_json::to_vec(claims).unwrap_or_default();
        let mut jwt = format!("{}.{}", B64.encode(header), B64.encode(claims));
        let signature = self.signing.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&B64.encode(signature.to_bytes()));
        jwt
    }

    /// A device JWT: `nonce`, `scope`, `aud` plex.tv, `iss` the client identifier, `iat`,
    /// and `exp` = `iat` + [`DEVICE_JWT_LIFETIME`].
    pub fn device_jwt(&self, claims: &DeviceClaims<'_>) -> DeviceJwt {
        #[derive(Serialize)]
        struct Claims<'a> {
            nonce: &'a str,
            scope: String,
            aud: &'a str,
            iss: &'a str,
            iat: u64,
            exp: u64,
        }
        DeviceJwt(self.sign(&Claims {
            nonce: claims.nonce,
            scope: claims.scope.join(","),
            aud: "plex.tv",
            iss: claims.client_id.as_str(),
            iat: claims.issued_at,
            exp: claims.issued_at + DEVICE_JWT_LIFETIME.as_secs(),
        }))
    }
}

/// Why a device key could not be made or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceKeyError {
    /// The operating system gave no random bytes.
    #[error("no random source for a device key: {0}")]
    NoRandomSource(String),
    /// A stored key is not 64 hex digits.
    #[error("a stored device key is 64 hex digits")]
    NotHex,
}

/// What a device JWT says. Build it with [`DeviceClaims::new`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeviceClaims<'a> {
    /// The client identifier (`iss`).
    pub client_id: &'a ClientId,
    /// The nonce from `GET /api/v2/auth/nonce`; single use, valid 5 minutes.
    pub nonce: &'a str,
    /// The user fields the Plex JWT should carry (joined with commas).
    pub scope: &'a [&'a str],
    /// Unix seconds now (`iat`).
    pub issued_at: u64,
}

/// Every scope Plex documents.
pub const ALL_SCOPES: &[&str] = &[
    "username",
    "email",
    "friendly_name",
    "restricted",
    "anonymous",
    "joinedAt",
];

impl<'a> DeviceClaims<'a> {
    /// Claims with every documented scope.
    pub fn new(client_id: &'a ClientId, nonce: &'a str, issued_at: u64) -> Self {
        Self {
            client_id,
            nonce,
            scope: ALL_SCOPES,
            issued_at,
        }
    }
}

/// A signed device JWT. A short-lived credential: `Debug` and `Display` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceJwt(String);

impl DeviceJwt {
    /// The compact JWT, to send.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeviceJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceJwt(***)")
    }
}

/// A public key in JWK form (RFC 7517), as sent to and received from plex.tv.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `OKP`.
    pub kty: String,
    /// Curve: `Ed25519`.
    pub crv: String,
    /// The raw 32-byte public key, base64url without padding.
    pub x: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Algorithm: `EdDSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Use: `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl Jwk {
    /// The RFC 7638 thumbprint: base64url(SHA-256 of `{"crv":…,"kty":…,"x":…}`).
    pub fn thumbprint(&self) -> String {
        // RFC 7638: the required members, lexicographic order, no whitespace.
        let canonical = serde_json::json!({"crv": self.crv, "kty": self.kty, "x": self.x});
        B64.encode(Sha256::digest(canonical.to_string().as_bytes()))
    }

    fn verifying_key(&self) -> Option<VerifyingKey> {
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return None;
        }
        let bytes: [u8; 32] = B64.decode(&self.x).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }
}

/// Why a JWT was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts with a JSON header and claims.
    #[error("not a well-formed JWT: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not EdDSA.
    #[error("the JWT is not signed with EdDSA")]
    UnsupportedAlgorithm,
    /// No given key verifies the signature.
    #[error("no known key verifies the JWT's signature")]
    BadSignature,
    /// `exp` has passed.
    #[error("the JWT expired")]
    Expired,
    /// `iss` is not the expected issuer.
    #[error("the JWT was issued by someone else")]
    WrongIssuer,
    /// `aud` names neither plex.tv nor this client.
    #[error("the JWT is meant for another audience")]
    WrongAudience,
    /// `thumbprint` is not this device's key id.
    #[error("the JWT was issued for another device key")]
    WrongThumbprint,
    /// No `thumbprint`: the JWT names no device key, so it cannot be this device's.
    #[error("the JWT names no device key (no thumbprint)")]
    MissingThumbprint,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Verifies a compact JWT's EdDSA signature against any of `keys` (a key whose `kid`
/// matches the header's is tried first; Plex publishes several) and decodes its claims.
/// Claims are not checked: see [`PlexClaims::check`].
pub fn verify_jwt<T: DeserializeOwned>(jwt: &str, keys: &[Jwk]) -> Result<T, JwtError> {
    if jwt.len() > MAX_JWT_LEN {
        return Err(JwtError::Malformed("longer than the limit"));
    }
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("it needs three dot-separated parts"));
    };
    let decode = |part: &str, what| B64.decode(part).map_err(|_| JwtError::Malformed(what));
    let header: Header = serde_json::from_slice(&decode(header, "the header is not base64url")?)
        .map_err(|_| JwtError::Malformed("the header is not JSON"))?;
    if header.alg != "EdDSA" {
        return Err(JwtError::UnsupportedAlgorithm);
    }
    let signature: [u8; 64] = decode(signature, "the signature is not base64url")?
        .try_into()
        .map_err(|_| JwtError::Malformed("the signature is not 64 bytes"))?;
    let signature = Signature::from_bytes(&signature);
    let signed = &jwt[..jwt.len() - jwt.rsplit('.').next().map_or(0, str::len) - 1];
    let mut ordered: Vec<&Jwk> = keys.iter().collect();
    ordered.sort_by_key(|k| k.kid != header.kid);
    let verified = ordered
        .into_iter()
        .filter_map(Jwk::verifying_key)
        .any(|key| key.verify(signed.as_bytes(), &signature).is_ok());
    if !verified {
        return Err(JwtError::BadSignature);
    }
    serde_json::from_slice(&decode(claims, "the claims are not base64url")?)
        .map_err(|_| JwtError::Malformed("the claims do not fit"))
}

/// The claims of a Plex JWT (the token a JWT sign-in ends with).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PlexClaims {
    /// Issuer: `plex.tv`.
    pub iss: String,
    /// Audiences: `plex.tv` and/or the client identifier.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issue time, Unix seconds.
    #[serde(default)]
    pub iat: u64,
    /// The key id of the device the token was issued to.
    #[serde(default)]
    pub thumbprint: Option<String>,
    /// The user fields the scope asked for.
    #[serde(default)]
    pub user: Option<PlexJwtUser>,
}

/// The `user` claim of a Plex JWT: what the requested scope allows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlexJwtUser {
    /// User name.
    #[serde(default)]
    pub username: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Display name.
    #[serde(default)]
    pub friendly_name: Option<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(a) => vec![a],
        Aud::Many(a) => a,
    })
}

impl PlexClaims {
    /// Checks what a client must: issuer plex.tv, an audience of plex.tv or this client,
    /// not expired at `now` (Unix seconds), and issued to this device's key (`thumbprint`,
    /// which Plex JWTs carry and python-plexapi requires too).
    pub fn check(
        &self,
        client_id: &ClientId,
        device: &DeviceKey,
        now: u64,
    ) -> Result<(), JwtError> {
        if self.iss != "plex.tv" {
            return Err(JwtError::WrongIssuer);
        }
        if !self
            .aud
            .iter()
            .any(|a| a == "plex.tv" || a == client_id.as_str())
        {
            return Err(JwtError::WrongAudience);
        }
        if self.exp <= now {
            return Err(JwtError::Expired);
        }
        match &self.thumbprint {
            Some(t) if t == device.key_id() => Ok(()),
            Some(_) => Err(JwtError::WrongThumbprint),
            None => Err(JwtError::MissingThumbprint),
        }
    }

    /// Whether to refresh now: less than [`REFRESH_WITHIN`] left at `now` (Unix seconds).
    pub fn needs_refresh(&self, now: u64) -> bool {
        self.exp.saturating_sub(now) < REFRESH_WITHIN.as_secs()
    }
}

/// When a Plex JWT the sign-in or a refresh handed out expires (its `exp`, Unix seconds),
/// read without verifying it again: they verified it before handing it out. For scheduling
/// the refresh (when less than [`REFRESH_WITHIN`] is left); `None` for a token that is not
/// a JWT with an `exp`.
///
/// ```
/// use plex_pin::jwt::{expires_at, DeviceKey, REFRESH_WITHIN};
///
/// let plex = DeviceKey::from_seed([9; 32]); // stands for plex.tv's key here
/// let token = plex_pin::Token::new(plex.sign(&serde_json::json!({"exp": 1_800_600_000})))?;
/// let exp = expires_at(&token).unwrap();
/// let refresh_now = exp.saturating_sub(1_800_000_000) < REFRESH_WITHIN.as_secs();
/// assert!(!refresh_now);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expires_at(token: &crate::token::Token) -> Option<u64> {
    #[derive(Deserialize)]
    struct Exp {
        exp: u64,
    }
    let claims = token.expose_secret().split('.').nth(1)?;
    let bytes = B64.decode(claims).ok()?;
    serde_json::from_slice::<Exp>(&bytes).ok().map(|c| c.exp)
}

/// Verifies a Plex JWT as the sign-in and the refresh do before handing it out: signed by
/// one of `keys` (from `GET /api/v2/auth/keys`), and its claims right for `client_id` and
/// `device` at `unix_now` ([`PlexClaims::check`]). See the [module docs](self) for what this
/// proves and what it cannot.
pub fn verify_plex_jwt(
    token: &str,
    keys: &[Jwk],
    client_id: &ClientId,
    device: &DeviceKey,
    unix_now: u64,
) -> Result<PlexClaims, JwtError> {
    let claims: PlexClaims = verify_jwt(token, keys)?;
    claims.check(client_id, device, unix_now)?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> DeviceKey {
        DeviceKey::from_seed([n; 32])
    }

    #[test]
    fn a_plex_jwt_says_when_it_expires_and_anything_else_says_nothing() {
        let token = |text: &str| crate::token::Token::new(text).unwrap();
        let signed = key(9).sign(&serde_json::json!({"iss": "plex.tv", "exp": 2_000}));
        assert_eq!(expires_at(&token(&signed)), Some(2_000));
        let no_exp = key(9).sign(&serde_json::json!({"iss": "plex.tv"}));
        assert_eq!(expires_at(&token(&no_exp)), None);
        for other in ["legacy-token-abc", "a.!!.c", "a.b"] {
            assert_eq!(expires_at(&token(other)), None, "{other}");
        }
    }

    #[test]
    fn rfc_8037_test_vector() {
        // RFC 8037 appendix A.1/A.3: this seed's public key and its RFC 7638 thumbprint.
        let seed: [u8; 32] = B64
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap()
            .try_into()
            .unwrap();
        let key = DeviceKey::from_seed(seed);
        assert_eq!(key.jwk().x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
        assert_eq!(key.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        // RFC 8037 A.4: the signature of "Example of Ed25519 signing".
        let signed = key
            .signing
            .sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
        assert_eq!(
            B64.encode(signed.to_bytes()),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[test]
    fn device_jwt_round_trip_and_redaction() {
        let client = ClientId::new("device-1").unwrap();
        let jwt = key(1).device_jwt(&DeviceClaims::new(&client, "n-1", 1_000));
        assert_eq!(format!("{jwt:?}"), "DeviceJwt(***)");
        #[derive(Deserialize)]
        struct C {
            nonce: String,
            scope: String,
            aud: String,
            iss: String,
            iat: u64,
            exp: u64,
        }
        let c: C = verify_jwt(jwt.as_str(), &[key(1).jwk().clone()]).unwrap();
        assert_eq!(
            (c.nonce.as_str(), c.aud.as_str(), c.iss.as_str()),
            ("n-1", "plex.tv", "device-1")
        );
        assert_eq!((c.iat, c.exp), (1_000, 1_300));
        assert!(c.scope.starts_with("username,email"));
        assert!(!format!("{:?}", key(1)).contains(&format!("{:?}", key(1).seed())));
    }

    #[test]
    fn forged_and_malformed_jwts_are_refused() {
        let client = ClientId::new("d").unwrap();
        let jwt = key(1)
            .device_jwt(&DeviceClaims::new(&client, "n", 1))
            .as_str()
            .to_owned();
        let other = [key(2).jwk().clone()];
        assert_eq!(
            verify_jwt::<serde_json::Value>(&jwt, &other),
            Err(JwtError::BadSignature)
        );
        // Claims swapped under the same signature.
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged_claims = B64.encode(br#"{"iss":"d","nonce":"evil"}"#);
        parts[1] = &forged_claims;
        let forged = parts.join(".");
        assert_eq!(
            verify_jwt::<serde_json::Value>(&forged, &[key(1).jwk().clone()]),
            Err(JwtError::BadSignature)
        );
        let none_alg = format!("{}.{}.", B64.encode(br#"{"alg":"none"}"#), parts[1]);
        assert_eq!(
            verify_jwt::<serde_json::Value>(&none_alg, &[key(1).jwk().clone()]),
            Err(JwtError::UnsupportedAlgorithm)
        );
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.!!.!!",
            &"a".repeat(MAX_JWT_LEN + 1),
        ] {
            assert!(
                matches!(
                    verify_jwt::<serde_json::Value>(bad, &other),
                    Err(JwtError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn any_of_several_plex_keys_verifies_and_claims_are_checked() {
        let plex = key(9);
        let device = key(3);
        let client = ClientId::new("device-3").unwrap();
        let token = plex.sign(&serde_json::json!({
            "iss": "plex.tv", "aud": ["plex.tv", "device-3"], "exp": 2_000, "iat": 1_000,
            "thumbprint": device.key_id(), "user": {"username": "jdoe"}
        }));
        let keys = [key(8).jwk().clone(), plex.jwk().clone()];
        let claims: PlexClaims = verify_jwt(&token, &keys).unwrap();
        assert_eq!(
            claims.user.as_ref().unwrap().username.as_deref(),
            Some("jdoe")
        );
        assert_eq!(claims.check(&client, &device, 1_500), Ok(()));
        assert_eq!(
            claims.check(&client, &device, 2_000),
            Err(JwtError::Expired)
        );
        assert_eq!(
            claims.check(&client, &key(4), 1_500),
            Err(JwtError::WrongThumbprint)
        );
        assert!(claims.needs_refresh(1_500));
        let long = PlexClaims {
            exp: 1_000_000,
            ..claims.clone()
        };
        assert!(!long.needs_refresh(1_000));
        let foreign = PlexClaims {
            aud: vec!["someone-else".into()],
            ..claims.clone()
        };
        assert_eq!(
            foreign.check(&client, &device, 1_500),
            Err(JwtError::WrongAudience)
        );
        let issuer = PlexClaims {
            iss: "evil".into(),
            ..claims
        };
        assert_eq!(
            issuer.check(&client, &device, 1_500),
            Err(JwtError::WrongIssuer)
        );
    }
}
