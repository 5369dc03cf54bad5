//! The Rust API's IO: each request on js/fetch.js (the global `fetch` with a timeout, no
//! redirects and a capped body, shared with the JS API), aborted if the future is dropped;
//! and sleeping on a `setTimeout` promise. Bound to the global scope, so it works in a
//! window, a worker and node alike.

use std::time::Duration;

use http::HeaderName;
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::wire::{self, Headers};
use crate::{contract, Error};
use plex_pin::TransportErrorKind;

#[wasm_bindgen(module = "/js/fetch.js")]
extern "C" {
    /// Sends js/contract.js's `request`; settles with `[status, headers, body]` or rejects
    /// with a `TransportFailure`.
    #[wasm_bindgen(js_name = send)]
    fn fetch_send(request: &JsValue, signal: &AbortSignal) -> Promise;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Sleeps on a `setTimeout` promise; the timer is cleared if the sleep is dropped (a
/// cancelled login leaves no timer behind).
pub(crate) async fn sleep(duration: Duration) {
    let mut timer = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, wire::millis(duration));
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
struct AbortOnDrop(AbortController);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        // Harmless once the response is complete.
        self.0.abort();
    }
}

/// Sends one request and reads at most `limit` body bytes, all within `timeout`.
pub(crate) async fn send(
    request: plex_pin::Request,
    timeout: Duration,
    limit: usize,
) -> Result<http::Response<Vec<u8>>, Error> {
    let controller = AbortController::new().map_err(|_| {
        Error::transport(
            TransportErrorKind::Other,
            "AbortController is not available",
        )
    })?;
    let guard = AbortOnDrop(controller);
    // The Rust API sends its callers' own headers too, so it names any header; the JS API
    // (the npm package) names only the core's (size rule S6), and this path leaves its module.
    #[allow(
        clippy::disallowed_methods,
        reason = "size rule S6 does not hold for the Rust API: it sends any header"
    )]
    let name = |name: &HeaderName| Some(name.as_str().into());
    let request = wire::request(&request, timeout, limit, name)?;
    let sent = fetch_send(&request, &guard.0.signal());
    match JsFuture::from(sent).await {
        Ok(answer) => {
            let answer: Array = answer.unchecked_into();
            let status = answer.get(0).as_f64().unwrap_or(0.0) as u16;
            let headers: Headers = answer.get(1).unchecked_into();
            let body = answer.get(2).unchecked_into::<Uint8Array>().to_vec();
            wire::response(status, &headers, body)
        }
        Err(error) => {
            let message = Reflect::get(&error, &"message".into()).ok();
            let detail = message.and_then(|m| m.as_string());
            Err(wire::failure(
                contract::failure_of(&error),
                detail.unwrap_or_else(|| "fetch failed".to_owned()),
            ))
        }
    }
}
