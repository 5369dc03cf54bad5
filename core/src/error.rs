//! Everything that can go wrong, as one enum.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::field::ConfigError;

/// Longest body excerpt an error keeps, in bytes.
pub const MAX_EXCERPT: usize = 256;
/// Most `errors[]` entries an error keeps from a body.
pub const MAX_API_ERRORS: usize = 4;

/// Why the pin is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiredBy {
    /// plex.tv answered 404 with code 1020 "Code not found or expired". It also says this
    /// for a pin polled with another client identifier than the one that created it, and
    /// (in the emulator, and as far as anyone knows on plex.tv) for a denied sign-in.
    Server,
    /// The pin's `expiresIn`, counted on the caller's clock from when the pin arrived, ran
    /// out before the user approved.
    LocalDeadline,
}

/// One entry of plex.tv's `{"errors":[{"code":…,"message":…,"status":…}]}` body (or of its
/// XML `<errors><error …/></errors>` form).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// plex.tv's error code (1000 missing client id, 1020 pin not found or expired, …).
    pub code: Option<i64>,
    /// The message, cut to [`MAX_EXCERPT`] bytes.
    pub message: String,
    /// The HTTP status repeated in the body, when present.
    pub status: Option<u16>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "{code} {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A short, token-free copy of a response body for diagnostics.
///
/// At most [`MAX_EXCERPT`] bytes, lossily decoded, with the values of any key that looks
/// like a token (`authToken`, `auth_token`, …) replaced by `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BodyExcerpt(String);

impl BodyExcerpt {
    pub(crate) fn new(body: &[u8]) -> Self {
        let cut = body.get(..MAX_EXCERPT).unwrap_or(body);
        let text = crate::utf8::lossy(cut);
        BodyExcerpt(redact_tokens(&text))
    }

    fn redact_secret(&mut self, secret: &str) {
        redact_secret(&mut self.0, secret);
    }

    /// The excerpt text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masks what follows any key containing "token" (any case), in JSON (`"authToken":"…"`),
/// XML attribute (`authToken="…"`) or form (`token=…`) style, up to the next delimiter, and
/// anything shaped like a JWT (`eyJ…`), wherever it stands.
pub(crate) fn redact_tokens(text: &str) -> String {
    redact_jwts(redact_token_keys(text))
}

/// Replaces every JWT-shaped run (`eyJ` followed by base64url and dots: the JSON header
/// every JWT starts with) by `***`.
fn redact_jwts(text: String) -> String {
    let is_jwt_byte = |b: &&u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if find_ignore_case(text.as_bytes(), b"eyJ").is_none() {
        return text;
    }
    // On bytes, searched by hand (size rule S1).
    // Only ASCII runs are replaced, so the result is still UTF-8.
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(rest) = bytes.get(i..).filter(|rest| !rest.is_empty()) {
        if rest.starts_with(b"eyJ") {
            out.extend_from_slice(b"***");
            i += rest.iter().take_while(is_jwt_byte).count();
        } else {
            out.extend_from_slice(rest.get(..1).unwrap_or_default());
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Replaces every occurrence of `secret` in `text` by `***`, and a tail of `text` that is
/// the start of `secret` (where a copy was cut short at an excerpt's end). Four characters
/// of a secret say little: a shorter tail is left alone.
pub(crate) fn redact_secret(text: &mut String, secret: &str) {
    let secret = secret.as_bytes();
    if secret.is_empty() {
        return;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(rest) = bytes.get(i..).filter(|rest| !rest.is_empty()) {
        if rest.starts_with(secret) {
            out.extend_from_slice(b"***");
            i += secret.len();
        } else if rest.len() >= 4 && secret.starts_with(rest) {
            out.extend_from_slice(b"***");
            break;
        } else {
            out.extend_from_slice(rest.get(..1).unwrap_or_default());
            i += 1;
        }
    }
    // The secret is a token (visible ASCII): what was replaced was ASCII, so still UTF-8.
    if let Ok(redacted) = String::from_utf8(out) {
        *text = redacted;
    }
}

fn redact_token_keys(text: &str) -> String {
    // On bytes, with `get` rather than indexing (size rule S10).
    let bytes = text.as_bytes();
    let run = |from: usize, to: usize| bytes.get(from..to).unwrap_or_default();
    let skip = |mut i: usize, while_: fn(&u8) -> bool| {
        while bytes.get(i).is_some_and(while_) {
            i += 1;
        }
        i
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = find_ignore_case(run(search, bytes.len()), b"token") {
        search += found + "token".len();
        // Skip the rest of the key, the separator and an opening quote.
        let key_end = skip(search, |b| b.is_ascii_alphanumeric() || *b == b'_');
        let value_start = skip(key_end, |b| matches!(b, b'"' | b'\'' | b' ' | b':' | b'='));
        if value_start == key_end || value_start >= bytes.len() {
            continue;
        }
        let value_end = skip(value_start, |b| {
            !matches!(b, b'"' | b'\'' | b',' | b'}' | b'&' | b'<' | b' ')
        });
        let value = run(value_start, value_end);
        if !value.is_empty() && !value.eq_ignore_ascii_case(b"null") {
            out.extend_from_slice(run(copied, value_start));
            out.extend_from_slice(b"***");
            copied = value_end;
        }
        search = value_end;
    }
    out.extend_from_slice(run(copied, bytes.len()));
    // Only runs between ASCII delimiters were replaced: still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Where `needle` first occurs in `haystack`, ASCII case ignored.
pub(crate) fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Every way a plex.tv call or a login can fail, as far as the core can tell.
///
/// Transports wrap this unchanged beside their own IO error. No variant carries a token,
/// and body excerpts are redacted, so printing an error is always safe.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller was refused before anything was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// The pin can no longer be approved: see [`ExpiredBy`].
    #[error("{}", match .by {
        ExpiredBy::Server => "the pin expired, was denied, or belongs to another client identifier (plex.tv 404/1020)",
        ExpiredBy::LocalDeadline => "the pin expired before the sign-in was approved",
    })]
    PinExpired {
        /// Who decided.
        by: ExpiredBy,
    },

    /// The caller's overall deadline for the login passed.
    #[error("the sign-in was not approved before the caller's deadline")]
    TimedOut,

    /// plex.tv did not see `X-Plex-Client-Identifier` (400, code 1000).
    #[error("plex.tv says the X-Plex-Client-Identifier header is missing (400/1000)")]
    MissingClientIdentifier,

    /// The token is not (or no longer) valid: 401, or 422 "Invalid token" for a revoked one.
    #[error("the token was refused by plex.tv (HTTP {})", .status.as_u16())]
    Unauthorized {
        /// 401 or 422.
        status: StatusCode,
    },

    /// plex.tv asked to slow down (429).
    #[error("rate limited by plex.tv{}", match .retry_after {
        Some(d) => format!(" (retry after {} s)", d.as_secs()),
        None => String::new(),
    })]
    RateLimited {
        /// From `Retry-After` (seconds, or an HTTP date against the response's `Date`).
        retry_after: Option<Duration>,
    },

