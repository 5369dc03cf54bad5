//! How a request and its answer cross to JavaScript, whose `js/fetch.js` sends every request
//! of this crate: the Rust API's ([`crate::Client`], through `fetch.rs`) and the JS API's
//! (`task.rs`, run by `js/api.js`). One fetch, with its timeout, redirect refusal and body
//! cap, tested by the conformance suite and used by both; its shapes are js/contract.js's.

use std::time::Duration;

use http::header::{self, HeaderName, HeaderValue};
use js_sys::{Array, Uint8Array};
use plex_pin::TransportErrorKind;
use wasm_bindgen::prelude::*;

use crate::{contract, Error};

#[wasm_bindgen]
extern "C" {
    /// A response's headers, as fetch gives them (`Headers`): the module reads the few the
    /// core needs by name.
    pub type Headers;
    #[wasm_bindgen(method)]
    fn get(this: &Headers, name: &str) -> Option<String>;
}

/// `Date.now()` in whole seconds: the Unix time of every [`plex_pin::drive::Clock`] here.
pub(crate) fn unix_now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Milliseconds for `setTimeout`, one more than the whole ones (a timer that fires before the
/// instant the core asked for makes it ask again), at most 2³¹ − 1 (a longer wait fires at
/// once). Through `u32`: converting a `u128` to a float costs the module a 180-byte routine.
pub(crate) fn millis(duration: Duration) -> f64 {
    (duration.as_millis() + 1).min(i32::MAX as u128) as u32 as f64
}

/// The URI as text, from its parts: `Uri`'s `Display` slices str by index (size rule S10).
/// Pushed, not `concat` (S3).
fn url(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map_or("", |a| a.as_str());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut url = String::with_capacity(scheme.len() + 3 + authority.len() + path.len());
    for part in [scheme, "://", authority, path] {
        url.push_str(part);
    }
    url
}

/// `request` as js/fetch.js's `send` takes it (js/contract.js: `[method, url, headers, body,
/// timeoutMs, limit]`), to be sent within `timeout` and read up to `limit` body bytes. Each
/// header value crosses as its bytes, which fetch.js hands to fetch as a ByteString: UTF-8
/// device names go out as their UTF-8 bytes.
///
/// Each header's name is the string `name` makes of it: from `HeaderName::as_str` for any
/// request (the Rust API sends its callers' too), or, where only the core's requests are sent
/// (the JS API), from [`plex_pin::request::header_name`], which keeps http's table of every
/// standard name out of the module (size rule S6). A name it gives none for fails the request.
pub(crate) fn request(
    request: &plex_pin::Request,
    timeout: Duration,
    limit: usize,
    name: impl Fn(&HeaderName) -> Option<JsValue>,
) -> Result<JsValue, Error> {
    let headers = Array::new();
    for (key, value) in request.headers() {
        let Some(key) = name(key) else {
            return Err(Error::transport(
                TransportErrorKind::Other,
                "a request header the JS API's transport cannot name",
            ));
        };
        headers.push(&key);
        headers.push(&Uint8Array::from(value.as_bytes()).into());
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
    Ok(out.into())
}

/// The response headers the core reads, and their names as fetch's `Headers` takes them
/// (`HeaderName::as_str` would bring http's table of standard names into the module).
const READ: [(HeaderName, &str); 3] = [
    (header::CONTENT_TYPE, "content-type"),
    (header::RETRY_AFTER, "retry-after"),
    (header::DATE, "date"),
];

/// The response the core reads, from what fetch gave: the status, the headers the core reads
/// ([`READ`]; fetch's `Headers.get` joins a repeated one with ", "), the body (capped by
/// js/fetch.js).
pub(crate) fn response(
    status: u16,
    headers: &Headers,
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
    for (name, text) in READ {
        let value = headers.get(text);
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            out.headers_mut().append(name, value);
        }
    }
    Ok(out)
}

/// A failure js/fetch.js reported: its kind (js/contract.js's `FAILURE` number) and message.
pub(crate) fn failure(kind: u8, detail: String) -> Error {
    Error::transport(contract::failure_kind(kind), detail)
}

#[cfg(test)]
mod tests {
    use plex_pin::{request, ClientId, Config, PinOptions};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen]
    extern "C" {
        /// fetch's `Headers`, made from `[name, value]` pairs.
        #[wasm_bindgen(constructor, js_class = "Headers")]
        fn new(pairs: &Array) -> Headers;
    }

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let pairs: Array = pairs
            .iter()
            .map(|(name, value)| Array::of2(&(*name).into(), &(*value).into()))
            .collect();
        Headers::new(&pairs)
    }

    /// The core's headers are read from fetch's `Headers` by their names; absent ones stay
    /// absent, others are not read.
    #[wasm_bindgen_test]
    fn response_headers_are_read_by_name() {
        for (name, text) in READ {
            assert_eq!(name.as_str(), text);
        }
        let fetched = headers(&[
            ("Content-Type", "application/json"),
            ("Retry-After", "7"),
            ("Date", "Tue, 01 Dec 2026 00:00:00 GMT"),
            ("Set-Cookie", "a=b"),
        ]);
        let read = response(429, &fetched, Vec::new()).unwrap();
        assert_eq!(read.status(), 429);
        assert_eq!(read.headers()["content-type"], "application/json");
        assert_eq!(read.headers()["retry-after"], "7");
        assert_eq!(read.headers()["date"], "Tue, 01 Dec 2026 00:00:00 GMT");
        assert_eq!(read.headers().len(), 3, "only what the core reads");
        let read = response(200, &headers(&[("retry-after", "3")]), Vec::new()).unwrap();
        assert!(read.headers().get("content-type").is_none());
        assert_eq!(read.headers()["retry-after"], "3");
        assert_eq!(read.headers().len(), 1);
    }

    fn core_names(name: &HeaderName) -> Option<JsValue> {
        request::header_name(name).map(JsValue::from)
    }

    /// The JS API's naming gives the core's requests the same names as `as_str`, and refuses
    /// a request with a header it cannot name rather than sending it without.
    #[wasm_bindgen_test]
    fn the_core_names_its_headers_and_refuses_others() {
        let config = Config::builder("App", ClientId::new("id-1").unwrap())
            .device_name("Desk")
            .build()
            .unwrap();
        let mut create = request::create_pin(&config, &PinOptions::strong());
        let names = |sent: &JsValue| {
            let headers: Array = Array::from(sent).get(2).unchecked_into();
            (0..headers.length())
                .step_by(2)
                .map(|i| headers.get(i).as_string().unwrap())
                .collect::<Vec<_>>()
        };
        let timeout = Duration::from_secs(1);
        let by_core = request(&create, timeout, 10, core_names).unwrap();
        let by_http = request(&create, timeout, 10, |n| Some(n.as_str().into())).unwrap();
        assert_eq!(names(&by_core), names(&by_http));
        assert!(names(&by_core).contains(&"x-plex-device-name".to_owned()));

        create
            .headers_mut()
            .insert(header::COOKIE, HeaderValue::from_static("a=b"));
        let refused = request(&create, timeout, 10, core_names).unwrap_err();
        assert_eq!(refused.kind(), Some(TransportErrorKind::Other));
        assert!(request(&create, timeout, 10, |n| Some(n.as_str().into())).is_ok());
    }
}
