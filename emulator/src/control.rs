//! The control routes under `/emulator/`: approve, deny, expire, look up pins, faults,
//! tokens, stats, version. Who may call them is decided in [`control_call`]; each route
//! reads its JSON body into its own type. The contract is documented in the crate's
//! README ("Control API") and versioned by [`CONTROL_API_VERSION`].

use std::time::Instant;

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::body::read_body;
use crate::cors::{is_loopback_authority, is_loopback_origin};
use crate::fault::{Fault, FaultRule};
use crate::render::{empty, json_response, Body};
use crate::shared::Shared;
use crate::state::{PinRecord, PinStatus, State};

/// The version of the control API (`/emulator/*`), as `GET /emulator/version` and
/// `/emulator/stats` answer it (`controlApi`). It changes when a route, a body field, a
/// fault or route name, or an answer changes in a way a caller could notice; additions
/// that old callers cannot notice (a new route, a new optional field) keep it.
pub const CONTROL_API_VERSION: u32 = 1;

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
    Version,
    /// Where the `redirect` fault points: not a control, a plain GET target.
    RedirectTarget,
}

impl ControlRoute {
    /// Every route under `/emulator/`.
    pub(crate) const ALL: [ControlRoute; 11] = [
        ControlRoute::Approve,
        ControlRoute::Deny,
        ControlRoute::Expire,
        ControlRoute::Pin,
        ControlRoute::Stats,
        ControlRoute::Fault,
        ControlRoute::ClearFaults,
        ControlRoute::IssueToken,
        ControlRoute::Revoke,
        ControlRoute::Version,
        ControlRoute::RedirectTarget,
    ];

    /// The route's path under `/emulator/`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ControlRoute::Approve => "approve",
            ControlRoute::Deny => "deny",
            ControlRoute::Expire => "expire",
            ControlRoute::Pin => "pin",
            ControlRoute::Stats => "stats",
            ControlRoute::Fault => "fault",
            ControlRoute::ClearFaults => "clear-faults",
            ControlRoute::IssueToken => "issue-token",
            ControlRoute::Revoke => "revoke",
            ControlRoute::Version => "version",
            ControlRoute::RedirectTarget => "redirect-target",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.name() == name)
    }

    /// Routes that change nothing, and so also answer `GET` (without a body).
    fn read_only(self) -> bool {
        matches!(self, ControlRoute::Stats | ControlRoute::Version)
    }
}

/// The answer to a path under `/emulator/` that is no route: it names the routes.
pub(crate) fn unknown_route(path: &str) -> Response<Body> {
    let names: Vec<&str> = ControlRoute::ALL.iter().map(|r| r.name()).collect();
    let message = format!(
        "no control route {path}: the routes under /emulator/ are {}",
        names.join(", ")
    );
    json_response(
        StatusCode::NOT_FOUND,
        json!({"errors":[{"code":1021,"message":message,"status":404}]}),
    )
}

/// A call to a control route (`/emulator/*`: approve, deny, expire, faults, tokens, stats).
///
/// They drive the emulator, and any web page a developer has open could reach a server on
/// a known loopback port. So they answer only `POST` with a JSON object body
/// (`{"id": 123}`): a content type no page can send to another origin without a CORS
/// preflight, which is granted to loopback origins only (the emulator's own pages, test
/// pages served on 127.0.0.1), never to `*`. A `Host` that is not loopback (DNS
/// rebinding) is refused. `stats` and `version`, which change nothing, also answer `GET`.
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
    } else if method == Method::GET && name.read_only() {
        control(shared, name, b"{}")
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
        match read_body(request.into_body(), shared.body_read_timeout).await {
            Ok(body) => control(shared, name, &body),
            Err(_) => refuse(StatusCode::BAD_REQUEST, "the body is not a JSON object"),
        }
    };
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// An error answer in plex.tv's shape, its code the HTTP status.
fn refuse(status: StatusCode, message: &str) -> Response<Body> {
    refuse_with(status, status.as_u16().into(), message)
}

fn refuse_with(status: StatusCode, code: u32, message: &str) -> Response<Body> {
    json_response(
        status,
        json!({"errors":[{"code":code,"message":message,"status":status.as_u16()}]}),
    )
}

