//! How a request and its answer cross to JavaScript, whose `js/fetch.js` sends every request
//! of this crate: the Rust API's ([`crate::Client`], through `fetch.rs`) and the JS API's
//! (`task.rs`, run by `js/api.js`). One fetch, with its timeout, redirect refusal and body
//! cap, tested by the conformance suite and used by both.

use std::time::Duration;

use http::header::{self, HeaderValue};
use js_sys::{Array, Uint8Array};
use plex_pin::TransportErrorKind;
use wasm_bindgen::prelude::*;

use crate::Error;

/// `Date.now()` in whole seconds: the Unix time of every [`plex_pin::drive::Clock`] here.
pub(crate) fn unix_now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Milliseconds for `setTimeout`, which takes at most 2³¹ − 1 (a longer wait fires at once).
pub(crate) fn millis(duration: Duration) -> f64 {
    duration.as_millis().min(i32::MAX as u128) as f64
}

/// A header value as fetch wants it: a ByteString, one char per byte, so UTF-8 device names
/// go out as their UTF-8 bytes.
fn byte_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The URI as text, from its parts: `Uri`'s `Display` slices str by index, which would
/// bring str slicing's panic messages into the .wasm.
fn url(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map_or("", |a| a.as_str());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    [scheme, "://", authority, path].concat()
}

/// `request` as js/fetch.js's `send` takes it: `[method, url, headers, body, timeoutMs,
/// limit]`, `headers` as `[name, value, …]`, `body` a `Uint8Array` or `undefined`, `limit`
/// the most body bytes to read.
pub(crate) fn request(request: &plex_pin::Request, timeout: Duration, limit: usize) -> Array {
    let headers = Array::new();
    for (name, value) in request.headers() {
        headers.push(&name.as_str().into());
        headers.push(&byte_string(value.as_bytes()).into());
    }
    let body = request.body();
    let body = if body.is_empty() {
        JsValue::UNDEFINED
    } else {
        Uint8Array::from(body.as_slice()).into()
    };
    let out = Array::of5(
        &request.method().as_str().into(),
        &url(request.uri()).into(),
        &headers,
        &body,
        &millis(timeout).into(),
    );
    out.push(&(limit as f64).into());
    out
}

/// The response the core reads, from what fetch gave: the status, the headers as
/// "name: value" lines, the body (capped by js/fetch.js).
pub(crate) fn response(
    status: u16,
    headers: &str,
    body: Vec<u8>,
) -> Result<http::Response<Vec<u8>>, Error> {
    let status = http::StatusCode::from_u16(status).map_err(|_| {
        Error::transport(
            TransportErrorKind::Other,
            "the server answered with an unusable status",
        )
    })?;
    // Built in place: http's Response builder costs 2.5 KB gzipped of the .wasm.
    let mut out = http::Response::new(body);
    *out.status_mut() = status;
    // The core reads only these. Constant names keep http's header-name parser out, and a
    // char (not a str) pattern str's two-way searcher.
    for name in [header::CONTENT_TYPE, header::RETRY_AFTER, header::DATE] {
        let value = headers
            .split('\n')
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.eq_ignore_ascii_case(name.as_str()))
            .and_then(|(_, value)| HeaderValue::from_str(value.trim_ascii_start()).ok());
        if let Some(value) = value {
            out.headers_mut().insert(name, value);
        }
    }
    Ok(out)
}

/// A failure js/fetch.js reported: its `kind` number (fetch.js's constants) and message.
pub(crate) fn failure(kind: u8, detail: String) -> Error {
    let kind = match kind {
        0 => TransportErrorKind::Connect,
        1 => TransportErrorKind::Timeout,
        2 => TransportErrorKind::BodyTooLarge,
        3 => TransportErrorKind::Redirect,
        _ => TransportErrorKind::Other,
    };
    Error::transport(kind, detail)
}
