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