/// Runs control route `name` with its JSON body.
pub(crate) fn control(shared: &Shared, name: ControlRoute, body: &[u8]) -> Response<Body> {
    match name {
        ControlRoute::Approve => with_body(body, |b| approve(shared, b)),
        ControlRoute::Deny => with_body(body, |b: PinBody| {
            on_pin(shared, &b, |state, pin| {
                state.deny(pin.id);
                json!({"id": pin.id, "denied": true})
            })
        }),
        ControlRoute::Expire => with_body(body, |b: PinBody| {
            on_pin(shared, &b, |state, pin| {
                state.expire(pin.id);
                json!({"id": pin.id, "expired": true})
            })
        }),
        ControlRoute::Pin => with_body(body, |b: PinBody| {
            on_pin(shared, &b, |_, pin| describe(pin, Instant::now()))
        }),
        ControlRoute::Stats => with_body(body, |b| stats(shared, b)),
        ControlRoute::Fault => with_body(body, |b| fault(shared, b)),
        ControlRoute::ClearFaults => with_body(body, |b: ClientBody| {
            let left = shared.lock().clear_faults(b.client.as_deref());
            json_response(StatusCode::OK, json!({"faults": left}))
        }),
        ControlRoute::IssueToken => with_body(body, |_: NoBody| {
            json_response(
                StatusCode::OK,
                json!({"token": shared.lock().issue_token()}),
            )
        }),
        ControlRoute::Revoke => with_body(body, |b: RevokeBody| match b.token {
            Some(token) => {
                shared.lock().revoke(&token);
                json_response(StatusCode::OK, json!({"revoked": true}))
            }
            None => refuse(StatusCode::BAD_REQUEST, "token is required"),
        }),
        ControlRoute::Version => {
            with_body(body, |_: NoBody| json_response(StatusCode::OK, version()))
        }
        ControlRoute::RedirectTarget => redirect_target(),
    }
}

/// `{"controlApi": 1, "emulator": "0.1.0"}`.
fn version() -> Value {
    json!({"controlApi": CONTROL_API_VERSION, "emulator": env!("CARGO_PKG_VERSION")})
}

/// Reads `body` as the route's JSON object and runs `run` with it, or answers 400 naming
/// what is wrong (not JSON, not an object, an unknown field, a field of the wrong type).
fn with_body<T: DeserializeOwned>(
    body: &[u8],
    run: impl FnOnce(T) -> Response<Body>,
) -> Response<Body> {
    if !matches!(serde_json::from_slice::<Value>(body), Ok(Value::Object(_))) {
        return refuse(StatusCode::BAD_REQUEST, "the body is not a JSON object");
    }
    match serde_json::from_slice(body) {
        Ok(parsed) => run(parsed),
        Err(e) => refuse(StatusCode::BAD_REQUEST, &format!("bad body: {e}")),
    }
}

/// `{}`: routes that take no field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoBody {}

/// `{"id": 123}` or `{"code": "ABCD"}`: which pin.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    #[serde(default, deserialize_with = "number")]
    id: Option<u64>,
    #[serde(default, deserialize_with = "text")]
    code: Option<String>,
}

/// `approve`: which pin, whether through the link page, and where the Auth App forwards.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApproveBody {
    #[serde(default, deserialize_with = "number")]
    id: Option<u64>,
    #[serde(default, deserialize_with = "text")]
    code: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    link: bool,
    #[serde(default, deserialize_with = "text")]
    forward_url: Option<String>,
}

/// `{"client": "ID"}` or `{}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientBody {
    #[serde(default, deserialize_with = "text")]
    client: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    #[serde(default, deserialize_with = "text")]
    token: Option<String>,
}

/// `fault`: `{"fault": "500", "route": "check", "pin": 123, "client": "ID", "times": 2}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    #[serde(default, deserialize_with = "text")]
    fault: Option<String>,
    #[serde(default, deserialize_with = "text")]
    route: Option<String>,
    #[serde(default, deserialize_with = "number")]
    pin: Option<u64>,
    #[serde(default, deserialize_with = "text")]
    client: Option<String>,
    #[serde(default, deserialize_with = "number")]
    times: Option<u64>,
}

/// The live pin a body names (by `id`, else by `code`), then `run` on it; 400 when the
/// body names none, 404 (plex.tv's 1020) when it is unknown or expired.
fn on_pin(
    shared: &Shared,
    body: &PinBody,
    run: impl FnOnce(&mut State, &PinRecord) -> Value,
) -> Response<Body> {
    let mut state = shared.lock();
    let pin = match find_pin(&mut state, body.id, body.code.as_deref()) {
        Ok(pin) => pin,
        Err(none) => return none.answer(),
    };
    let answer = run(&mut state, &pin);
    json_response(StatusCode::OK, answer)
}

