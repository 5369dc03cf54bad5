//! The hostile-server suite (issue #12) over `fetch`, in node: the shared suite's client
//! side (`plex_pin_conformance::hostile`), against `plex-pin-tests`' raw-socket server. The
//! list comes from the server's `/scenarios`, so it is the native suite's.
//!
//! Run by scripts/wasm-tests, which starts `hostile-server` and builds these tests with its
//! URL in `PLEX_PIN_HOSTILE_URL`; without it (the Chromium run, where the server's missing
//! CORS headers would refuse every call) the test says so and passes nothing off as run.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use plex_pin::Config;
use plex_pin_conformance::{Failure, Rig};
use wasm_bindgen_test::wasm_bindgen_test;

/// The wasm client; the hostile server plays plex.tv, so there is no emulator.
struct Fetch;

impl Rig for Fetch {
    type Transport = plex_pin_wasm::Client;

    fn url(&self) -> &str {
        ""
    }

    fn transport(&self, config: Config, timeout: Duration) -> plex_pin_wasm::Client {
        plex_pin_wasm::Client::new(config).with_timeout(timeout)
    }

    fn failure(error: &plex_pin_wasm::Error) -> Failure {
        Failure::of(error.plex(), error.kind())
    }
}

#[wasm_bindgen_test]
async fn fetch_survives_a_hostile_server() {
    let Some(server) = option_env!("PLEX_PIN_HOSTILE_URL") else {
        wasm_bindgen_test::console_log!(
            "PLEX_PIN_HOSTILE_URL unset: the hostile suite runs in node only"
        );
        return;
    };
    plex_pin_conformance::hostile::survives_a_hostile_server(&Fetch, server).await;
}
