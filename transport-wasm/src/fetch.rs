//! The global `fetch` with a timeout, an abort on drop and a capped body; and sleeping on a
//! `setTimeout` promise. Bound to the global scope, so it works in a window, a worker and
//! node alike.

use std::time::Duration;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestInit, RequestRedirect,
};

use crate::Error;
use http::header::{self, HeaderValue};
use plex_pin::TransportErrorKind;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &web_sys::Request) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

fn millis(duration: Duration) -> i32 {
    duration.as_millis().min(i32::MAX as u128) as i32
}

/// Sleeps on a `setTimeout` promise; the timer is cleared if the sleep is dropped (a
/// cancelled login leaves no timer behind).
pub(crate) async fn sleep(duration: Duration) {
    let mut timer = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, millis(duration));
    });
    let _clear = ClearOnDrop(timer);
    let _ = JsFuture::from(promise).await;
}

struct ClearOnDrop(JsValue);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}

/// Aborts the request when dropped: a dropped future leaves nothing running.
struct AbortOnDrop {
    controller: AbortController,
    timer: JsValue,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        // Harmless once the response is complete.
        self.controller.abort();
    }
}

fn js_error(context: &str, error: JsValue) -> Error {
    let name = Reflect::get(&error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    if name == "AbortError" {
        // Only this module's timer aborts: a dropped request is never awaited again.
        return Error::transport(TransportErrorKind::Timeout, "the request timed out");
    }
    // An Error's message, or a thrown string; no `{:?}` of the value (wasm-bindgen's debug
    // formatting of any JS value is a large piece of glue for a rare case).
    let message = Reflect::get(&error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned());
    // fetch rejects a refused connection, a DNS failure and a CORS refusal alike.
    // What the browser allows a page to know: "Failed to fetch", whatever the cause.
    let detail = format!(
        "could not reach the server ({context}: {message}; refused, offline or blocked by CORS)"
    );
    Error::transport(TransportErrorKind::Connect, detail)
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

/// Sends one request and reads at most `limit` body bytes, all within `timeout`.
pub(crate) async fn send(
    request: plex_pin::Request,
    timeout: Duration,
    limit: usize,
) -> Result<http::Response<Vec<u8>>, Error> {
    let unavailable = |e| js_error("fetch setup failed", e);
    let controller = AbortController::new().map_err(unavailable)?;
    let abort: Function = Reflect::get(&controller, &"abort".into())
        .map_err(unavailable)?
        .unchecked_into::<Function>()
        .bind0(&controller);
    let guard = AbortOnDrop {
        timer: set_timeout(&abort, millis(timeout)),
        controller: controller.clone(),
    };

    let headers = Headers::new().map_err(unavailable)?;
    for (name, value) in request.headers() {
        headers
            .append(name.as_str(), &byte_string(value.as_bytes()))
            .map_err(unavailable)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method().as_str());
    init.set_headers(&headers);
    init.set_signal(Some(&controller.signal()));
    // Never follow a redirect: a 3xx comes back opaque and is refused below.
    init.set_redirect(RequestRedirect::Manual);
    if !request.body().is_empty() {
        init.set_body(&Uint8Array::from(request.body().as_slice()));
    }
    let url = url(request.uri());
    let js_request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(unavailable)?;
    let response: web_sys::Response = JsFuture::from(global_fetch(&js_request))
        .await
        .map_err(|e| js_error("fetch failed", e))?
        .unchecked_into();
    if response.type_() == web_sys::ResponseType::Opaqueredirect {
        return Err(Error::transport(
            TransportErrorKind::Redirect,
            "the server answered with a redirect, which is not followed",
        ));
    }

    let status = http::StatusCode::from_u16(response.status()).map_err(|_| {
        Error::transport(
            TransportErrorKind::Other,
            "the server answered with an unusable status",
        )
    })?;
    // Built in place: http's Response builder costs 2.5 KB gzipped of the .wasm.
    let mut out = http::Response::new(Vec::new());
    *out.status_mut() = status;
    let response_headers = response.headers();
    // The core reads only these. Constant names keep http's header-name parser out.
    for name in [header::CONTENT_TYPE, header::RETRY_AFTER, header::DATE] {
        if let Ok(Some(value)) = response_headers.get(name.as_str()) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                out.headers_mut().insert(name, value);
            }
        }
    }
    let declared = response_headers
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    let body = read_capped(&response, limit).await?;
    drop(guard);
    *out.body_mut() = body;
    Ok(out)
}

/// Reads the body chunk by chunk, cancelling the stream as soon as it passes `limit`.
async fn read_capped(response: &web_sys::Response, limit: usize) -> Result<Vec<u8>, Error> {
    let Some(stream) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| js_error("reading the body failed", e))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(body);
        }
        let bytes: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(|e| js_error("reading the body failed", e))?
            .unchecked_into();
        let len = bytes.length() as usize;
        if body.len() + len > limit {
            let _ = reader.cancel();
            return Err(too_large(limit));
        }
        let start = body.len();
        body.resize(start + len, 0);
        bytes.copy_to(&mut body[start..]);
    }
}

fn too_large(limit: usize) -> Error {
    Error::transport(
        TransportErrorKind::BodyTooLarge,
        format!("the response body is larger than the {limit}-byte limit"),
    )
}
