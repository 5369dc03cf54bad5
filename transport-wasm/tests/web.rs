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

#[wasm_bindgen(module = "/js/contract.js")]
extern "C" {
    /// The options' names and types, in the order the constructor takes their values.
    #[wasm_bindgen(thread_local_v2)]
    static OPTIONS: Array;
    /// `Task.step()`'s tags.
    #[wasm_bindgen(thread_local_v2)]
    static DONE: JsValue;
    #[wasm_bindgen(thread_local_v2)]
    static WAIT: JsValue;
    #[wasm_bindgen(thread_local_v2)]
    static SEND: JsValue;
}

/// What a task asks for (js/contract.js).
#[derive(Debug)]
enum Next {
    Done(JsValue),
    Wait(f64),
    /// `[method, url, headers, body, timeoutMs, limit]`.
    Send(Array),
}

/// Steps `task` and reads its answer, `[tag, value]`.
fn next(task: &mut plex_pin_wasm::js::Task) -> Next {
    let answer = Array::from(&task.step().unwrap());
    let (tag, value) = (answer.get(0), answer.get(1));
    if tag == DONE.with(JsValue::clone) {
        Next::Done(value)
    } else if tag == WAIT.with(JsValue::clone) {
        Next::Wait(value.as_f64().unwrap())
    } else {
        assert_eq!(tag, SEND.with(JsValue::clone));
        Next::Send(value.unchecked_into())
    }
}

#[wasm_bindgen]
extern "C" {
    /// fetch's `Headers`, which `Task.respond` takes.
    #[wasm_bindgen(js_name = Headers)]
    type FetchHeaders;
    /// Made from `[name, value]` pairs.
    #[wasm_bindgen(constructor, js_class = "Headers")]
    fn new(pairs: &Array) -> FetchHeaders;
}

/// A client made as js/api.js makes it: the options' values in js/contract.js's order.
fn js_client(extra: &[(&str, JsValue)]) -> Result<JsClient, JsValue> {
    let fields = [
        ("product", JsValue::from("plex-pin JS API test")),
        ("clientId", CLIENT_ID.into()),
        ("baseUrl", emulator().into()),
    ];
    let names: Vec<String> = OPTIONS.with(|options| {
        options
            .iter()
            .map(|entry| Array::from(&entry).get(0).as_string().unwrap())
            .collect()
    });
    let values = Array::new_with_length(names.len() as u32);
    for (key, value) in fields.iter().chain(extra) {
        let at = names.iter().position(|k| k == key).expect("a known option");
        values.set(at as u32, value.clone());
    }
    JsClient::new(values)
}

/// The fixture pin's client identifier.
const CLIENT_ID: &str = "6f1c2c1e-8a8e-4a4e-9d55-3f3b0f6a9b21";

/// Response headers as fetch gives them.
fn headers(pairs: &[(&str, &str)]) -> plex_pin_wasm::js::Headers {
    let pairs: Array = pairs
        .iter()
        .map(|(name, value)| Array::of2(&(*name).into(), &(*value).into()))
        .collect();
    FetchHeaders::new(&pairs).unchecked_into()
}

fn json() -> plex_pin_wasm::js::Headers {
    headers(&[("content-type", "application/json")])
}

fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// The JS API's step protocol (src/task.rs, js/contract.js), which js/api.js runs: a task
/// asks for each request with its timeout and body cap, takes the answer or the failure, and
/// ends in a value or a typed error, never a panic. js/api.js over it is tested from the
/// packed npm package (e2e/), in node, Chromium and the other runtimes.
#[wasm_bindgen_test]
fn js_api_tasks_ask_for_io_and_end_in_values() {
    let client = js_client(&[("requestTimeoutMs", 2500.into())]).unwrap();
    let mut task = client.create_pin();
    let Next::Send(send) = next(&mut task) else {
        panic!("a request first")
    };
    assert_eq!(send.get(0), "POST");
    let url = send.get(1).as_string().unwrap();
    assert!(
        url.starts_with(&format!("{}/api/v2/pins", emulator())),
        "{url}"
    );
    // Headers as `[name, value's bytes, …]`.
    let sent: Array = send.get(2).unchecked_into();
    let id_at = (0..sent.length())
        .step_by(2)
        .find(|&at| sent.get(at) == "x-plex-client-identifier")
        .expect("the client identifier is sent");
    let value = js_sys::Uint8Array::from(sent.get(id_at + 1)).to_vec();
    assert_eq!(value, CLIENT_ID.as_bytes());
    assert_eq!(
        send.get(4),
        2501,
        "the request timeout, in whole ms plus one"
    );
    assert_eq!(
        send.get(5),
        plex_pin_wasm::DEFAULT_MAX_BODY as f64,
        "the body cap"
    );

    let created = include_bytes!("../../core/tests/fixtures/strong-pin-created.json");
    task.respond(201, &json(), created.to_vec());
    let Next::Done(pin) = next(&mut task) else {
        panic!("then done")
    };
    assert_eq!(field(&pin, "code"), "k2v9q0x7m4t1z8c3b6n5w0r2e");
    assert_eq!(field(&pin, "kind"), "strong");
    assert!(task.step().is_err(), "an ended task refuses another step");

    // A failed request ends a single call with the kind's code and fetch's words (the
    // kinds' numbers are js/contract.js's FAILURE).
    for (kind, code) in [
        (0, "NETWORK"),
        (1, "REQUEST_TIMEOUT"),
        (2, "BODY_TOO_LARGE"),
        (3, "REDIRECT"),
        (4, "NETWORK"),
    ] {
        let mut task = client.check_pin(42.0).unwrap();
        let Next::Send(send) = next(&mut task) else {
            panic!("a request")
        };
        assert_eq!(send.get(0), "GET");
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
    let answer = headers(&[("content-type", "application/json"), ("retry-after", "7")]);
    task.respond(429, &answer, limited.to_vec());
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
    task.respond(201, &json(), created.to_vec());
    let mut then = next(&mut task);
    assert!(shown.get(), "onPin was called");
    if let Next::Send(_) = then {
        // The first poll may come at once; answer it with the pin still waiting.
        task.respond(200, &json(), created.to_vec());
        then = next(&mut task);
    }
    let Next::Wait(ms) = then else {
        panic!("a wait: {then:?}")
    };
    assert!(ms > 0.0 && ms <= 201.0, "{ms}");

    // Bad options are refused up front with a typed error: plain http to a server that is
    // not loopback, and a poll interval under the core's floor.
    let error = js_client(&[("baseUrl", "http://plex.tv".into())])
        .err()
        .unwrap();
    assert_eq!(field(&error, "code"), "INVALID_OPTIONS");
    let floor = plex_pin::limits::MIN_POLL_INTERVAL.as_millis() as f64;
    let error = js_client(&[("pollIntervalMs", (floor - 1.0).into())])
        .err()
        .unwrap();
    assert_eq!(field(&error, "code"), "INVALID_OPTIONS");
    let message = field(&error, "message").as_string().unwrap();
    assert!(
        message.contains("pollIntervalMs") && message.contains(&format!("{floor}")),
        "{message}"
    );
    assert!(js_client(&[("pollIntervalMs", floor.into())]).is_ok());
}

/// Waits `ms` milliseconds on a JS timer.
async fn sleep(ms: f64) {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        let global: js_sys::Object = js_sys::global();
        let set_timeout: Function = Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout
            .call2(&JsValue::NULL, &resolve, &ms.into())
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(timer).await.unwrap();
}

/// `onProgress` reports failures in a row as the core counts them: 1, 2, … while the pin
/// cannot be created, once each: a timer that fires early, and the core asking for the rest
/// of the same wait, is not reported again.
#[wasm_bindgen_test]
async fn progress_counts_failures_in_a_row() {
    let client = js_client(&[("pollIntervalMs", 50.into())]).unwrap();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let on_progress = {
        let seen = seen.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| {
            seen.borrow_mut()
                .push(field(&p, "failures").as_f64().unwrap() as u32)
        })
    };
    let mut task = client.login(
        None,
        Some(on_progress.as_ref().unchecked_ref::<Function>().clone()),
    );
    for _ in 0..3 {
        assert!(matches!(next(&mut task), Next::Send(_)), "a create");
        task.fail(0, "refused".into());
        // A wait before the retry; stepped again at once, as a timer that fired early.
        let Next::Wait(ms) = next(&mut task) else {
            panic!("a wait")
        };
        let again = next(&mut task);
        assert!(
            matches!(again, Next::Wait(_)),
            "the rest of the same wait: {again:?}"
        );
        sleep(ms).await;
    }
    assert_eq!(*seen.borrow(), [1, 2, 3]);
}
