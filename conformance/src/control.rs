//! The emulator, steered over its HTTP control routes (`POST /emulator/*` with a JSON
//! body) through the transport under test, so that the same code runs on every target
//! (a wasm test cannot call the emulator's Rust API: the emulator runs outside it).

use std::time::Duration;

use plex_pin::drive::AsyncTransport;
use serde_json::{json, Value};

/// The emulator at `url`, steered through `transport`: what the scenarios' emulated user
/// does (approve, deny, expire), faults to inject, and what the emulator saw.
pub struct Control<'a, T> {
    transport: &'a T,
    url: &'a str,
}

/// One request the emulator saw from a client (tokens masked as `***`).
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The emulator's name for the route (`create_pin`, `check_pin`, `user`, `nonce`…).
    pub route: String,
    /// When, since the emulator started.
    pub at: Duration,
    /// The request's headers, names in lower case.
    pub headers: serde_json::Map<String, Value>,
}

impl Seen {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.as_str()
    }
}

impl<'a, T: AsyncTransport> Control<'a, T> {
    /// The emulator at `url` (no trailing slash), through `transport`.
    pub fn new(transport: &'a T, url: &'a str) -> Self {
        Self { transport, url }
    }

    /// POSTs `body` to a control route and returns the JSON answer.
    pub async fn control(&self, route: &str, body: Value) -> Value {
        let request = http::Request::post(format!("{}/emulator/{route}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap();
        let response = match self.transport.send(request, Duration::from_secs(5)).await {
            Ok(response) => response,
            Err(_) => panic!("the emulator's control route {route} did not answer"),
        };
        let answer = serde_json::from_slice(response.body().as_ref());
        answer.unwrap_or_else(|e| panic!("control route {route} answered no JSON: {e}"))
    }

    /// The user approves pin `id`.
    pub async fn approve(&self, id: u64) {
        let answer = self.control("approve", json!({ "id": id })).await;
        assert_eq!(answer["approved"], true, "pin {id} is live: {answer}");
    }

    /// The user types a 4-character code at the link page and approves it.
    pub async fn approve_code(&self, code: &str) {
        let answer = self.control("approve", json!({ "code": code })).await;
        assert_eq!(answer["approved"], true, "code {code} is live: {answer}");
    }

    /// The user denies pin `id`.
    pub async fn deny(&self, id: u64) {
        self.control("deny", json!({ "id": id })).await;
    }

    /// Pin `id` expires now.
    pub async fn expire(&self, id: u64) {
        self.control("expire", json!({ "id": id })).await;
    }

    /// Injects `fault` (the emulator's `--fault` syntax: `429:1`, `500`, `slow:3000`…) on
    /// `route` (`create`, `check`, …) for `client` only, `times` times (`None`: always).
    pub async fn fault(&self, client: &str, route: &str, fault: &str, times: Option<u32>) {
        let mut body = json!({ "client": client, "route": route, "fault": fault });
        if let Some(times) = times {
            body["times"] = json!(times);
        }
        let answer = self.control("fault", body).await;
        assert!(answer["faults"].is_u64(), "fault accepted: {answer}");
    }

    /// A valid token for the emulated account.
    pub async fn issue_token(&self) -> String {
        let answer = self.control("issue-token", json!({})).await;
        answer["token"].as_str().unwrap().to_owned()
    }

    /// Revokes `token` (the user signs the device out).
    pub async fn revoke(&self, token: &str) {
        self.control("revoke", json!({ "token": token })).await;
    }

    /// The recent requests of `client`, oldest first.
    pub async fn seen(&self, client: &str) -> Vec<Seen> {
        let answer = self.control("stats", json!({ "client": client })).await;
        let requests = answer["requests"].as_array().cloned().unwrap_or_default();
        requests
            .into_iter()
            .map(|r| Seen {
                method: r["method"].as_str().unwrap_or_default().to_owned(),
                path: r["path"].as_str().unwrap_or_default().to_owned(),
                route: r["route"].as_str().unwrap_or_default().to_owned(),
                at: Duration::from_millis(r["atMs"].as_u64().unwrap_or_default()),
                headers: r["headers"].as_object().cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// How many requests `client` made on `route`.
    pub async fn count(&self, client: &str, route: &str) -> usize {
        self.seen(client)
            .await
            .iter()
            .filter(|s| s.route == route)
            .count()
    }
}
