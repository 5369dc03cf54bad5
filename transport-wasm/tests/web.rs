//! The shared conformance suite (`plex-pin-conformance`) over `fetch`, in node and in
//! headless Chromium, and what only this crate has: the JavaScript API's step protocol.
//!
//! Run by scripts/wasm-tests, which starts one emulator and builds these tests with its URL
//! in `PLEX_PIN_EMULATOR_URL`. The scenarios share that emulator: each uses its own client
//! identifiers and scopes its faults to them, and steers the emulator through its
//! `/emulator/*` control routes.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use js_sys::{Array, Function, Reflect};
use plex_pin::Config;
use plex_pin_conformance::{Failure, Rig};
use plex_pin_wasm::js::JsClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

fn emulator() -> &'static str {
    match option_env!("PLEX_PIN_EMULATOR_URL") {
        Some(url) => url.trim_end_matches('/'),
        None => {
            panic!("build these tests through scripts/wasm-tests, which sets PLEX_PIN_EMULATOR_URL")
        }
    }
}

/// `plex-pin-wasm`'s `Client` against the shared emulator. Memory is the module's linear
/// memory, which only grows: its growth bounds what a call allocated.
struct WasmRig {
    memory_at_reset: std::cell::Cell<usize>,
}

fn wasm_memory_bytes() -> usize {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    buffer.byte_length() as usize
}

impl Rig for WasmRig {
    type Transport = plex_pin_wasm::Client;

    fn url(&self) -> &str {
        emulator()
    }

    fn transport(&self, config: Config, timeout: Duration) -> plex_pin_wasm::Client {
        plex_pin_wasm::Client::new(config).with_timeout(timeout)
    }

    fn failure(error: &plex_pin_wasm::Error) -> Failure {
        Failure::of(error.plex(), error.kind())
    }

    fn reset_memory_peak(&self) {
        self.memory_at_reset.set(wasm_memory_bytes());
    }

    fn memory_peak_growth(&self) -> Option<usize> {
        Some(wasm_memory_bytes().saturating_sub(self.memory_at_reset.get()))
    }
}

fn rig() -> WasmRig {
    WasmRig {
        memory_at_reset: std::cell::Cell::new(0),
    }
}

plex_pin_conformance::scenarios!(wasm_bindgen_test, rig());

/// The JS API's options for a client of the fixture's identifier.
/// A client made as js/api.js makes it: the options' values in its `OPTIONS` order (the
/// order itself is checked by `js::tests`).
fn js_client(extra: &[(&str, JsValue)]) -> Result<JsClient, JsValue> {
    const OPTIONS: [&str; 16] = [
        "product",
        "clientId",
        "version",
        "platform",
        "platformVersion",
        "device",
        "deviceName",
        "model",
        "baseUrl",
        "authAppUrl",
        "linkPageUrl",
        "forwardUrl",
        "requestTimeoutMs",
        "pollIntervalMs",
        "loginTimeoutMs",
        "link",
    ];
    let fields = [
        ("product", JsValue::from("plex-pin JS API test")),
        ("clientId", CLIENT_ID.into()),
        ("baseUrl", emulator().into()),
    ];
    let values = Array::new_with_length(OPTIONS.len() as u32);
    for (key, value) in fields.iter().chain(extra) {
        let at = OPTIONS
            .iter()
            .position(|k| k == key)
            .expect("a known option");
        values.set(at as u32, value.clone());
    }
    JsClient::new(values)
}

/// The fixture pin's client identifier.
const CLIENT_ID: &str = "6f1c2c1e-8a8e-4a4e-9d55-3f3b0f6a9b21";

/// The header values `Task.respond` takes, in js/fetch.js's `READ` order: `Content-Type`,
/// then `Retry-After`.
fn read(values: &[&str]) -> Array {
    values.iter().map(|v| JsValue::from(*v)).collect()
}

fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// The JS API's step protocol (src/task.rs), which js/api.js runs: a task asks for each
/// request with its timeout and body cap, takes the answer or the failure, and ends in a
/// value or a typed error, never a panic. js/api.js over it is tested from the packed npm
/// package (e2e/), in node and in Chromium.
#[wasm_bindgen_test]
fn js_api_tasks_ask_for_io_and_end_in_values() {
    let client = js_client(&[("requestTimeoutMs", 2500.into())]).unwrap();
    let mut task = client.create_pin();
    let send = task.step().unwrap();
    assert_eq!(
        send.get(0),
        "POST",
        "a request first, told apart by its method"
    );
    let url = send.get(1).as_string().unwrap();
    assert!(
        url.starts_with(&format!("{}/api/v2/pins", emulator())),
        "{url}"
    );
    let headers: Array = send.get(2).unchecked_into();
    let headers: Vec<String> = headers.iter().filter_map(|h| h.as_string()).collect();
    let id_at = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("x-plex-client-identifier"))
        .expect("the client identifier is sent");
    assert_eq!(headers[id_at + 1], CLIENT_ID);
    assert_eq!(send.get(4), 2500, "the request timeout");
    assert_eq!(
        send.get(5),
        plex_pin_wasm::DEFAULT_MAX_BODY as f64,
        "the body cap"
    );

    let created = include_bytes!("../../core/tests/fixtures/strong-pin-created.json");
    task.respond(201, &read(&["application/json"]), created.to_vec());
    let done = task.step().unwrap();
    assert_eq!(done.get(0), 0, "then done");
    let pin = done.get(1);
    assert_eq!(field(&pin, "code"), "k2v9q0x7m4t1z8c3b6n5w0r2e");
    assert_eq!(field(&pin, "kind"), "strong");
    assert!(task.step().is_err(), "an ended task refuses another step");

    // A failed request ends a single call with the kind's code and fetch's words.
    for (kind, code) in [
        (0, "NETWORK"),
        (1, "REQUEST_TIMEOUT"),
        (2, "BODY_TOO_LARGE"),
    ] {
        let mut task = client.check_pin(42.0).unwrap();
        assert_eq!(task.step().unwrap().get(0), "GET");
        task.fail(kind, "what fetch.js said".into());
        let error = task.step().unwrap_err();
        assert_eq!(field(&error, "code"), code);
        assert!(field(&error, "message")
            .as_string()
            .unwrap()
            .contains("what fetch.js said"));
    }

    // A rate limit is read from the headers the task was given.
    let mut task = client.check_pin(42.0).unwrap();
    task.step().unwrap();
    let limited = br#"{"errors":[{"code":1003,"message":"slow down","status":429}]}"#;
    task.respond(429, &read(&["application/json", "7"]), limited.to_vec());
    let error = task.step().unwrap_err();
    assert_eq!(field(&error, "code"), "RATE_LIMITED");
    assert_eq!(field(&error, "retryAfter"), 7);

    // A login waits between polls: a step asks for a wait in milliseconds, within the
    // poll interval, after reporting the pin to `onPin`.
    let client = js_client(&[("pollIntervalMs", 200.into())]).unwrap();
    let shown = std::rc::Rc::new(std::cell::Cell::new(false));
    let on_pin = {
        let shown = shown.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| shown.set(true))
    };
    let mut task = client.login(
        Some(on_pin.as_ref().unchecked_ref::<Function>().clone()),
        None,
    );
    task.step().unwrap();
    task.respond(201, &read(&["application/json"]), created.to_vec());
    let mut next = task.step().unwrap();
    assert!(shown.get(), "onPin was called");
    if next.get(0).is_string() {
        // The first poll may come at once; answer it with the pin still waiting.
        task.respond(200, &read(&["application/json"]), created.to_vec());
        next = task.step().unwrap();
    }
    assert_eq!(next.get(0), 1, "a wait");
    let ms = next.get(1).as_f64().unwrap();
    assert!(ms > 0.0 && ms <= 200.0, "{ms}");

    // Bad options are refused up front with a typed error.
    let error = js_client(&[("baseUrl", "http://plex.tv".into())])
        .err()
        .unwrap();
    assert_eq!(field(&error, "code"), "INVALID_OPTIONS");
}
