//! The user's pages as a browser must treat them (issue 23, item 9): nothing may frame
//! them, they run only their own scripts, and the Auth App forwards only to http(s).

mod common;

use base64::Engine;
use common::{send, Reply, CONTROL, JSON_CLIENT};
use plex_pin_emulator::{Emulator, Options};
use serde_json::json;
use sha2::Digest;

/// The text of every `<tag>…</tag>` in `html`.
fn inline(html: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    html.split(&open)
        .skip(1)
        .map(|rest| rest.split(&close).next().unwrap().to_owned())
        .collect()
}

fn sha256_source(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The CSP's directives by name.
fn directives(reply: &Reply) -> Vec<(String, Vec<String>)> {
    let policy = reply
        .header("content-security-policy")
        .expect("a Content-Security-Policy");
    policy
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            Some((words.next()?.to_owned(), words.map(str::to_owned).collect()))
        })
        .collect()
}

fn directive<'a>(directives: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    directives
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

fn assert_unframeable(path: &str, reply: &Reply) {
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{path}");
    let directives = directives(reply);
    assert_eq!(
        directive(&directives, "frame-ancestors"),
        Some(&["'none'".to_owned()][..]),
        "{path}"
    );
    assert_eq!(
        directive(&directives, "default-src"),
        Some(&["'none'".to_owned()][..]),
        "{path}"
    );
}

/// Every page (and every other answer) forbids framing; the HTML pages allow exactly
/// their own inline scripts and styles, by hash, and nothing inline besides.
#[test]
fn every_page_refuses_framing_and_runs_only_its_own_scripts() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let url = emulator.url();
    let pin = send(url, "POST", "/api/v2/pins", JSON_CLIENT, "").json();
    for path in ["/", "/auth", "/link?pin=AB%3Cx", "/link"] {
        let page = send(url, "GET", path, &[], "");
        assert_eq!(page.status, 200, "{path}");
        assert_unframeable(path, &page);
        let directives = directives(&page);
        let scripts = directive(&directives, "script-src").unwrap_or_default();
        let styles = directive(&directives, "style-src").unwrap_or_default();
        for allowed in [scripts, styles] {
            assert!(
                allowed.iter().all(|s| s.starts_with("'sha256-")),
                "{path}: only hashes, no 'unsafe-inline': {allowed:?}"
            );
        }
        for script in inline(&page.body, "script") {
            assert!(
                scripts.contains(&sha256_source(&script)),
                "{path}: a script not allowed"
            );
        }
        for style in inline(&page.body, "style") {
            assert!(
                styles.contains(&sha256_source(&style)),
                "{path}: a style not allowed"
            );
        }
        assert!(
            !page.body.contains(" onclick="),
            "{path}: inline handlers cannot run"
        );
    }
    // The auth page has a script and the link page one too: both are allowed.
    assert_eq!(
        inline(&send(url, "GET", "/auth", &[], "").body, "script").len(),
        1
    );

    // The QR image, the API and the control routes: framed by nothing either.
    let qr = format!("/api/v2/pins/qr/{}", pin["code"].as_str().unwrap());
    assert_unframeable(&qr, &send(url, "GET", &qr, &[], ""));
    assert_unframeable("pins", &send(url, "POST", "/api/v2/pins", JSON_CLIENT, ""));
    assert_unframeable("stats", &send(url, "GET", "/emulator/stats", &[], ""));
    assert_unframeable("404", &send(url, "GET", "/nowhere", &[], ""));
}

/// The Auth App's `forwardUrl` goes with the approval: one that is not http(s) (a
/// `javascript:` URL would run in the emulator's origin) is refused with a clear error
/// and nothing is approved; an http(s) one is given back for the page to follow.
#[test]
fn a_forward_url_that_is_not_http_is_refused_and_nothing_approved() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let url = emulator.url();
    let pin = send(url, "POST", "/api/v2/pins?strong=true", JSON_CLIENT, "").json();
    let poll = || {
        send(
            url,
            "GET",
            &format!("/api/v2/pins/{}", pin["id"]),
            JSON_CLIENT,
            "",
        )
        .json()
    };
    for forward in [
        "javascript:fetch('/emulator/issue-token',{method:'POST'})",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/relative/path",
    ] {
        let body = json!({"code": pin["code"], "forwardUrl": forward}).to_string();
        let refused = send(url, "POST", "/emulator/approve", CONTROL, &body);
        assert_eq!(refused.status, 400, "{forward}: {}", refused.body);
        let message = refused.json()["errors"][0]["message"].to_string();
        assert!(
            message.contains("forwardUrl must be an absolute http"),
            "{message}"
        );
        assert!(poll()["authToken"].is_null(), "{forward}: approved anyway");
    }
    let body = json!({"code": pin["code"], "forwardUrl": "https://app.example/back?state=1"});
    let approved = send(url, "POST", "/emulator/approve", CONTROL, &body.to_string());
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        approved.json()["forwardUrl"],
        "https://app.example/back?state=1"
    );
    assert!(poll()["authToken"].is_string());
}