/// Why no pin was found for a body.
enum NoPin {
    /// Neither `id` nor `code` given.
    NotNamed,
    /// Unknown or expired.
    Unknown,
}

impl NoPin {
    fn answer(self) -> Response<Body> {
        match self {
            NoPin::NotNamed => refuse(StatusCode::BAD_REQUEST, "id or code is required"),
            NoPin::Unknown => refuse_with(StatusCode::NOT_FOUND, 1020, "Code not found or expired"),
        }
    }
}

fn find_pin(state: &mut State, id: Option<u64>, code: Option<&str>) -> Result<PinRecord, NoPin> {
    if id.is_none() && code.is_none() {
        return Err(NoPin::NotNamed);
    }
    let id = id.or_else(|| code.and_then(|code| state.find_code(code)));
    id.and_then(|id| state.live_pin(id, Instant::now()).cloned())
        .ok_or(NoPin::Unknown)
}

/// A pin as `POST /emulator/pin` shows it.
fn describe(pin: &PinRecord, now: Instant) -> Value {
    json!({
        "id": pin.id, "code": pin.code, "product": pin.product, "strong": pin.strong,
        "approved": matches!(pin.status, PinStatus::Approved(_)),
        "expiresIn": pin.expires_in(now).as_secs(),
    })
}

/// `approve`: the user approves a pin, in the Auth App (any pin) or at plex.tv/link
/// (`link`: 4-character codes only). A `forwardUrl` must be an http(s) URL, as the Auth
/// App must insist (a `javascript:` one would run in its origin): it is checked before
/// anything is approved and given back for the page to follow.
fn approve(shared: &Shared, body: ApproveBody) -> Response<Body> {
    let forward = match body.forward_url.as_deref().map(forward_url).transpose() {
        Ok(forward) => forward,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    let mut state = shared.lock();
    let pin = match find_pin(&mut state, body.id, body.code.as_deref()) {
        Ok(pin) => pin,
        Err(none) => return none.answer(),
    };
    // plex.tv/link takes 4-character codes only.
    if body.link && pin.strong {
        return refuse_with(
            StatusCode::BAD_REQUEST,
            1020,
            "Strong codes cannot be linked here; open the app's sign-in link",
        );
    }
    state.approve(pin.id);
    let mut answer = json!({"id": pin.id, "approved": true});
    if let Some(forward) = forward {
        answer["forwardUrl"] = json!(forward);
    }
    json_response(StatusCode::OK, answer)
}

/// The longest `forwardUrl` accepted (browsers handle URLs far longer, but no app needs it).
const MAX_FORWARD_URL: usize = 8 * 1024;

/// A `forwardUrl` the Auth App may send a browser to: absolute http or https with a host.
pub(crate) fn forward_url(text: &str) -> Result<String, &'static str> {
    const REFUSED: &str = "forwardUrl must be an absolute http:// or https:// URL; it is refused and nothing was approved";
    if text.len() > MAX_FORWARD_URL {
        return Err("forwardUrl is longer than 8 KiB; it is refused and nothing was approved");
    }
    let url = url::Url::parse(text).map_err(|_| REFUSED)?;
    if matches!(url.scheme(), "http" | "https") && url.host().is_some() {
        Ok(url.into())
    } else {
        Err(REFUSED)
    }
}

/// `stats`: requests per route, what is held, and one client's recent requests.
fn stats(shared: &Shared, body: ClientBody) -> Response<Body> {
    let stats = shared.stats();
    let stored = stats.stored;
    let amount = |a: crate::limits::Amount| json!({"items": a.items, "bytes": a.bytes});
    let mut answer = version();
    answer["perRoute"] = json!(stats.per_route);
    answer["livePins"] = json!(stats.live_pins);
    answer["stored"] = json!({
        "pins": amount(stored.pins),
        "tokens": amount(stored.tokens),
        "revoked": amount(stored.revoked),
        "faultRules": amount(stored.fault_rules),
        "deviceKeys": amount(stored.device_keys),
        "nonces": stored.nonces,
        "rateKeys": stored.rate_keys,
        "connections": stored.connections,
    });
    // One client's recent requests (tokens masked), for tests sharing an emulator.
    if let Some(client) = body.client {
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
    json_response(StatusCode::OK, answer)
}

/// `fault`: adds a rule; 400 for a bad one, 507 past [`Limits::fault_rules`](crate::Limits::fault_rules).
fn fault(shared: &Shared, body: FaultBody) -> Response<Body> {
    let rule = match fault_rule(body) {
        Ok(rule) => rule,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, &message),
    };
    match shared.lock().add_fault(rule) {
        Ok(count) => json_response(StatusCode::OK, json!({"faults": count})),
        Err(_) => refuse(
            StatusCode::INSUFFICIENT_STORAGE,
            "too many fault rules: clear some (POST /emulator/clear-faults) first",
        ),
    }
}

