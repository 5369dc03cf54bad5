//! What the state-machine tests share: the configuration they log in with and a JSON
//! answer.

use plex_pin::{ClientId, Config};

/// `client-1` of "Test App", pointed at a port nothing answers on (no test sends).
pub fn config() -> Config {
    Config::builder("Test App", ClientId::new("client-1").unwrap())
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap()
}

/// A JSON answer with `status`.
pub fn json(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// The wall clock at the tests' first poll (Unix seconds).
#[allow(dead_code)] // Not every test file uses each helper.
pub const UNIX_START: u64 = 1_800_000_000;

/// plex.tv's stand-in signing key in these tests.
#[cfg(feature = "jwt")]
#[allow(dead_code)]
pub fn plex_key() -> plex_pin::jwt::DeviceKey {
    plex_pin::jwt::DeviceKey::from_seed([0xEE; 32])
}

/// `GET /api/v2/auth/keys`'s answer: a key of no use, then [`plex_key`].
#[cfg(feature = "jwt")]
#[allow(dead_code)]
pub fn plex_keys() -> http::Response<Vec<u8>> {
    let other = plex_pin::jwt::DeviceKey::from_seed([0xDD; 32]);
    let keys = serde_json::json!({"keys": [other.jwk(), plex_key().jwk()]});
    json(200, &keys.to_string())
}

/// A Plex JWT as plex.tv signs it for `device` (client-1, valid a week from [`UNIX_START`]),
/// with `change` applied to its claims.
#[cfg(feature = "jwt")]
#[allow(dead_code)]
pub fn plex_jwt(
    device: &plex_pin::jwt::DeviceKey,
    change: impl FnOnce(&mut serde_json::Value),
) -> String {
    let mut claims = serde_json::json!({
        "iss": "plex.tv", "aud": ["plex.tv", "client-1"], "iat": UNIX_START,
        "exp": UNIX_START + 7 * 24 * 3600, "thumbprint": device.key_id(),
        "user": {"username": "jdoe"}
    });
    change(&mut claims);
    plex_key().sign(&claims)
}
