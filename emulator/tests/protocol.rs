//! The emulator behaves as `plex_pin::protocol` says plex.tv does.

mod common;

use std::time::Duration;

use common::{send, CONTROL, JSON_CLIENT};
use plex_pin_emulator::{Emulator, Fault, FaultRule, Options, Route};
use serde_json::json;

#[test]
fn codes_lifetimes_and_countdown() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let strong = send(
        emulator.url(),
        "POST",
        "/api/v2/pins?strong=true",
        JSON_CLIENT,
        "",
    )
    .json();
    let code = strong["code"].as_str().unwrap();
    assert_eq!(code.len(), 25);
    assert!(code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(strong["expiresIn"], 1800);
    assert!(strong["authToken"].is_null());
    let link = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let code = link["code"].as_str().unwrap();
    assert_eq!(code.len(), 4);
    assert_eq!(code, code.to_uppercase());
    assert_eq!(link["expiresIn"], 900);
    std::thread::sleep(Duration::from_millis(1100));
    let polled = send(
        emulator.url(),
        "GET",
        &format!("/api/v2/pins/{}", link["id"]),
        JSON_CLIENT,
        "",
    )
    .json();
    assert!(polled["expiresIn"].as_u64().unwrap() < 900, "counts down");
}

#[test]
fn required_headers_and_client_identifier_binding() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let missing_id = send(
        emulator.url(),
        "POST",
        "/api/v2/pins",
        &[("Accept", "application/json"), ("X-Plex-Product", "P")],
        "",
    );
    assert_eq!(missing_id.status, 400);
    assert_eq!(missing_id.json()["errors"][0]["code"], 1000);
    let missing_product = send(
        emulator.url(),
        "POST",
        "/api/v2/pins",
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "c"),
        ],
        "",
    );
    // Lenient where plex.tv's behaviour is unconfirmed: served, with a warning on record.
    assert_eq!(missing_product.status, 201);
    let stats = emulator.stats();
    let warned = stats.on_route("create_pin").last().unwrap();
    assert!(
        warned.warnings[0].starts_with("plex.tv may refuse this"),
        "{warned:?}"
    );
    assert_eq!(stats.warnings.values().sum::<u64>(), 1);

    let pin = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let path = format!("/api/v2/pins/{}", pin["id"]);
    let other = send(
        emulator.url(),
        "GET",
        &path,
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "someone-else"),
            ("X-Plex-Product", "P"),
        ],
        "",
    );
    assert_eq!(other.status, 404);
    assert_eq!(other.json()["errors"][0]["code"], 1020);
    let no_product = send(
        emulator.url(),
        "GET",
        &path,
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "emulator-test"),
        ],
        "",
    );
    assert_eq!(no_product.status, 200, "served, as @lukehagar/plexjs needs");
    assert_eq!(emulator.stats().warnings.values().sum::<u64>(), 2);

    // --strict enforces the stricter reading, with plex.tv's error shape.
    let strict = Emulator::start(Options::default().strict(true)).unwrap();
    let refused = send(
        strict.url(),
        "POST",
        "/api/v2/pins",
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "c"),
        ],
        "",
    );
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["errors"][0]["code"],
        1002,
        "not 1000: the identifier is there"
    );
    let pin = send(strict.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let refused = send(
        strict.url(),
        "GET",
        &format!("/api/v2/pins/{}", pin["id"]),
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "emulator-test"),
        ],
        "",
    );
    assert_eq!(refused.status, 404);
    assert_eq!(
        refused.json()["errors"][0]["code"],
        1020,
        "an error body, not a bare 404"
    );
    let unknown = send(emulator.url(), "GET", "/api/v2/pins/12345", JSON_CLIENT, "");
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()["errors"][0]["message"],
        "Code not found or expired"
    );
}

