//! The HTTP side: one function that turns a request into plex.tv's answer.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::fault::{Fault, Route};
use crate::pages;
use crate::params::Params;
use crate::state::{PinRecord, PinStatus, SeenRequest, State};

/// The emulator's own code for a pin created without `X-Plex-Product` under `--strict`:
/// plex.tv's is not known, and 1000 means "client identifier missing" to clients.
const MISSING_PRODUCT: u32 = 1002;
/// The warning a lenient emulator records for a pin request without `X-Plex-Product`.
pub const WARN_NO_PRODUCT: &str =
    "plex.tv may refuse this: no X-Plex-Product (enforced in 2019 per Ombi #3072; unconfirmed since)";

/// Largest request body the emulator reads (control forms; plex.tv's own calls have none).
const MAX_REQUEST_BODY: usize = 64 * 1024;
/// Headers kept per request in the log ([`crate::Stats::recent`]).
pub const MAX_LOGGED_HEADERS: usize = 32;
/// Bytes kept of each logged header value and path.
pub const MAX_LOGGED_VALUE: usize = 256;
/// Size of the [`Fault::Oversized`] body.
pub const OVERSIZED_BODY: usize = 10 * 1024 * 1024;

pub(crate) type Body = Full<Bytes>;

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub base_url: String,
    /// See [`crate::Options::body_read_timeout`].
    pub body_read_timeout: std::time::Duration,
    /// See [`crate::Options::strict`].
    pub strict: bool,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters to an emulator; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose (fault injection)")
    }
}

impl std::error::Error for DropConnection {}

/// Serves one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let route = classify(&method, &path);
    let seq = record(&shared, &request, route.name());

    if let Control(name) = route {
        if name != "redirect-target" {
            return Ok(control_call(&shared, request, name).await);
        }
    }
    if method == Method::OPTIONS {
        return Ok(preflight(&request));
    }
    let (parts, body) = request.into_parts();
    let body = if method == Method::GET {
        Bytes::new()
    } else {
        match read_body(body, shared.body_read_timeout).await {
            Ok(body) => body,
            // A broken or oversized body reads as empty, as it always has.
            Err(BodyError::Unreadable) => Bytes::new(),
            // hyper closes the connection after this answer: the body was not all read.
            Err(BodyError::TooSlow) => {
                let mut response = json_response(
                    StatusCode::REQUEST_TIMEOUT,
                    json!({"errors":[{"code":408,"message":"request body too slow","status":408}]}),
                );
                cors(response.headers_mut());
                return Ok(response);
            }
        }
    };
    let request = Request::from_parts(parts, body);
    let mut response = match route {
        Api(api, pin) => api_call(&shared, &request, api, pin, seq).await?,
        Page(page) => page_response(&shared, &request, page),
        Control(name) => {
            let query = request.uri().query().unwrap_or("");
            let body = String::from_utf8_lossy(request.body());
            control(&shared, name, &format!("{query}&{body}"))
        }
        NotFound => json_response(
            StatusCode::NOT_FOUND,
            json!({"errors":[{"code":1021,"message":"Not found","status":404}]}),
        ),
    };
    cors(response.headers_mut());
    Ok(response)
}

