//! The check every caller-given value passes before it reaches a header, and the error that
//! reports a refused one. Below everything that takes such values (`config`, `client_id`,
//! `web_url`), so that none of them imports another for it.

use http::HeaderValue;

/// Longest value accepted for any identity field, in bytes. plex.tv documents no limit; this
/// one only keeps a header from growing without bound.
pub const MAX_FIELD_LEN: usize = 256;

/// A value the caller gave was refused before any request was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required field (`product` or `client identifier`) was empty or only whitespace.
    #[error("{field} must not be empty")]
    Empty {
        /// Which field, e.g. `"X-Plex-Product"`.
        field: &'static str,
    },
    /// A field holds a control character (CR, LF, tab, NUL, …), which could split or
    /// corrupt the HTTP header it is sent in.
    #[error("{field} contains a control character; header values must be visible text")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
    },
    /// An identifier starts or ends with white space: plex.tv compares identifiers
    /// exactly, so a stray space (from a file or an environment variable) would make every
    /// pin unknown to the client that polls it.
    #[error("{field} starts or ends with white space")]
    SurroundingWhitespace {
        /// Which field.
        field: &'static str,
    },
    /// A field is longer than [`MAX_FIELD_LEN`] bytes.
    #[error("{field} is longer than {max} bytes")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// The base URL or forward URL does not parse, or has a shape the API cannot use
    /// (no host, a query, a fragment, credentials, a scheme other than http/https).
    #[error("invalid {field}: {reason}")]
    InvalidUrl {
        /// Which URL.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A proxy setting cannot be used (the environment's `HTTPS_PROXY`, say, names a SOCKS
    /// proxy): refused when the client is built, not skipped into a direct connection.
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    #[error(transparent)]
    Proxy(#[from] crate::proxy::ProxyError),
    /// The base URL is plain `http` to a host that is not a loopback address: tokens would
    /// cross the network in clear text. `localhost` counts as a name, which a resolver may
    /// point elsewhere: write `127.0.0.1` or `[::1]`.
    #[error("base URL must use https unless the host is a loopback address such as 127.0.0.1 or [::1] (got http://{host}; a name is not trusted for plain http)")]
    InsecureBaseUrl {
        /// The refused host.
        host: String,
    },
}

/// Checks one identity value: not too long, no control characters (which would allow header
/// injection). Non-ASCII text is allowed: plex.tv takes device names as UTF-8.
pub(crate) fn check_field(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.len() > MAX_FIELD_LEN {
        return Err(ConfigError::TooLong {
            field,
            max: MAX_FIELD_LEN,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(ConfigError::ControlCharacter { field });
    }
    Ok(())
}

pub(crate) fn check_required(field: &'static str, value: &str) -> Result<(), ConfigError> {
    // Not `trim().is_empty()`: the same test (size rule S2).
    if value.chars().all(char::is_whitespace) {
        return Err(ConfigError::Empty { field });
    }
    check_field(field, value)
}

/// A checked value as a header value (`ControlCharacter` if `http` refuses it anyway).
pub(crate) fn header_value(field: &'static str, value: &str) -> Result<HeaderValue, ConfigError> {
    HeaderValue::from_str(value).map_err(|_| ConfigError::ControlCharacter { field })
}
