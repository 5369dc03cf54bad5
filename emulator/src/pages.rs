//! The user's side of the sign-in: an Auth App look-alike and a plex.tv/link look-alike.
//!
//! Plain HTML with a little script, no external assets, so it works offline and in a
//! headless browser. Element ids (`code`, `product`, `approve`, `deny`, `status`) are
//! stable: tests click them.

use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::render::{empty, json_response, with_type, Body};
use crate::shared::Shared;
use crate::xml::escape;

/// The pages a person opens (and the pin's QR image).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    /// `/auth#?code=…`: approve or deny a strong code.
    Auth,
    /// `/link[?pin=CODE]`: type a 4-character code.
    Link,
    /// `/`: what this server is.
    Index,
    /// `/api/v2/pins/qr/{code}`: the pin's QR code.
    Qr,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.4rem}code,#code{font-size:1.6rem;letter-spacing:.1em;font-weight:bold}\
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;cursor:pointer}\
#approve{background:#e5a00d;border:0;color:#000}#status{margin-top:1rem;font-weight:bold}\
input{font-size:1.4rem;width:6em;text-transform:uppercase;letter-spacing:.2em}";

/// The Auth App page's script. It reads the link's fragment, and sends the `forwardUrl`
/// with the approval: the emulator refuses one that is not http(s) (nothing is approved
/// then) and gives back the one to follow. The page's policy forbids `javascript:` URLs
/// besides.
const AUTH_SCRIPT: &str = r#"
const params = new URLSearchParams(location.hash.replace(/^#!?\??/, ''));
const code = params.get('code') || '';
const forwardUrl = params.get('forwardUrl');
const product = params.get('context[device][product]');
document.getElementById('code').textContent = code || '(no code in the link)';
if (product) document.getElementById('product').textContent = product;
const status = document.getElementById('status');
async function decide(action) {
  const body = {code};
  if (action === 'approve' && forwardUrl) body.forwardUrl = forwardUrl;
  const res = await fetch('/emulator/' + action, {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body)});
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    status.textContent = res.status === 404
      ? 'This code is not valid or has expired.'
      : 'Refused: ' + ((answer.errors && answer.errors[0] && answer.errors[0].message) || res.status);
    return;
  }
  document.getElementById('approve').disabled = true;
  document.getElementById('deny').disabled = true;
  if (action === 'approve') {
    status.textContent = 'Approved. You can close this tab.';
    if (answer.forwardUrl) location.assign(answer.forwardUrl);
  } else {
    status.textContent = 'Denied.';
  }
}
document.getElementById('approve').onclick = () => decide('approve');
document.getElementById('deny').onclick = () => decide('deny');
"#;

/// The link page's script.
const LINK_SCRIPT: &str = r#"
document.getElementById('form').onsubmit = async (e) => {
  e.preventDefault();
  const code = document.getElementById('code').value.trim().toUpperCase();
  const res = await fetch('/emulator/approve', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({code, link: '1'})});
  document.getElementById('status').textContent = res.ok
    ? 'Linked. You can go back to your device.'
    : 'That code is not valid, has expired, or is not a 4-character code.';
};
"#;

/// The pages' Content-Security-Policy: their own script and style (by hash, so nothing
/// injected runs, `javascript:` URLs included), requests to this origin only, no framing.
pub(crate) fn page_policy() -> &'static str {
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        format!(
            "default-src 'none'; script-src {} {}; style-src {}; connect-src 'self'; \
             img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            source_hash(AUTH_SCRIPT),
            source_hash(LINK_SCRIPT),
            source_hash(STYLE)
        )
    })
}

/// `'sha256-…'`: a CSP source allowing the inline script or style `text` exactly.
pub(crate) fn source_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// `GET /auth#?clientID=…&code=…&context[device][product]=…&forwardUrl=…`
pub(crate) fn auth_page() -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plex-pin emulator: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>plex-pin emulator &mdash; sign in</h1>
<p><span id="product">An app</span> wants to sign in to your (emulated) Plex account.</p>
<p>Code: <span id="code">&hellip;</span></p>
<p><button id="approve" type="button">Approve</button><button id="deny" type="button">Deny</button></p>
<p id="status" role="status"></p>
<script>{AUTH_SCRIPT}</script>
</body></html>
"#
    )
}

