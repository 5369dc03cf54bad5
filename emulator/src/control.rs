//! The control routes under `/emulator/`: approve, deny, expire, look up pins, faults,
//! tokens, stats. Who may call them is decided in [`control_call`].

use std::time::Instant;

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::body::read_body;
use crate::cors::{is_loopback_authority, is_loopback_origin};
use crate::fault::{Fault, FaultRule};
use crate::render::{empty, json_response, Body};
use crate::shared::Shared;
use crate::state::PinStatus;

/// The control routes, by their path under `/emulator/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlRoute {
    Approve,
    Deny,
    Expire,
    Pin,
    Stats,
    Fault,
    ClearFaults,
    IssueToken,
    Revoke,
    /// Where the `redirect` fault points: not a control, a plain GET target.
    RedirectTarget,
}

impl ControlRoute {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        use ControlRoute::*;
        Some(match name {
            "approve" => Approve,
            "deny" => Deny,
            "expire" => Expire,
            "pin" => Pin,
            "stats" => Stats,
            "fault" => Fault,
            "clear-faults" => ClearFaults,
            "issue-token" => IssueToken,
            "revoke" => Revoke,
            "redirect-target" => RedirectTarget,
            _ => return None,
        })
    }
}

/// A call to a control route (`/emulator/*`: approve, deny, expire, faults, tokens, stats).
///
/// They drive the emulator, and any web page a developer has open could reach a server on
/// a known loopback port. So they answer only `POST` with a JSON object body
/// (`{"id": 123}`): a content type no page can send to another origin without a CORS
/// preflight, which is granted to loopback origins only (the emulator's own pages, test
/// pages served on 127.0.0.1), never to `*`. A `Host` that is not loopback (DNS
/// rebinding) is refused. `stats`, which changes nothing, also answers `GET`.
pub(crate) async fn control_call(
    shared: &Shared,
    request: Request<Incoming>,
    name: ControlRoute,
) -> Response<Body> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| is_loopback_origin(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let refuse = |status: StatusCode, message: &str| {
        json_response(
            status,
            json!({"errors":[{"code":status.as_u16(),"message":message,"status":status.as_u16()}]}),
        )
    };
    let host_ok = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(is_loopback_authority);
    let method = request.method().clone();
    let json_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.trim().starts_with("application/json"));
    let mut response = if !host_ok {
        refuse(
            StatusCode::FORBIDDEN,
            "control routes answer on a loopback host only",
        )
    } else if method == Method::OPTIONS {
        let mut response = empty(StatusCode::NO_CONTENT);
        if origin.is_some() {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Content-Type"),
            );
        }
        response
    } else if method == Method::GET && name == ControlRoute::Stats {
        control(shared, name, "")
    } else if method != Method::POST {
        let mut response = refuse(StatusCode::METHOD_NOT_ALLOWED, "control routes take POST");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        response
    } else if !json_body {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "control routes take a JSON object body (Content-Type: application/json)",
        )
    } else {
        match read_body(request.into_body(), shared.body_read_timeout)
            .await
            .ok()
            .and_then(|body| json_form(&body))
        {
            Some(form) => control(shared, name, &form),
            None => refuse(StatusCode::BAD_REQUEST, "the body is not a JSON object"),
        }
    };
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// A JSON object's fields as a form (`id=1&code=ABCD`), the control handlers' input.
pub(crate) fn json_form(body: &[u8]) -> Option<String> {
    let Value::Object(fields) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in fields {
        match value {
            Value::String(text) => form.append_pair(&key, &text),
            Value::Null => continue,
            other => form.append_pair(&key, &other.to_string()),
        };
    }
    Some(form.finish())
}

