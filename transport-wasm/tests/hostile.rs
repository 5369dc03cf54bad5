//! The hostile-server suite (issue #12) over `fetch`, in node: every scenario of
//! `plex-pin-tests`' raw-socket server ends in a token or a typed error within the login's
//! deadline. The list comes from the server's `/scenarios`, so it is the native suite's.
//!
//! Run by scripts/wasm-tests, which starts `hostile-server` and builds these tests with its
//! URL in `PLEX_PIN_HOSTILE_URL`; without it (the Chromium run, where the server's missing
//! CORS headers would refuse every call) the test says so and passes nothing off as run.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use js_sys::{Array, Reflect};
use plex_pin::{ClientId, Config, LoginOptions, Token};
use plex_pin_wasm::{Client, Error};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_time::Instant;

/// The same bounds as the native suite (tests/src/hostile.rs).
const DEADLINE: Duration = Duration::from_secs(2);
const MARGIN: Duration = Duration::from_millis(1500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const TOKEN: &str = "hostile-approved-token";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &str) -> js_sys::Promise;
}

fn text(value: &JsValue, key: &str) -> String {
    Reflect::get(value, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn client(base_url: &str) -> Client {
    let config = Config::builder(
        "plex-pin hostile suite",
        ClientId::new("hostile-client").unwrap(),
    )
    .base_url(base_url)
    .build()
    .unwrap();
    Client::new(config).with_timeout(REQUEST_TIMEOUT)
}

async fn scenario(server: &str, name: &str, kind: &str, expect_token: bool) -> Result<(), String> {
    let client = client(&format!("{server}/{name}"));
    let start = Instant::now();
    let (ended, shown) = if kind == "token-check" {
        let secret = "hostile-secret-token-0123456789";
        let outcome = client.user(&Token::new(secret).unwrap()).await;
        let shown = match &outcome {
            Err(e) => format!("{e} {e:?}"),
            Ok(user) => format!("{user:?}"),
        };
        if shown.contains(&secret[..12]) {
            return Err(format!("{name}: the token reached the error: {shown}"));
        }
        (matches!(outcome, Err(Error::Plex(_))), shown)
    } else {
        let options = LoginOptions::default()
            .with_poll_interval(Duration::from_millis(50))
            .with_max_consecutive_failures(3)
            .with_timeout(DEADLINE);
        let outcome = client.login(options, |_, _| {}).await;
        let ended = match &outcome {
            Ok(token) => expect_token && token.expose_secret() == TOKEN,
            Err(Error::Plex(plex_pin::Error::OutOfOrder(_))) => false,
            Err(_) => !expect_token,
        };
        (ended, format!("{outcome:?}"))
    };
    let took = start.elapsed();
    if !ended {
        return Err(format!(
            "{name}: expected a {}, got {shown}",
            if expect_token { "token" } else { "typed error" }
        ));
    }
    if took > DEADLINE + MARGIN {
        return Err(format!(
            "{name}: took {took:?}, past the {DEADLINE:?} deadline ({shown})"
        ));
    }
    Ok(())
}

#[wasm_bindgen_test]
async fn fetch_survives_a_hostile_server() {
    let Some(server) = option_env!("PLEX_PIN_HOSTILE_URL") else {
        wasm_bindgen_test::console_log!(
            "PLEX_PIN_HOSTILE_URL unset: the hostile suite runs in node only"
        );
        return;
    };
    let response: web_sys::Response = JsFuture::from(global_fetch(&format!("{server}/scenarios")))
        .await
        .unwrap()
        .unchecked_into();
    let list: Array = JsFuture::from(response.json().unwrap())
        .await
        .unwrap()
        .unchecked_into();
    assert!(list.length() >= 30, "the server lists its scenarios");
    let mut failures = Vec::new();
    for entry in list.iter() {
        let (name, kind) = (text(&entry, "name"), text(&entry, "kind"));
        let expect_token = text(&entry, "expect") == "token";
        if let Err(failure) = scenario(server, &name, &kind, expect_token).await {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "fetch:\n{}", failures.join("\n"));
}
