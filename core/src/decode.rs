//! JSON bodies into values. serde_json does it by default; with the `small-json` feature
//! the pin, the account and error bodies go through the crate's own small reader instead
//! (see `wire`), which keeps serde_json's parser and messages out of a browser build. The
//! JWT parsers always use serde_json.
//!
//! A failure comes back as (where, what) for [`Error::Decode`](crate::Error::Decode).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

#[cfg(not(feature = "small-json"))]
use crate::{Pin, User};

/// Where the JSON failed (a field path, a position, or `.`) and what went wrong.
pub(crate) type Failure = (String, String);

/// plex.tv's JSON error body: `{"errors":[{code, message, status}]}` or `{"error":"…"}`.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) errors: Vec<ErrorEntry>,
    #[serde(default)]
    pub(crate) error: Option<String>,
}

/// One entry of [`ErrorBody::errors`].
#[derive(Deserialize)]
pub(crate) struct ErrorEntry {
    #[serde(default)]
    pub(crate) code: Option<i64>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<u16>,
}

/// For `#[serde(deserialize_with)]`: a missing field and `null` both give the default.
/// (Optional fields are lenient this way throughout; the small reader does the same.)
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(not(feature = "small-json"))]
pub(crate) fn pin(body: &[u8]) -> Result<Pin, Failure> {
    serde(body)
}

#[cfg(not(feature = "small-json"))]
pub(crate) fn user(body: &[u8]) -> Result<User, Failure> {
    serde(body)
}

#[cfg(not(feature = "small-json"))]
pub(crate) fn error_body(body: &[u8]) -> Option<ErrorBody> {
    serde_json::from_slice(body).ok()
}

#[cfg(feature = "small-json")]
pub(crate) use crate::wire::{error_body, pin, user};

/// Decodes with serde_json, naming the failing field (`location.city`; `.` for the whole
/// document).
///
/// Path tracking allocates for every key, so it runs only on the failure path: the common
/// case decodes once, plainly.
#[cfg(feature = "field-path")]
#[cfg_attr(all(feature = "small-json", not(feature = "jwt")), allow(dead_code))]
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
#[cfg_attr(all(feature = "small-json", not(feature = "jwt")), allow(dead_code))]
pub(crate) fn serde<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| {
        (
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
        )
    })
}