#[test]
fn xml_unless_json_is_asked_for() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let headers = [("X-Plex-Client-Identifier", "c"), ("X-Plex-Product", "P")];
    let xml = send(emulator.url(), "POST", "/api/v2/pins", &headers, "");
    assert_eq!(xml.status, 201);
    assert!(xml
        .header("content-type")
        .unwrap()
        .starts_with("application/xml"));
    assert!(
        xml.body.contains("<pin ") && xml.body.contains("code=\""),
        "{}",
        xml.body
    );
    assert!(
        !xml.body.contains("authToken"),
        "nulls are left out: {}",
        xml.body
    );
    let json = send(emulator.url(), "POST", "/api/v2/pins.json", &headers, "");
    assert!(json
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[test]
fn expired_pins_answer_404_and_are_forgotten() {
    let emulator =
        Emulator::start(Options::default().pin_lifetime(Duration::from_millis(300))).unwrap();
    let pin = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    std::thread::sleep(Duration::from_millis(400));
    let polled = send(
        emulator.url(),
        "GET",
        &format!("/api/v2/pins/{}", pin["id"]),
        JSON_CLIENT,
        "",
    );
    assert_eq!(polled.status, 404);
    assert_eq!(emulator.stats().live_pins, 0);
}

#[test]
fn cors_preflight_and_headers() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let preflight = send(
        emulator.url(),
        "OPTIONS",
        "/api/v2/pins",
        &[
            ("Origin", "http://127.0.0.1:9999"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "accept, x-plex-client-identifier, x-plex-product",
            ),
        ],
        "",
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(preflight
        .header("access-control-allow-headers")
        .unwrap()
        .contains("x-plex-client-identifier"));
    assert!(preflight
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let created = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "");
    assert_eq!(created.header("access-control-allow-origin"), Some("*"));
    assert_eq!(emulator.stats().count("preflight"), 1);
}

#[test]
fn approval_pages_and_controls() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let auth = send(emulator.url(), "GET", "/auth", &[], "");
    assert_eq!(auth.status, 200);
    assert!(auth.body.contains("id=\"approve\"") && auth.body.contains("id=\"deny\""));
    let link = send(emulator.url(), "GET", "/link?pin=AB%3Cx", &[], "");
    assert!(link.body.contains("value=\"AB&lt;x\""), "escaped prefill");

    let strong = send(
        emulator.url(),
        "POST",
        "/api/v2/pins?strong=true",
        JSON_CLIENT,
        "",
    )
    .json();
    let body = json!({"code": strong["code"], "link": "1"}).to_string();
    let refused = send(emulator.url(), "POST", "/emulator/approve", CONTROL, &body);
    assert_eq!(refused.status, 400, "plex.tv/link refuses strong codes");
    let body = json!({"code": strong["code"]}).to_string();
    let approved = send(emulator.url(), "POST", "/emulator/approve", CONTROL, &body);
    assert_eq!(approved.status, 200);
    let polled = send(
        emulator.url(),
        "GET",
        &format!("/api/v2/pins/{}", strong["id"]),
        JSON_CLIENT,
        "",
    )
    .json();
    let token = polled["authToken"].as_str().unwrap();
    let user = send(
        emulator.url(),
        "GET",
        "/api/v2/user",
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "c"),
            ("X-Plex-Token", token),
        ],
        "",
    );
    assert_eq!(user.status, 200);
    assert_eq!(user.json()["username"], "emulated-user");
    assert_eq!(
        emulator
            .stats()
            .on_route("user")
            .next()
            .unwrap()
            .header("x-plex-token"),
        Some("***")
    );

    let pin = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let denied = send(
        emulator.url(),
        "POST",
        "/emulator/deny",
        CONTROL,
        &json!({"id": pin["id"]}).to_string(),
    );
    assert_eq!(denied.status, 200);
    let polled = send(
        emulator.url(),
        "GET",
        &format!("/api/v2/pins/{}", pin["id"]),
        JSON_CLIENT,
        "",
    );
    assert_eq!(polled.status, 404);
}

#[test]
fn auto_approve_after_a_delay() {
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(200))).unwrap();
    let pin = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let path = format!("/api/v2/pins/{}", pin["id"]);
    assert!(send(emulator.url(), "GET", &path, JSON_CLIENT, "").json()["authToken"].is_null());
    std::thread::sleep(Duration::from_millis(250));
    assert!(send(emulator.url(), "GET", &path, JSON_CLIENT, "").json()["authToken"].is_string());
}