    /// A Plex JWT expired (498): refresh it.
    #[error("the Plex JWT expired (498); refresh it")]
    JwtExpired,

    /// plex.tv could not verify a device JWT's signature (422): wrong key, missing `kid`,
    /// clock drift or an expired or reused nonce.
    #[error("plex.tv refused the device JWT's signature (422)")]
    SignatureRejected,

    /// The device key's thumbprint is registered already (422): use a new client identifier
    /// or the key that was registered.
    #[error("plex.tv says this device key is registered already (422)")]
    ThumbprintTaken,

    /// plex.tv knows no key for this device: it answered 1097 ("jwk missing"), or refused
    /// the signature of a refresh made over a fresh nonce. The key was never registered,
    /// or the device was removed from Authorized Devices. Sign in again.
    #[error("plex.tv does not know this device's key; sign in again")]
    DeviceKeyUnknown,

    /// The Plex JWT the server handed out does not verify (signature, expiry, issuer,
    /// audience, device key): it was not handed on. See
    /// [`jwt`](crate::jwt#what-is-verified-and-what-cannot-be).
    #[cfg(feature = "jwt")]
    #[error("the Plex JWT the server returned does not verify: {0}")]
    InvalidJwt(crate::jwt::JwtError),

    /// Any other status the call does not expect.
    #[error("unexpected HTTP {} from plex.tv{}", .status.as_u16(), first_error(.errors))]
    UnexpectedStatus {
        /// The status.
        status: StatusCode,
        /// Error entries read from the body, if it had any.
        errors: Vec<ApiError>,
        /// The start of the body, redacted.
        body: BodyExcerpt,
        /// The response's `Retry-After` (503 sends it), read as for [`Error::RateLimited`].
        retry_after: Option<Duration>,
    },

    /// A poll's answer describes another pin than the one polled (`field`, `id`, `code` or
    /// `clientIdentifier`, differs): a redirect was followed, or a proxy or cache answered
    /// for another request. Its token, if any, was not approved for this login.
    #[error("the answer is about another pin than the one asked for (its {field} differs)")]
    UnexpectedPin {
        /// The JSON field that differs.
        field: &'static str,
    },

    /// A success response whose JSON does not fit: `path` says where (`location.city`).
    #[error("could not decode the plex.tv response at `{path}`: {message}")]
    Decode {
        /// The status of the response.
        status: StatusCode,
        /// Where it failed: the JSON path of the failing value (`.` for the document
        /// itself) with the `field-path` feature (default) or `js-json`; `line L column
        /// C` without either.
        path: String,
        /// What the decoder said.
        message: String,
        /// The start of the body, redacted.
        body: BodyExcerpt,
    },