fn fault_rule(body: FaultBody) -> Result<FaultRule, String> {
    let fault = body.fault.ok_or("fault is required")?;
    let mut rule = FaultRule::always(fault.parse::<Fault>()?);
    if let Some(route) = body.route {
        rule = rule.on(route.parse()?);
    }
    if let Some(pin) = body.pin {
        rule = rule.for_pin(pin);
    }
    if let Some(client) = body.client {
        rule = rule.for_client(client);
    }
    if let Some(times) = body.times {
        rule = rule.times(u32::try_from(times).map_err(|_| format!("bad times `{times}`"))?);
    }
    Ok(rule)
}

/// Where the `redirect` fault points: an approved pin, so following it would be caught.
fn redirect_target() -> Response<Body> {
    json_response(
        StatusCode::OK,
        json!({"id": 1, "code": "ABCD", "authToken": "token-from-a-redirect"}),
    )
}

/// A text field: a JSON string (trimmed), or a number or boolean as its JSON text; blank
/// or `null` is absent.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(serde::de::Error::custom("expected a string")),
    })
}

/// A number field: a JSON number, or a string of digits; blank or `null` is absent.
fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match text(d)? {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a whole number"))),
    }
}

/// A flag: `true`/`false`, or text cast as Rails casts booleans (`"1"`, `"true"`, `"on"`
/// are true; blank, `"0"`, `"false"`, `"off"` false); `null` is false.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(text(d)?.is_some_and(|v| {
        !matches!(
            v.as_str(),
            "0" | "f" | "F" | "false" | "FALSE" | "off" | "OFF"
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_urls_must_be_http_or_https() {
        assert_eq!(
            forward_url("https://app.example/done?x=1").unwrap(),
            "https://app.example/done?x=1"
        );
        assert!(forward_url("http://127.0.0.1:8080/").is_ok());
        for refused in [
            "javascript:alert(1)",
            "JavaScript:fetch('/emulator/issue-token')",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "//evil.example/",
            "/relative",
            "http:/",
        ] {
            assert!(forward_url(refused).is_err(), "{refused}");
        }
        assert!(forward_url(&format!("https://a.example/{}", "x".repeat(9000))).is_err());
    }

    #[test]
    fn bodies_take_numbers_or_digits_and_refuse_unknown_fields() {
        let pin: PinBody = serde_json::from_str(r#"{"id": "123", "code": " ab "}"#).unwrap();
        assert_eq!((pin.id, pin.code.as_deref()), (Some(123), Some("ab")));
        let pin: PinBody = serde_json::from_str(r#"{"id": null, "code": ""}"#).unwrap();
        assert_eq!((pin.id, pin.code), (None, None));
        assert!(serde_json::from_str::<PinBody>(r#"{"id": "abc"}"#).is_err());
        assert!(serde_json::from_str::<PinBody>(r#"{"id": -1}"#).is_err());
        let typo = serde_json::from_str::<FaultBody>(r#"{"fault": "500", "tims": 1}"#);
        assert!(typo
            .err()
            .unwrap()
            .to_string()
            .contains("unknown field `tims`"));
        let rule: FaultBody = serde_json::from_str(r#"{"fault": 500, "times": "2"}"#).unwrap();
        assert_eq!((rule.fault.as_deref(), rule.times), (Some("500"), Some(2)));
        for (link, linked) in [
            ("true", true),
            ("\"1\"", true),
            ("1", true),
            ("false", false),
            ("\"0\"", false),
            ("\"\"", false),
            ("null", false),
        ] {
            let body: ApproveBody =
                serde_json::from_str(&format!(r#"{{"code": "ABCD", "link": {link}}}"#)).unwrap();
            assert_eq!(body.link, linked, "{link}");
        }
    }

    #[test]
    fn every_route_is_named_once() {
        for route in ControlRoute::ALL {
            assert_eq!(ControlRoute::from_name(route.name()), Some(route));
        }
        assert_eq!(ControlRoute::from_name("nope"), None);
    }
}