#[test]
fn faults_fire_per_route_per_pin_and_count_down() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let pin = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let id = pin["id"].as_u64().unwrap();
    emulator.inject(
        FaultRule::always(Fault::RateLimited {
            retry_after: Some(3),
        })
        .for_pin(id)
        .times(1),
    );
    emulator.inject(
        FaultRule::always(Fault::BadGatewayHtml)
            .on(Route::CreatePin)
            .times(1),
    );
    let path = format!("/api/v2/pins/{id}");
    let limited = send(emulator.url(), "GET", &path, JSON_CLIENT, "");
    assert_eq!(
        (limited.status, limited.header("retry-after")),
        (429, Some("3"))
    );
    assert_eq!(
        send(emulator.url(), "GET", &path, JSON_CLIENT, "").status,
        200,
        "used up"
    );
    let created = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "");
    assert_eq!(created.status, 502);
    assert!(created
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").status,
        201
    );

    emulator.inject(
        FaultRule::always(Fault::Oversized)
            .on(Route::CreatePin)
            .times(1),
    );
    // The real answer, padded past the cap: still a valid pin.
    let big = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "");
    assert_eq!(big.status, 201);
    assert!(big.body.len() > plex_pin_emulator::OVERSIZED_BODY);
    assert_eq!(big.json()["code"].as_str().map(str::len), Some(4));
    // The real answer cut short, in the negotiated format.
    emulator.inject(FaultRule::always(Fault::MalformedJson).times(2));
    let bad = send(emulator.url(), "GET", &path, JSON_CLIENT, "");
    assert_eq!(bad.status, 200);
    assert!(
        bad.body.starts_with('{') && bad.body.contains("\"code\""),
        "{}",
        bad.body
    );
    assert!(serde_json::from_str::<serde_json::Value>(&bad.body).is_err());
    let bad_xml = send(emulator.url(), "GET", &path, &JSON_CLIENT[1..], "");
    assert!(bad_xml.body.starts_with("<?xml"), "{}", bad_xml.body);
    // A 500 in plex.tv's error shape.
    emulator.inject(FaultRule::always(Fault::ServerError).times(1));
    let failed = send(emulator.url(), "GET", &path, JSON_CLIENT, "");
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json()["errors"][0]["status"], 500);
}

/// Issue #12 item 19: a web page cannot drive the emulator. Control routes take POST with
/// a JSON body (which needs a CORS preflight cross-origin), the preflight is granted to
/// loopback origins only, and a foreign Host is refused.
#[test]
fn control_routes_cannot_be_driven_by_a_foreign_page() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let pin = send(emulator.url(), "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    let id = pin["id"].to_string();
    let by_get = send(
        emulator.url(),
        "GET",
        &format!("/emulator/approve?id={id}"),
        &[],
        "",
    );
    assert_eq!(by_get.status, 405);
    let form = send(
        emulator.url(),
        "POST",
        "/emulator/approve",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("id={id}"),
    );
    assert_eq!(
        form.status, 415,
        "a simple (preflight-free) request is refused"
    );
    let evil = send(
        emulator.url(),
        "OPTIONS",
        "/emulator/approve",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        "",
    );
    assert!(evil.header("access-control-allow-origin").is_none());
    let local = send(
        emulator.url(),
        "OPTIONS",
        "/emulator/approve",
        &[
            ("Origin", "http://127.0.0.1:8000"),
            ("Access-Control-Request-Method", "POST"),
        ],
        "",
    );
    assert_eq!(
        local.header("access-control-allow-origin"),
        Some("http://127.0.0.1:8000")
    );
    let rebound = send(
        emulator.url(),
        "POST",
        "/emulator/approve",
        &[
            ("Content-Type", "application/json"),
            ("Host", "evil.example"),
        ],
        &json!({"id": pin["id"]}).to_string(),
    );
    assert_eq!(rebound.status, 403);
    let polled = send(
        emulator.url(),
        "GET",
        &format!("/api/v2/pins/{id}"),
        JSON_CLIENT,
        "",
    )
    .json();
    assert!(
        polled["authToken"].is_null(),
        "nothing above approved the pin"
    );
    let approved = send(
        emulator.url(),
        "POST",
        "/emulator/approve",
        CONTROL,
        &json!({"id": pin["id"]}).to_string(),
    );
    assert_eq!(approved.status, 200);
    // The read-only stats still answer a plain GET (the index page links them).
    assert_eq!(
        send(emulator.url(), "GET", "/emulator/stats", &[], "").status,
        200
    );
}

/// Issue #12 item 18: the request log keeps bounded copies, whatever a client sends.
#[test]
fn the_request_log_is_bounded() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let huge = "x".repeat(16 * 1024);
    let mut headers: Vec<(String, String)> = (0..40)
        .map(|i| (format!("x-junk-{i}"), "y".repeat(8 * 1024)))
        .collect();
    headers.push(("X-Plex-Client-Identifier".into(), huge.clone()));
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    send(
        emulator.url(),
        "GET",
        &format!("/api/v2/user?{huge}"),
        &headers,
        "",
    );
    let stats = emulator.stats();
    let seen = stats.recent.last().unwrap();
    assert!(seen.headers.len() <= plex_pin_emulator::MAX_LOGGED_HEADERS);
    assert!(seen.path.len() <= plex_pin_emulator::MAX_LOGGED_VALUE);
    assert!(seen
        .headers
        .iter()
        .all(|(n, v)| n.len() <= plex_pin_emulator::MAX_LOGGED_VALUE
            && v.len() <= plex_pin_emulator::MAX_LOGGED_VALUE));
}

