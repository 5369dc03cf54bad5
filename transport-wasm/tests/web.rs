//! The shared conformance suite (`plex-pin-conformance`) over `fetch`, in node and in
//! headless Chromium, and what only this crate has: the JavaScript API.
//!
//! Run by scripts/wasm-tests, which starts one emulator and builds these tests with its URL
//! in `PLEX_PIN_EMULATOR_URL`. The scenarios share that emulator: each uses its own client
//! identifiers and scopes its faults to them, and steers the emulator through its
//! `/emulator/*` control routes.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use js_sys::{Function, Reflect};
use plex_pin::{ClientId, Config};
use plex_pin_conformance::{Emulator, Failure, Rig};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
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

/// The emulator's control routes, through a client of this crate.
async fn control(route: &str, body: serde_json::Value) -> serde_json::Value {
    let config = Config::builder("control", ClientId::generate())
        .server(emulator())
        .build()
        .unwrap();
    let client = plex_pin_wasm::Client::new(config);
    Emulator::new(&client, emulator())
        .control(route, body)
        .await
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: Function = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &ms.into())
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// The JS API end to end: options object, onPin and onProgress callbacks, the token, and
/// `cancel()` rejecting every running login with code CANCELLED.
#[wasm_bindgen_test]
async fn js_api_login_and_cancel() {
    let options = js_sys::Object::new();
    let client_id = ClientId::generate().to_string();
    for (key, value) in [
        ("product", "plex-pin JS API test"),
        ("clientId", &client_id),
        ("baseUrl", emulator()),
        ("authAppUrl", &format!("{}/auth", emulator())),
    ] {
        Reflect::set(&options, &key.into(), &value.into()).unwrap();
    }
    Reflect::set(&options, &"pollIntervalMs".into(), &100.into()).unwrap();
    let client = plex_pin_wasm::js::JsClient::new(options.clone().into()).unwrap();

    let progress_calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = progress_calls.clone();
    let on_pin = Closure::<dyn FnMut(JsValue)>::new(|pin: JsValue| {
        let url = Reflect::get(&pin, &"url".into())
            .unwrap()
            .as_string()
            .unwrap();
        assert!(url.contains("/auth#?clientID="), "{url}");
        let id = Reflect::get(&pin, &"id".into()).unwrap().as_f64().unwrap();
        // Approve after a few polls, so progress is reported.
        wasm_bindgen_futures::spawn_local(async move {
            sleep(350).await;
            control("approve", serde_json::json!({ "id": id as u64 })).await;
        });
    });
    let on_progress = Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| {
        let left = Reflect::get(&p, &"secondsLeft".into()).unwrap();
        assert!(left.as_f64().unwrap() > 0.0);
        counter.set(counter.get() + 1);
    });
    let token = JsFuture::from(client.login(
        Some(on_pin.as_ref().unchecked_ref::<Function>().clone()),
        Some(on_progress.as_ref().unchecked_ref::<Function>().clone()),
    ))
    .await
    .unwrap();
    assert_eq!(token.as_string().unwrap().len(), 20);
    assert!(progress_calls.get() >= 2, "{}", progress_calls.get());
    let user = JsFuture::from(client.user(token.as_string().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        Reflect::get(&user, &"displayName".into()).unwrap(),
        "Emulated User"
    );

    // cancel() ends every login that nobody approves, at once: both of two.
    let first = client.login(None, None);
    let second = client.login(None, None);
    client.cancel();
    for waiting in [first, second] {
        let error = JsFuture::from(waiting).await.unwrap_err();
        assert_eq!(Reflect::get(&error, &"code".into()).unwrap(), "CANCELLED");
    }

    // Bad options are refused up front with a typed error.
    Reflect::set(&options, &"baseUrl".into(), &"http://plex.tv".into()).unwrap();
    let error = plex_pin_wasm::js::JsClient::new(options.into())
        .err()
        .unwrap();
    assert_eq!(
        Reflect::get(&error, &"code".into()).unwrap(),
        "INVALID_OPTIONS"
    );
}