/// The user's side and the test hooks: approve/deny a pin by `code` or `id`, look a pin up.
pub(crate) fn control(shared: &Shared, name: ControlRoute, form: &str) -> Response<Body> {
    let field = |key: &str| {
        url::form_urlencoded::parse(form.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let now = Instant::now();
    let mut state = shared.lock();
    let bad = |message: String| {
        json_response(
            StatusCode::BAD_REQUEST,
            json!({"errors":[{"code":400,"message":message,"status":400}]}),
        )
    };
    match name {
        ControlRoute::Stats => {
            let stats = state.stats();
            let mut answer = json!({"perRoute": stats.per_route, "livePins": stats.live_pins});
            // One client's recent requests (tokens masked), for tests sharing an emulator.
            if let Some(client) = field("client") {
                let requests: Vec<_> = stats
                    .recent
                    .iter()
                    .filter(|r| r.header("x-plex-client-identifier") == Some(client.as_str()))
                    .map(|r| {
                        let headers: serde_json::Map<_, _> = r
                            .headers
                            .iter()
                            .map(|(n, v)| (n.clone(), json!(v)))
                            .collect();
                        json!({"method": r.method, "path": r.path, "route": r.route,
                               "atMs": r.at.as_millis() as u64, "headers": headers})
                    })
                    .collect();
                answer["requests"] = json!(requests);
            }
            return json_response(StatusCode::OK, answer);
        }
        ControlRoute::Fault => {
            return match fault_from_form(&field) {
                Ok(rule) => {
                    state.faults.push(rule);
                    json_response(StatusCode::OK, json!({"faults": state.faults.len()}))
                }
                Err(message) => bad(message),
            };
        }
        ControlRoute::ClearFaults => {
            state.faults.clear();
            return json_response(StatusCode::OK, json!({"faults": 0}));
        }
        // Where the redirect fault points: an approved pin, so following it would be caught.
        ControlRoute::RedirectTarget => {
            return json_response(
                StatusCode::OK,
                json!({"id": 1, "code": "ABCD", "authToken": "token-from-a-redirect"}),
            );
        }
        ControlRoute::IssueToken => {
            return json_response(StatusCode::OK, json!({"token": state.issue_token()}));
        }
        ControlRoute::Revoke => {
            let Some(token) = field("token") else {
                return bad("token is required".to_owned());
            };
            state.revoke(&token);
            return json_response(StatusCode::OK, json!({"revoked": true}));
        }
        _ => {}
    }
    let id = field("id")
        .and_then(|id| id.parse().ok())
        .or_else(|| field("code").and_then(|code| state.find_code(&code)));
    let Some(pin) = id.and_then(|id| state.live_pin(id, now).cloned()) else {
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"errors":[{"code":1020,"message":"Code not found or expired","status":404}]}),
        );
    };
    let id = pin.id;
    let link_only = field("link").is_some();
    match name {
        ControlRoute::Pin => json_response(
            StatusCode::OK,
            json!({
                "id": pin.id, "code": pin.code, "product": pin.product, "strong": pin.strong,
                "approved": matches!(pin.status, PinStatus::Approved(_)),
                "expiresIn": pin.expires_in(now).as_secs(),
            }),
        ),
        // plex.tv/link takes 4-character codes only.
        ControlRoute::Approve if link_only && pin.strong => json_response(
            StatusCode::BAD_REQUEST,
            json!({"errors":[{"code":1020,"message":"Strong codes cannot be linked here; open the app's sign-in link","status":400}]}),
        ),
        ControlRoute::Approve => {
            state.approve(id);
            json_response(StatusCode::OK, json!({"id": id, "approved": true}))
        }
        ControlRoute::Expire => {
            state.expire(id);
            json_response(StatusCode::OK, json!({"id": id, "expired": true}))
        }
        _ => {
            state.deny(id);
            json_response(StatusCode::OK, json!({"id": id, "denied": true}))
        }
    }
}

/// A fault rule from the control form: `fault=500&route=check&pin=ID&client=ID&times=N`.
pub(crate) fn fault_from_form(field: &dyn Fn(&str) -> Option<String>) -> Result<FaultRule, String> {
    let fault = field("fault").ok_or("fault is required")?;
    let mut rule = FaultRule::always(fault.parse::<Fault>()?);
    if let Some(route) = field("route") {
        rule = rule.on(route.parse()?);
    }
    if let Some(pin) = field("pin") {
        rule = rule.for_pin(pin.parse().map_err(|_| format!("bad pin `{pin}`"))?);
    }
    if let Some(client) = field("client") {
        rule = rule.for_client(client);
    }
    if let Some(times) = field("times") {
        rule = rule.times(times.parse().map_err(|_| format!("bad times `{times}`"))?);
    }
    Ok(rule)
}