#[derive(Debug, Clone, Copy)]
enum RouteKind {
    Api(Route, Option<u64>),
    Page(&'static str),
    Control(&'static str),
    NotFound,
}
use RouteKind::*;

impl RouteKind {
    fn name(&self) -> &'static str {
        match self {
            Api(Route::CreatePin, _) => "create_pin",
            Api(Route::CheckPin, _) => "check_pin",
            Api(Route::Nonce, _) => "nonce",
            Api(Route::RegisterKey, _) => "register_key",
            Api(Route::ExchangeToken, _) => "exchange_token",
            Api(Route::Keys, _) => "keys",
            Api(Route::LinkPin, _) => "link_pin",
            Api(_, _) => "user",
            Page(_) => "page",
            Control(_) => "control",
            NotFound => "not_found",
        }
    }
}

fn classify(method: &Method, path: &str) -> RouteKind {
    // plex.tv serves `pins.json` and `pins.xml` as `pins` (the suffix picks the format).
    let path = path
        .strip_suffix(".json")
        .or_else(|| path.strip_suffix(".xml"))
        .unwrap_or(path);
    match (method.as_str(), path) {
        (_, "/api/v2/pins") if method != Method::GET => Api(Route::CreatePin, None),
        (_, "/api/v2/user") => Api(Route::User, None),
        (_, "/api/v2/auth/nonce") => Api(Route::Nonce, None),
        (_, "/api/v2/auth/jwk") => Api(Route::RegisterKey, None),
        (_, "/api/v2/auth/token") => Api(Route::ExchangeToken, None),
        (_, "/api/v2/auth/keys") => Api(Route::Keys, None),
        ("PUT", "/api/v2/pins/link") => Api(Route::LinkPin, None),
        (_, "/auth" | "/auth/") => Page("auth"),
        (_, "/link" | "/link/") => Page("link"),
        (_, "/") => Page("index"),
        (_, p) if p.starts_with("/emulator/") => match &p["/emulator/".len()..] {
            "approve" => Control("approve"),
            "deny" => Control("deny"),
            "expire" => Control("expire"),
            "pin" => Control("pin"),
            "stats" => Control("stats"),
            "fault" => Control("fault"),
            "clear-faults" => Control("clear-faults"),
            "issue-token" => Control("issue-token"),
            "revoke" => Control("revoke"),
            "redirect-target" => Control("redirect-target"),
            _ => NotFound,
        },
        ("GET", p) if p.starts_with("/api/v2/pins/qr/") => Page("qr"),
        (_, p) => match p.strip_prefix("/api/v2/pins/") {
            // Anything that is not a number is a pin plex.tv does not know.
            Some(id) => Api(Route::CheckPin, Some(id.parse().unwrap_or(0))),
            None => NotFound,
        },
    }
}

fn record<B>(shared: &Shared, request: &Request<B>, route: &'static str) -> u64 {
    let mut state = shared.lock();
    let at = state.started.elapsed();
    // Bounded copies: a client sending 380 KB of headers must not make the log hold them.
    let headers = request
        .headers()
        .iter()
        .take(MAX_LOGGED_HEADERS)
        .map(|(name, value)| {
            let value = if name == "x-plex-token" {
                "***".to_owned()
            } else {
                clip(&String::from_utf8_lossy(value.as_bytes()))
            };
            (clip(name.as_str()), value)
        })
        .collect();
    let route = if request.method() == Method::OPTIONS {
        "preflight"
    } else {
        route
    };
    state.record(SeenRequest {
        at,
        method: request.method().to_string(),
        path: request
            .uri()
            .path_and_query()
            .map_or_else(String::new, |p| clip(&mask_query_token(p.as_str()))),
        route,
        headers,
        warnings: Vec::new(),
        seq: 0,
    })
}

/// The path with any `X-Plex-Token` query value replaced by `***`, for the log.
fn mask_query_token(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("x-plex-token") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", masked.join("&"))
}

/// `text` cut to [`MAX_LOGGED_VALUE`] bytes (at a character boundary), for the log.
fn clip(text: &str) -> String {
    let mut end = text.len().min(MAX_LOGGED_VALUE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn header<'a, B>(request: &'a Request<B>, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Like plex.tv: a `.json` path is JSON and a `.xml` path XML; otherwise JSON only when
/// `Accept` asks for it, XML by default.
fn wants_json<B>(request: &Request<B>) -> bool {
    let path = request.uri().path();
    if path.ends_with(".xml") {
        return false;
    }
    path.ends_with(".json")
        || header(request, "accept").is_some_and(|a| a.contains("application/json"))
}

async fn api_call(
    shared: &Shared,
    request: &Request<Bytes>,
    route: Route,
    pin: Option<u64>,
    seq: u64,
) -> Result<Response<Body>, DropConnection> {
    let params = Params::new(request);
    let client = params.plex("X-Plex-Client-Identifier");
    let fault = shared.lock().take_fault(route, pin, client.as_deref());
    let mut as_json = wants_json(request);
    match fault {
        None => {}
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Xml) => as_json = false,
        Some(Fault::DropConnection) => return Err(DropConnection),
        Some(Fault::Redirect) => {
            let mut response = empty(StatusCode::FOUND);
            let target = format!("{}/emulator/redirect-target", shared.base_url);
            if let Ok(location) = HeaderValue::from_str(&target) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return Ok(response);
        }
        // The real answer, made wrong afterwards.
        Some(fault @ (Fault::Oversized | Fault::MalformedJson)) => {
            let answer = answer(shared, request, &params, route, pin, seq, as_json).await;
            return Ok(crate::fault::mangle(fault, answer).await);
        }
        Some(other) => return Ok(fault_response(other, as_json)),
    }
    Ok(answer(shared, request, &params, route, pin, seq, as_json).await)
}

/// What plex.tv answers to a request on `route`, faults aside.
async fn answer(
    shared: &Shared,
    request: &Request<Bytes>,
    params: &Params<'_>,
    route: Route,
    pin: Option<u64>,
    seq: u64,
    as_json: bool,
) -> Response<Body> {
    let now = Instant::now();
    let Some(client_id) = params.plex("X-Plex-Client-Identifier") else {
        return error(
            as_json,
            StatusCode::BAD_REQUEST,
            1000,
            "X-Plex-Client-Identifier is missing",
        );
    };
    let client_id = client_id.as_str();
    // plex.tv enforced X-Plex-Product in 2019 (Ombi #3072: polls without it got 404); not
    // confirmed since. Lenient by default (served, with a warning), enforced with --strict.
    let product = params.plex("X-Plex-Product");
    if product.is_none() && matches!(route, Route::CreatePin | Route::CheckPin) {
        if shared.strict {
            return match route {
                Route::CreatePin => error(
                    as_json,
                    StatusCode::BAD_REQUEST,
                    MISSING_PRODUCT,
                    "X-Plex-Product is missing",
                ),
                _ => error(
                    as_json,
                    StatusCode::NOT_FOUND,
                    1020,
                    "Code not found or expired",
                ),
            };
        }
        shared.lock().warn(seq, WARN_NO_PRODUCT);
    }
    let product = product.unwrap_or_default();
    match route {
        Route::CreatePin => {
            // `strong` from the query, a form body or the JWT sign-in's JSON body
            // (`{"jwk":…,"strong":true}`), cast as Rails casts booleans.
            let strong = params.flag("strong");
            let jwk = match params.json().and_then(|body| body.get("jwk")) {
                None => None,
                Some(value) => match serde_json::from_value(value.clone()) {
                    Ok(jwk) => Some(jwk),
                    Err(_) => {
                        return error(
                            as_json,
                            StatusCode::BAD_REQUEST,
                            1000,
                            "the jwk is not valid",
                        )
                    }
                },
            };
            let created = shared
                .lock()
                .create_pin(now, strong, client_id, &product, jwk);
            match created {
                Some(pin) => pin_response(shared, as_json, StatusCode::CREATED, &pin, now),
                None => error(
                    as_json,
                    StatusCode::TOO_MANY_REQUESTS,
                    1003,
                    "too many requests",
                ),
            }
        }
        Route::CheckPin => {
            let mut state = shared.lock();
            match state.live_pin(pin.unwrap_or(0), now) {
                Some(p) if p.client_id == client_id => {
                    let p = p.clone();
                    if let Some(jwk) = &p.jwk {
                        // A pin created with a key answers only polls signed by that key.
                        let jwt = query_value(request, "deviceJWT").unwrap_or_default();
                        match state.auth.check_device_jwt(&jwt, jwk, client_id, now) {
                            Err(_) => return signature_refused(as_json),
                            // Handing out the token uses the nonce up.
                            Ok(nonce) if matches!(p.status, PinStatus::Approved(_)) => {
                                state.auth.consume(&nonce)
                            }
                            Ok(_) => {}
                        }
                    }
                    drop(state);
                    pin_response(shared, as_json, StatusCode::OK, &p, now)
                }
                _ => error(
                    as_json,
                    StatusCode::NOT_FOUND,
                    1020,
                    "Code not found or expired",
                ),
            }
        }
        Route::Nonce => {
            let nonce = shared.lock().auth.new_nonce(now);
            match nonce {
                Some(nonce) => json_response(StatusCode::OK, json!({ "nonce": nonce })),
                None => error(
                    as_json,
                    StatusCode::TOO_MANY_REQUESTS,
                    1003,
                    "too many requests",
                ),
            }
        }
        Route::Keys => json_response(StatusCode::OK, json!({ "keys": shared.lock().auth.keys() })),
        Route::RegisterKey => {
            let mut state = shared.lock();
            if !signed_in(&state, params) {
                return unauthenticated(as_json);
            }
            let Ok(body) = serde_json::from_slice::<KeyBody>(request.body()) else {
                return error(as_json, StatusCode::BAD_REQUEST, 1000, "a jwk is required");
            };
            match state.auth.register(client_id, body.jwk) {
                Ok(()) => empty(StatusCode::CREATED),
                Err(()) => error(
                    as_json,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    1098,
                    "Thumbprint Already Taken",
                ),
            }
        }
        Route::ExchangeToken => {
            let mut state = shared.lock();
            let Ok(body) = serde_json::from_slice::<TokenBody>(request.body()) else {
                return error(as_json, StatusCode::BAD_REQUEST, 1000, "a jwt is required");
            };
            let Some(jwk) = state.auth.registered_key(client_id).cloned() else {
                // clambin's wording for this case: the device (and its key) is not registered.
                return error(
                    as_json,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    1097,
                    "jwk missing. no public key to verify jwt request",
                );
            };
            match state.auth.check_device_jwt(&body.jwt, &jwk, client_id, now) {
                Ok(nonce) => {
                    state.auth.consume(&nonce);
                    let account = state.account.clone();
                    let token = state.auth.issue_plex_jwt(&account, client_id, &jwk);
                    state.tokens.insert(token.clone(), account);
                    json_response(StatusCode::OK, json!({ "auth_token": token }))
                }
                Err(_) => signature_refused(as_json),
            }
        }
        Route::LinkPin => {
            let mut state = shared.lock();
            if !signed_in(&state, params) {
                return unauthenticated(as_json);
            }
            let code = url::form_urlencoded::parse(request.body())
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            // plex.tv/link takes 4-character codes only.
            let id = state
                .find_code(&code)
                .filter(|id| state.pins.get(id).is_some_and(|p| !p.strong));
            match id.filter(|id| state.live_pin(*id, now).is_some()) {
                Some(id) => {
                    state.approve(id);
                    empty(StatusCode::NO_CONTENT)
                }
                None => error(
                    as_json,
                    StatusCode::NOT_FOUND,
                    1020,
                    "Code not found or expired",
                ),
            }
        }
        _ => {
            let token = params.plex("X-Plex-Token");
            let token = token.as_deref();
            let state = shared.lock();
            if token.is_some_and(|t| state.auth.is_expired_plex_jwt(t)) {
                return error(
                    as_json,
                    StatusCode::from_u16(498).unwrap_or(StatusCode::UNAUTHORIZED),
                    1099,
                    "Token Expired",
                );
            }
            match token {
                Some(t) if state.revoked.contains(t) => xml(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>Invalid token</error>\n</errors>\n".to_owned(),
                ),
                Some(t) => match state.tokens.get(t) {
                    Some(account) if as_json => json_response(
                        StatusCode::OK,
                        crate::account::json(account, t, &shared.base_url),
                    ),
                    Some(account) => xml(
                        StatusCode::OK,
                        crate::account::xml(account, t, &shared.base_url),
                    ),
                    None => unauthenticated(as_json),
                },
                None => unauthenticated(as_json),
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct KeyBody {
    jwk: plex_pin::jwt::Jwk,
}

#[derive(serde::Deserialize)]
struct TokenBody {
    jwt: String,
}

/// Whether the request carries a token the emulator issued (header, body or query).
fn signed_in(state: &State, params: &Params<'_>) -> bool {
    params
        .plex("X-Plex-Token")
        .is_some_and(|t| state.tokens.contains_key(&t))
}

/// plex.tv's answer to a missing or unknown token.
fn unauthenticated(as_json: bool) -> Response<Body> {
    error(
        as_json,
        StatusCode::UNAUTHORIZED,
        1001,
        "User could not be authenticated",
    )
}

fn query_value<B>(request: &Request<B>, key: &str) -> Option<String> {
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// What plex.tv answers for a device JWT it will not accept (forged, expired, foreign, or
/// with an unknown or used nonce).
fn signature_refused(as_json: bool) -> Response<Body> {
    error(
        as_json,
        StatusCode::UNPROCESSABLE_ENTITY,
        1096,
        "Signature Verification Failed",
    )
}

fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The pin as plex.tv shows it, with `expiresIn` counting down.
pub(crate) fn pin_json(base_url: &str, pin: &PinRecord, now: Instant) -> Value {
    let token = match &pin.status {
        PinStatus::Approved(token) => Value::String(token.clone()),
        PinStatus::Pending => Value::Null,
    };
    let approved = !token.is_null();
    json!({
        "id": pin.id,
        "code": pin.code,
        "product": pin.product,
        "trusted": false,
        "qr": format!("{base_url}/api/v2/pins/qr/{}", pin.code),
        "clientIdentifier": pin.client_id,
        "location": {
            "code": "NL",
            "european_union_member": true,
            "continent_code": "EU",
            "country": "The Netherlands",
            "city": "Breda",
            "time_zone": "Europe/Amsterdam",
            "postal_code": "4814",
            "in_privacy_restricted_country": true,
            "in_privacy_restricted_region": true,
            "subdivisions": "North Brabant",
            "coordinates": "51.5869, 4.7471"
        },
        "expiresIn": pin.expires_in(now).as_secs(),
        "createdAt": rfc3339(pin.created_wall),
        "expiresAt": rfc3339(pin.created_wall + pin.lifetime),
        "authToken": token,
        "newRegistration": if approved { Value::Bool(false) } else { Value::Null },
    })
}

fn pin_response(
    shared: &Shared,
    as_json: bool,
    status: StatusCode,
    pin: &PinRecord,
    now: Instant,
) -> Response<Body> {
    let value = pin_json(&shared.base_url, pin, now);
    if as_json {
        return json_response(status, value);
    }
    // XML: the same names as attributes, nulls left out, location as a child element.
    let mut attrs = String::new();
    let mut location = String::new();
    if let Value::Object(map) = &value {
        for (key, v) in map {
            match v {
                Value::Null => {}
                Value::Object(inner) => {
                    location.push_str("<location");
                    for (k, v) in inner {
                        location
                            .push_str(&format!(" {k}=\"{}\"", escape(&crate::account::scalar(v))));
                    }
                    location.push_str("/>");
                }
                v => attrs.push_str(&format!(
                    " {key}=\"{}\"",
                    escape(&crate::account::scalar(v))
                )),
            }
        }
    }
    xml(
        status,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pin{attrs}>{location}</pin>\n"),
    )
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn fault_response(fault: Fault, as_json: bool) -> Response<Body> {
    match fault {
        Fault::RateLimited { retry_after } => {
            let mut r = error(
                as_json,
                StatusCode::TOO_MANY_REQUESTS,
                1003,
                "too many requests",
            );
            if let Some(secs) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
        Fault::ServerError => error(
            as_json,
            StatusCode::INTERNAL_SERVER_ERROR,
            1,
            "Internal Server Error",
        ),
        Fault::BadGatewayHtml => with_type(
            StatusCode::BAD_GATEWAY,
            "text/html",
            Bytes::from_static(b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
        ),
        // Handled where the answer is built.
        Fault::Slow(_)
        | Fault::DropConnection
        | Fault::Xml
        | Fault::Redirect
        | Fault::MalformedJson
        | Fault::Oversized => {
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn error(as_json: bool, status: StatusCode, code: u32, message: &str) -> Response<Body> {
    if as_json {
        json_response(
            status,
            json!({"errors":[{"code":code,"message":message,"status":status.as_u16()}]}),
        )
    } else {
        xml(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error code=\"{code}\" message=\"{}\" status=\"{}\"/>\n</errors>\n",
                escape(message),
                status.as_u16()
            ),
        )
    }
}

pub(crate) fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(crate) fn json_response(status: StatusCode, value: Value) -> Response<Body> {
    with_type(
        status,
        "application/json; charset=utf-8",
        Bytes::from(value.to_string()),
    )
}

fn xml(status: StatusCode, text: String) -> Response<Body> {
    with_type(status, "application/xml; charset=utf-8", Bytes::from(text))
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// What a browser needs to call the emulator from a page on another origin.
fn cors(headers: &mut http::HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After, Date, Content-Length"),
    );
}

fn preflight<B>(request: &Request<B>) -> Response<Body> {
    let mut response = empty(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    cors(headers);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    let allowed = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static(
            "Accept, Content-Type, X-Plex-Client-Identifier, X-Plex-Product, X-Plex-Version, X-Plex-Platform, X-Plex-Platform-Version, X-Plex-Device, X-Plex-Device-Name, X-Plex-Model, X-Plex-Token",
        ));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// A call to a control route (`/emulator/*`: approve, deny, expire, faults, tokens, stats).
///
/// They drive the emulator, and any web page a developer has open could reach a server on
/// a known loopback port. So they answer only `POST` with a JSON object body
/// (`{"id": 123}`): a content type no page can send to another origin without a CORS
/// preflight, which is granted to loopback origins only (the emulator's own pages, test
/// pages served on 127.0.0.1), never to `*`. A `Host` that is not loopback (DNS
/// rebinding) is refused. `stats`, which changes nothing, also answers `GET`.
async fn control_call(shared: &Shared, request: Request<Incoming>, name: &str) -> Response<Body> {
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
    } else if method == Method::GET && name == "stats" {
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
fn json_form(body: &[u8]) -> Option<String> {
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

/// `http://127.x.x.x[:port]`, `http://localhost[:port]` or `http://[::1][:port]`.
fn is_loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(is_loopback_authority)
}

/// A `Host` (or an origin's authority) naming this machine.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => authority,
    };
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a request body was not read.
enum BodyError {
    /// Over [`MAX_REQUEST_BODY`], or broken.
    Unreadable,
    /// Not complete within [`Shared::body_read_timeout`].
    TooSlow,
}

/// Reads a request body up to [`MAX_REQUEST_BODY`] within `timeout`. Frames
/// are copied into one buffer as they come: kept as they came, a body dripped one byte per
/// segment would hold a read buffer per byte (570 MB for 141 KB over 20 connections).
async fn read_body(mut body: Incoming, timeout: std::time::Duration) -> Result<Bytes, BodyError> {
    let read = async {
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| BodyError::Unreadable)?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_REQUEST_BODY {
                    return Err(BodyError::Unreadable);
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(bytes))
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::TooSlow))
}

fn page_response<B>(shared: &Shared, request: &Request<B>, page: &str) -> Response<Body> {
    let query = request.uri().query().unwrap_or("");
    if page == "qr" {
        let code = request.uri().path().rsplit('/').next().unwrap_or("");
        return qr_response(shared, code);
    }
    let html = match page {
        "auth" => pages::auth_page(),
        "link" => {
            let prefill = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "pin")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            pages::link_page(&prefill)
        }
        _ => pages::index_page(&shared.base_url),
    };
    let mut response = with_type(
        StatusCode::OK,
        "text/html; charset=utf-8",
        Bytes::from(html),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/v2/pins/qr/{code}`: an SVG QR code of the page where the pin is approved (the
/// emulator's `/auth` link for strong codes, `/link?pin=` for 4-character ones).
fn qr_response(shared: &Shared, code: &str) -> Response<Body> {
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
    let target = if pin.strong {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("clientID", &pin.client_id)
            .append_pair("code", &pin.code)
            .append_pair("context[device][product]", &pin.product)
            .finish();
        format!("{}/auth#?{query}", shared.base_url)
    } else {
        format!("{}/link?pin={}", shared.base_url, pin.code)
    };
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

/// The user's side and the test hooks: approve/deny a pin by `code` or `id`, look a pin up.
fn control(shared: &Shared, name: &str, form: &str) -> Response<Body> {
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
        "stats" => {
            let stats = state.stats();
            return json_response(
                StatusCode::OK,
                json!({"perRoute": stats.per_route, "livePins": stats.live_pins}),
            );
        }
        "fault" => {
            return match fault_from_form(&field) {
                Ok(rule) => {
                    state.faults.push(rule);
                    json_response(StatusCode::OK, json!({"faults": state.faults.len()}))
                }
                Err(message) => bad(message),
            };
        }
        "clear-faults" => {
            state.faults.clear();
            return json_response(StatusCode::OK, json!({"faults": 0}));
        }
        // Where the redirect fault points: an approved pin, so following it would be caught.
        "redirect-target" => {
            return json_response(
                StatusCode::OK,
                json!({"id": 1, "code": "ABCD", "authToken": "token-from-a-redirect"}),
            );
        }
        "issue-token" => {
            return json_response(StatusCode::OK, json!({"token": state.issue_token()}));
        }
        "revoke" => {
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
        "pin" => json_response(
            StatusCode::OK,
            json!({
                "id": pin.id, "code": pin.code, "product": pin.product, "strong": pin.strong,
                "approved": matches!(pin.status, PinStatus::Approved(_)),
                "expiresIn": pin.expires_in(now).as_secs(),
            }),
        ),
        // plex.tv/link takes 4-character codes only.
        "approve" if link_only && pin.strong => json_response(
            StatusCode::BAD_REQUEST,
            json!({"errors":[{"code":1020,"message":"Strong codes cannot be linked here; open the app's sign-in link","status":400}]}),
        ),
        "approve" => {
            state.approve(id);
            json_response(StatusCode::OK, json!({"id": id, "approved": true}))
        }
        "expire" => {
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
fn fault_from_form(field: &dyn Fn(&str) -> Option<String>) -> Result<crate::FaultRule, String> {
    let fault = field("fault").ok_or("fault is required")?;
    let mut rule = crate::FaultRule::always(fault.parse::<Fault>()?);
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