/// Issue #12 item 16: an absurd --auto-approve is refused (it once made every pin creation
/// panic in its task).
#[test]
fn the_binary_refuses_absurd_durations() {
    for value in ["1.8e19", "-1", "NaN"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_plex-pin-emulator"))
            .arg(format!("--auto-approve={value}"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{value}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--auto-approve"));
    }
}

/// Issue #13: what plex.tv accepts besides headers. X-Plex-* values as query arguments
/// (@ctrl/plex) or form fields (python-plexauth), `strong` as Rails reads it, UTF-8 header
/// values, `.xml` paths, and a token in the query.
#[test]
fn plex_tv_parameter_forms() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let url = emulator.url();
    let by_query = send(
        url,
        "POST",
        "/api/v2/pins?strong=true&X-Plex-Product=Query%20App&X-Plex-Client-Identifier=q-client",
        &[("Accept", "application/json")],
        "",
    );
    assert_eq!(by_query.status, 201, "{}", by_query.body);
    assert_eq!(by_query.json()["clientIdentifier"], "q-client");
    assert_eq!(by_query.json()["product"], "Query App");
    assert_eq!(by_query.json()["code"].as_str().unwrap().len(), 25);

    let by_form = send(
        url,
        "POST",
        "/api/v2/pins.json?strong=true",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "X-Plex-Product=Form+App&X-Plex-Client-Identifier=f-client",
    );
    assert_eq!(by_form.status, 201, "{}", by_form.body);
    assert_eq!(by_form.json()["clientIdentifier"], "f-client");
    let polled = send(
        url,
        "GET",
        &format!("/api/v2/pins/{}.json", by_form.json()["id"]),
        &[
            ("X-Plex-Client-Identifier", "f-client"),
            ("X-Plex-Product", "Form App"),
        ],
        "",
    );
    assert_eq!(polled.status, 200);

    // A header wins over the query.
    let both = send(
        url,
        "POST",
        "/api/v2/pins?X-Plex-Client-Identifier=from-query",
        &[
            ("X-Plex-Client-Identifier", "from-header"),
            ("X-Plex-Product", "P"),
            ("Accept", "application/json"),
        ],
        "",
    );
    assert_eq!(both.json()["clientIdentifier"], "from-header");

    for (strong, len) in [("True", 25), ("1", 25), ("on", 25), ("false", 4), ("0", 4)] {
        let pin = send(
            url,
            "POST",
            &format!("/api/v2/pins?strong={strong}"),
            JSON_CLIENT,
            "",
        )
        .json();
        assert_eq!(pin["code"].as_str().unwrap().len(), len, "strong={strong}");
    }
    let pin = send(
        url,
        "POST",
        "/api/v2/pins",
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "c"),
            ("X-Plex-Product", "P"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "strong=True",
    )
    .json();
    assert_eq!(
        pin["code"].as_str().unwrap().len(),
        25,
        "strong from a form body"
    );

    let utf8 = send(
        url,
        "POST",
        "/api/v2/pins",
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "c"),
            ("X-Plex-Product", "Wohnzimmer 📺"),
        ],
        "",
    );
    assert_eq!(utf8.status, 201, "{}", utf8.body);
    assert_eq!(utf8.json()["product"], "Wohnzimmer 📺");

    let xml = send(url, "POST", "/api/v2/pins.xml", JSON_CLIENT, "");
    assert_eq!(xml.status, 201);
    assert!(
        xml.body.starts_with("<?xml") && xml.body.contains("<pin "),
        "{}",
        xml.body
    );

    let token = emulator.issue_token();
    let user = send(
        url,
        "GET",
        &format!("/api/v2/user?X-Plex-Token={token}&X-Plex-Client-Identifier=c"),
        &[],
        "",
    );
    assert_eq!(user.status, 200, "a token in the query");
    assert!(
        user.body.contains("<subscription ") && user.body.contains("<profile "),
        "{}",
        user.body
    );
    assert!(user.body.contains("scrobbleTypes=\"\""), "{}", user.body);
    let logged = emulator.stats().recent.last().unwrap().path.clone();
    assert!(
        !logged.contains(&token) && logged.contains("X-Plex-Token=***"),
        "{logged}"
    );
    let json = send(
        url,
        "GET",
        "/api/v2/user",
        &[
            ("Accept", "application/json"),
            ("X-Plex-Client-Identifier", "c"),
            ("X-Plex-Token", &token),
        ],
        "",
    )
    .json();
    assert!(json.as_object().unwrap().len() >= 19, "{json}");
    assert_eq!(json["subscription"]["status"], "Inactive");
}
