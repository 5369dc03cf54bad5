//! Response parsers: one function per plex.tv call, taking the `http::Response` a transport
//! received and returning the typed answer or a typed [`Error`].
//!
//! They accept any body that is `AsRef<[u8]>` (`Vec<u8>`, `Bytes`, `&[u8]`, …). A transport
//! must cap the body before it gets here (64 KiB is plenty); the parsers never panic and do
//! work proportional to the body they are given.

use std::time::Duration;

#[cfg(feature = "http-date")]
use http::header::DATE;
use http::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use http::StatusCode;
#[cfg(feature = "jwt")]
use serde::Deserialize;

use crate::decode;
use crate::error::Error;
use crate::error::{ApiError, BodyExcerpt, ExpiredBy, MAX_API_ERRORS, MAX_EXCERPT};
use crate::pin::Pin;
use crate::user::User;

/// What a transport hands the core: any response whose body can be read as bytes.
pub type Response<B = Vec<u8>> = http::Response<B>;

/// Parses the answer to [`request::create_pin`](crate::request::create_pin) (201, or 200)
/// or [`request::check_pin`](crate::request::check_pin) (200).
///
/// ```
/// let body = br#"{"id": 42, "code": "ABCD", "expiresIn": 900, "authToken": null}"#;
/// let response = http::Response::builder()
///     .status(201)
///     .header("content-type", "application/json")
///     .body(&body[..])?;
/// let pin = plex_pin::response::pin(&response)?;
/// assert_eq!((pin.id, pin.code.as_str(), pin.auth_token), (42, "ABCD", None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A code that cannot be plex.tv's (not 1 to [`MAX_CODE_LEN`](crate::limits::MAX_CODE_LEN) ASCII
/// letters and digits) is an [`Error::Decode`] at `code`.
pub fn pin<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Pin, Error> {
    check_status(response)?;
    let pin = decode_json(response, decode::pin)?;
    if !crate::pin::is_valid_code(&pin.code) {
        return Err(Error::Decode {
            status: response.status(),
            path: "code".to_owned(),
            message: "not a plex.tv pin code (1 to 64 ASCII letters and digits)".to_owned(),
            body: BodyExcerpt::new(response.body().as_ref()),
        });
    }
    Ok(pin)
}

/// Parses the answer to [`request::user`](crate::request::user): the account for a valid
/// token, [`Error::Unauthorized`] for an invalid one (401, or 422 "Invalid token"), and any
/// other error when validity is unknown.
pub fn user<B: AsRef<[u8]>>(response: &Response<B>) -> Result<User, Error> {
    check_status(response)?;
    decode_json(response, decode::user)
}

/// Reads an answer with no body to speak of: 201 from `POST /api/v2/auth/jwk`, 204 from
/// `PUT /api/v2/pins/link`, any 2xx.
pub fn accepted<B: AsRef<[u8]>>(response: &Response<B>) -> Result<(), Error> {
    check_status(response)
}

/// The longest nonce accepted (plex.tv's are UUIDs, 36 characters): the device JWT carries
/// it into a query string, which a longer one could push past what a request can hold.
#[cfg(feature = "jwt")]
pub const MAX_NONCE_LEN: usize = 256;

/// Reads `{"nonce":"…"}` from `GET /api/v2/auth/nonce`: 1 to [`MAX_NONCE_LEN`] visible
/// ASCII characters, or a decode error at `nonce`.
#[cfg(feature = "jwt")]
pub fn nonce<B: AsRef<[u8]>>(response: &Response<B>) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Nonce {
        nonce: String,
    }
    check_status(response)?;
    let nonce = decode_json(response, decode::serde::<Nonce>)?.nonce;
    if nonce.is_empty()
        || nonce.len() > MAX_NONCE_LEN
        || !nonce.bytes().all(|b| b.is_ascii_graphic())
    {
        let why = format!("not 1 to {MAX_NONCE_LEN} visible ASCII characters");
        let body = response.body().as_ref();
        return Err(decode_error(
            response.status(),
            ("nonce".to_owned(), why),
            body,
        ));
    }
    Ok(nonce)
}

