//! What both decoders produce besides the pin and the account: the failure they report and
//! plex.tv's error body.

use serde::Deserialize;

use crate::lenient::null_as_default;

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