/// `GET /link[?pin=CODE]`: type a 4-character code.
pub(crate) fn link_page(prefill: &str) -> String {
    let prefill = escape(prefill);
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plex-pin emulator: link</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>plex-pin emulator &mdash; link a device</h1>
<form id="form"><p>Enter the 4-character code: <input id="code" name="code" maxlength="4" autocomplete="off" value="{prefill}"></p>
<p><button id="approve" type="submit">Link</button></p></form>
<p id="status" role="status"></p>
<script>{LINK_SCRIPT}</script>
</body></html>
"#
    )
}

/// `GET /`: what this server is.
pub(crate) fn index_page(base_url: &str) -> String {
    let base_url = escape(base_url);
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plex-pin emulator</title><style>{STYLE}</style></head>
<body><h1>plex-pin emulator</h1>
<p>A local stand-in for plex.tv's PIN sign-in at <code>{base_url}</code>.</p>
<ul><li><code>POST /api/v2/pins</code>, <code>GET /api/v2/pins/{{id}}</code>, <code>GET /api/v2/user</code></li>
<li><a href="/link">/link</a>: enter a 4-character code</li>
<li><code>/auth#?code=…</code>: approve a strong code</li>
<li><a href="/emulator/stats">/emulator/stats</a>: requests seen per route</li></ul>
</body></html>
"#
    )
}

pub(crate) fn page_response<B>(
    shared: &Shared,
    request: &Request<B>,
    page: Page,
) -> Response<Body> {
    let query = request.uri().query().unwrap_or("");
    if page == Page::Qr {
        let code = request.uri().path().rsplit('/').next().unwrap_or("");
        return qr_response(shared, code);
    }
    let html = match page {
        Page::Auth => auth_page(),
        Page::Link => {
            let prefill = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "pin")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            link_page(&prefill)
        }
        _ => index_page(&shared.base_url),
    };
    let mut response = with_type(
        StatusCode::OK,
        "text/html; charset=utf-8",
        Bytes::from(html),
    );
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(policy) = HeaderValue::from_str(page_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// `GET /api/v2/pins/qr/{code}`: an SVG QR code of the link page, as plex.tv's: its `qr`
/// "leads to the plex.tv/link page, where the user enters the 4-digit link PIN" (PROTOCOL
/// 6.4), for strong pins too, whose codes that page refuses. A client that shows the QR
/// of a strong pin sends its users to a dead end, here as there.
pub(crate) fn qr_response(shared: &Shared, code: &str) -> Response<Body> {
    let pin = {
        let mut state = shared.lock();
        let now = Instant::now();
        state
            .find_code(code)
            .and_then(|id| state.live_pin(id, now).cloned())
    };
    let Some(pin) = pin else {
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"errors":[{"code":1020,"message":"Code not found or expired","status":404}]}),
        );
    };
    let target = qr_target(&shared.base_url, &pin.code);
    match qrcode::QrCode::new(target.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build();
            with_type(StatusCode::OK, "image/svg+xml", Bytes::from(svg))
        }
        Err(_) => empty(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// What a pin's QR code encodes: the link page with the code, whatever the pin's kind.
fn qr_target(base_url: &str, code: &str) -> String {
    format!("{base_url}/link?pin={code}")
}

#[cfg(test)]
mod qr_tests {
    use super::qr_target;

    #[test]
    fn the_qr_leads_to_the_link_page_for_every_pin() {
        let base = "http://127.0.0.1:9";
        assert_eq!(qr_target(base, "ABCD"), "http://127.0.0.1:9/link?pin=ABCD");
        let strong = "k2v9q0x7m4t1z8c3b6n5w0r2e";
        assert_eq!(qr_target(base, strong), format!("{base}/link?pin={strong}"));
    }
}