/// Reads `{"auth_token":"<Plex JWT>"}` from `POST /api/v2/auth/token`.
#[cfg(feature = "jwt")]
pub fn auth_token<B: AsRef<[u8]>>(response: &Response<B>) -> Result<crate::token::Token, Error> {
    #[derive(Deserialize)]
    struct AuthToken {
        auth_token: crate::token::Token,
    }
    check_status(response)?;
    Ok(decode_json(response, decode::serde::<AuthToken>)?.auth_token)
}

/// Reads `{"keys":[JWK, …]}` from `GET /api/v2/auth/keys` (keys of other types are kept;
/// verification skips them).
#[cfg(feature = "jwt")]
pub fn plex_keys<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Vec<crate::jwt::Jwk>, Error> {
    #[derive(Deserialize)]
    struct Keys {
        keys: Vec<crate::jwt::Jwk>,
    }
    check_status(response)?;
    Ok(decode_json(response, decode::serde::<Keys>)?.keys)
}

/// Maps a non-2xx response to its typed error; 2xx passes.
pub fn check_status<B: AsRef<[u8]>>(response: &Response<B>) -> Result<(), Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.body().as_ref();
    let errors = api_errors(response.headers(), body);
    let has_code = |code: i64| errors.iter().any(|e| e.code == Some(code));
    Err(match status.as_u16() {
        404 if has_code(1020) => Error::PinExpired {
            by: ExpiredBy::Server,
        },
        400 if has_code(1000) => Error::MissingClientIdentifier,
        401 => Error::Unauthorized { status },
        // plex.tv answers a revoked token with XML `<error>Invalid token</error>`.
        422 if contains_ignore_case(body, b"invalid token") => Error::Unauthorized { status },
        422 if has_code(1097) || contains_ignore_case(body, b"jwk missing") => {
            Error::DeviceKeyUnknown
        }
        422 if contains_ignore_case(body, b"thumbprint") => Error::ThumbprintTaken,
        422 if contains_ignore_case(body, b"signature") => Error::SignatureRejected,
        498 => Error::JwtExpired,
        429 => Error::RateLimited {
            retry_after: retry_after(response.headers()),
        },
        _ => Error::UnexpectedStatus {
            status,
            errors,
            body: BodyExcerpt::new(body),
            retry_after: retry_after(response.headers()),
        },
    })
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    crate::error::find_ignore_case(haystack, needle).is_some()
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

// Matched in place: lowercasing a copy would cost an allocation on every response.
fn is_json(content_type: &str) -> bool {
    contains_ignore_case(content_type.as_bytes(), b"json")
}

fn is_xml(content_type: &str) -> bool {
    contains_ignore_case(content_type.as_bytes(), b"xml")
}

/// Decodes a 2xx JSON body with `parse`. A missing `Content-Type` is tried as JSON (mocks
/// and proxies drop it); any other non-JSON type is [`Error::NotJson`].
fn decode_json<T, B: AsRef<[u8]>>(
    response: &Response<B>,
    parse: fn(&[u8]) -> Result<T, decode::Failure>,
) -> Result<T, Error> {
    let (status, body) = (response.status(), response.body().as_ref());
    check_json(status, response.headers(), body)?;
    parse(body).map_err(|failure| decode_error(status, failure, body))
}

// `decode_json`'s parts that do not depend on `T`, apart: one copy in a module, not one per
// decoded type.
fn check_json(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
    let Some(ct) = content_type(headers) else {
        return Ok(());
    };
    if is_json(ct) {
        return Ok(());
    }
    let message = if is_xml(ct) {
        xml_errors(body).into_iter().next().map(|e| e.message)
    } else {
        None
    };
    Err(Error::NotJson {
        status,
        content_type: server_text(ct, 64),
        message,
    })
}

fn decode_error(status: StatusCode, (path, message): decode::Failure, body: &[u8]) -> Error {
    Error::Decode {
        status,
        path,
        message: server_text(&message, MAX_EXCERPT),
        body: BodyExcerpt::new(body),
    }
}

