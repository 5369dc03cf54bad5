//! Decoding with serde_json (the default): the pin and account through their serde
//! derives, and any other body (the JWT answers) whatever the feature set.

use serde::de::DeserializeOwned;

#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
use super::body::ErrorBody;
use super::body::Failure;
#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
use crate::pin::Pin;
#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
use crate::user::User;

#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
pub(crate) fn pin(body: &[u8]) -> Result<Pin, Failure> {
    serde(body)
}

#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
pub(crate) fn user(body: &[u8]) -> Result<User, Failure> {
    serde(body)
}

#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
pub(crate) fn error_body(body: &[u8]) -> Option<ErrorBody> {
    serde_json::from_slice(body).ok()
}

/// Decodes with serde_json, naming the failing field (`location.city`; `.` for the whole
/// document).
///
/// Path tracking allocates for every key, so it runs only on the failure path: the common
/// case decodes once, plainly.
#[cfg(feature = "field-path")]
#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
pub(crate) fn serde<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    let plain = match serde_json::from_slice(body) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) => e.path().to_string(),
        // The value decodes: what failed is after it (trailing characters).
        Ok(_) => ".".to_owned(),
    };
    Err((path, plain.to_string()))
}

/// Decodes with serde_json; without the `field-path` feature the position stands in for
/// the path.
#[cfg(not(feature = "field-path"))]
#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
pub(crate) fn serde<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| {
        (
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        )
    })
}