    /// A success response that is not JSON (XML, HTML, …).
    #[error("plex.tv answered {} with {content_type} instead of JSON{}", .status.as_u16(), .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    NotJson {
        /// The status of the response.
        status: StatusCode,
        /// Its `Content-Type`.
        content_type: String,
        /// A message found in an XML body, if any.
        message: Option<String>,
    },

    /// A saved pin was resumed under another client identifier than the one that created
    /// it: plex.tv would answer its polls 404/1020, as if it did not exist.
    #[error("the saved pin belongs to another client identifier; plex.tv would not know it")]
    ClientMismatch,

    /// The caller cancelled the login through its [`Cancel`](crate::drive::Cancel) handle.
    #[error("the sign-in was cancelled")]
    Cancelled,

    /// The [`PinLogin`](crate::PinLogin) was driven against its contract (a response with no
    /// request in flight, a poll after the end, …). A bug in the caller's loop.
    #[error("login driven out of order: {0}")]
    OutOfOrder(&'static str),
}

fn first_error(errors: &[ApiError]) -> String {
    errors.first().map(|e| format!(": {e}")).unwrap_or_default()
}

impl Error {
    /// How long the server asked to wait before trying again (`Retry-After` on a 429 or a
    /// 5xx), as it said it: a login waits no longer than
    /// [`LoginOptions::max_retry_after`](crate::LoginOptions::max_retry_after).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } | Error::UnexpectedStatus { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// This error with every copy of `secret` (a token the request carried) masked in the
    /// text it keeps from the response: a server may echo what it was sent ("token X is not
    /// allowed"), and an error is printed. The transports apply it to every call that sends
    /// a token; a custom transport should too.
    ///
    /// ```
    /// let response = http::Response::builder()
    ///     .status(400)
    ///     .body(&b"token my-secret-token is not allowed"[..])?;
    /// let error = plex_pin::response::user(&response).unwrap_err().redact_secret("my-secret-token");
    /// assert!(!error.to_string().contains("my-secret-token"));
    /// assert!(!format!("{error:?}").contains("my-secret-token"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn redact_secret(mut self, secret: &str) -> Self {
        match &mut self {
            Error::UnexpectedStatus { errors, body, .. } => {
                body.redact_secret(secret);
                for error in errors {
                    redact_secret(&mut error.message, secret);
                }
            }
            Error::Decode {
                path,
                message,
                body,
                ..
            } => {
                body.redact_secret(secret);
                redact_secret(path, secret);
                redact_secret(message, secret);
            }
            Error::NotJson {
                content_type,
                message,
                ..
            } => {
                redact_secret(content_type, secret);
                if let Some(message) = message {
                    redact_secret(message, secret);
                }
            }
            _ => {}
        }
        self
    }

    /// Whether trying the same request again later may succeed: 429, 5xx, and bodies that
    /// did not decode (a proxy or a half-deployed plex.tv can produce those briefly).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Decode { .. } | Error::NotJson { .. } => true,
            Error::UnexpectedStatus { status, .. } => status.is_server_error(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_token_values_in_every_style() {
        let cases = [
            (
                r#"{"authToken":"abc123","id":1}"#,
                r#"{"authToken":"***","id":1}"#,
            ),
            (r#"{"auth_token": "eyJ.x.y"}"#, r#"{"auth_token": "***"}"#),
            (
                r#"<pin authToken="abc" id="1"/>"#,
                r#"<pin authToken="***" id="1"/>"#,
            ),
            ("token=abc&x=1", "token=***&x=1"),
            (r#"{"authToken":null}"#, r#"{"authToken":null}"#),
            ("no secrets here", "no secrets here"),
            ("token", "token"),
            (r#"{"Token":"#, r#"{"Token":"#),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_tokens(input), expected, "{input}");
        }
    }

    #[test]
    fn jwts_are_masked_wherever_they_stand() {
        assert_eq!(
            redact_tokens("bad credential eyJhbGciOi.eyJzdWIi.c2ln-_x here"),
            "bad credential *** here"
        );
        assert_eq!(redact_tokens("eyJ"), "***");
        assert_eq!(redact_tokens("xeyJa eyJb"), "x*** ***");
    }

    #[test]
    fn an_echoed_secret_is_masked_whole_or_cut_short() {
        let mut text = "token s3cr3t-t0ken is not allowed (s3cr3t-t0ken)".to_owned();
        redact_secret(&mut text, "s3cr3t-t0ken");
        assert_eq!(text, "token *** is not allowed (***)");
        // An excerpt that ends inside a copy of the secret.
        let mut text = "you sent s3cr3t-t".to_owned();
        redact_secret(&mut text, "s3cr3t-t0ken");
        assert_eq!(text, "you sent ***");
        let mut text = "nothing here: s3c".to_owned();
        redact_secret(&mut text, "s3cr3t-t0ken");
        assert_eq!(text, "nothing here: s3c", "three characters say nothing");
    }

    #[test]
    fn excerpt_is_bounded() {
        let body = vec![b'x'; 10_000];
        assert_eq!(BodyExcerpt::new(&body).as_str().len(), MAX_EXCERPT);
    }
}