/// Text from the server as an error keeps it: at most `max` bytes, tokens and JWTs masked.
fn server_text(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // `get`, not indexing: no str-slicing panic path (see redact_tokens).
    crate::error::redact_tokens(text.get(..end).unwrap_or_default())
}

/// `Retry-After` as delta-seconds, or as an HTTP date measured against the response's own
/// `Date` header (the core has no wall clock, and the server's two clocks agree).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    // HTTP's optional whitespace is ASCII (space, tab).
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim_ascii();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    retry_at_date(value, headers)
}

#[cfg(feature = "http-date")]
fn retry_at_date(value: &str, headers: &HeaderMap) -> Option<Duration> {
    use std::time::SystemTime;
    let at: SystemTime = httpdate::parse_http_date(value).ok()?;
    let now: SystemTime = httpdate::parse_http_date(headers.get(DATE)?.to_str().ok()?).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(not(feature = "http-date"))]
fn retry_at_date(_value: &str, _headers: &HeaderMap) -> Option<Duration> {
    None
}

/// Reads plex.tv's error entries from a JSON (`errors[]` or `error`) or XML body.
fn api_errors(headers: &HeaderMap, body: &[u8]) -> Vec<ApiError> {
    let xml = match content_type(headers) {
        Some(ct) => is_xml(ct),
        None => body.trim_ascii_start().starts_with(b"<"),
    };
    if xml {
        return xml_errors(body);
    }
    let Some(parsed) = decode::error_body(body) else {
        return Vec::new();
    };
    let mut errors: Vec<ApiError> = parsed
        .errors
        .into_iter()
        .take(MAX_API_ERRORS)
        .map(|e| ApiError {
            code: e.code,
            message: server_text(&e.message.unwrap_or_default(), MAX_EXCERPT),
            status: e.status,
        })
        .collect();
    if let (true, Some(message)) = (errors.is_empty(), parsed.error) {
        errors.push(ApiError {
            code: None,
            message: server_text(&message, MAX_EXCERPT),
            status: None,
        });
    }
    errors
}

/// Without the `xml` feature, XML bodies carry no readable entries.
#[cfg(not(feature = "xml"))]
fn xml_errors(_body: &[u8]) -> Vec<ApiError> {
    Vec::new()
}

/// Reads `<error code=".." message=".." status=".."/>` and `<error>text</error>` elements.
#[cfg(feature = "xml")]
fn xml_errors(body: &[u8]) -> Vec<ApiError> {
    use quick_xml::events::Event;

    let text = crate::utf8::lossy(body);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut errors = Vec::new();
    let mut open: Option<ApiError> = None;
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) if e.local_name().into_inner() == "error" => {
                let mut error = ApiError {
                    code: None,
                    message: String::new(),
                    status: None,
                };
                for attr in e.attributes().flatten() {
                    let Ok(value) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    else {
                        continue;
                    };
                    match attr.key.local_name().into_inner() {
                        "code" => error.code = value.trim().parse().ok(),
                        "status" => error.status = value.trim().parse().ok(),
                        "message" => error.message = server_text(&value, MAX_EXCERPT),
                        _ => {}
                    }
                }
                errors.extend(open.take());
                if matches!(event, Event::Start(_)) {
                    open = Some(error);
                } else {
                    errors.push(error);
                }
            }
            Event::Text(t) => {
                if let Some(error) = open.as_mut() {
                    if error.message.len() < MAX_EXCERPT {
                        let chunk = t.into_inner();
                        error.message.push_str(chunk.trim());
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let Some(error) = open.as_mut() {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        _ => quick_xml::escape::resolve_predefined_entity(&r.into_inner())
                            .and_then(|s| s.chars().next()),
                    };
                    if let Some(c) = resolved {
                        error.message.push(c);
                    }
                }
            }
            Event::End(e) if e.local_name().into_inner() == "error" => {
                if let Some(done) = open.take() {
                    errors.push(done);
                }
            }
            _ => {}
        }
        if errors.len() >= MAX_API_ERRORS {
            break;
        }
    }
    errors.extend(open);
    errors.truncate(MAX_API_ERRORS);
    for error in &mut errors {
        error.message = server_text(&error.message, MAX_EXCERPT);
    }
    errors
}
