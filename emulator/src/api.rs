//! The plex.tv API: pins, the token check, the JWT endpoints, as plex.tv answers them.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::fault::{Fault, Route};
use crate::params::Params;
use crate::ratelimit::retry_after_secs;
use crate::render::{empty, error, fault_response, json_response, mangle, pin_response, xml, Body};
use crate::shared::{DropConnection, Shared};
use crate::state::{PinStatus, State};

/// The emulator's own code for a pin created without `X-Plex-Product` under `--strict`:
/// plex.tv's is not known, and 1000 means "client identifier missing" to clients.
pub(crate) const MISSING_PRODUCT: u32 = 1002;

/// The warning a lenient emulator records for a pin request without `X-Plex-Product`.
pub const WARN_NO_PRODUCT: &str =
    "plex.tv may refuse this: no X-Plex-Product (enforced in 2019 per Ombi #3072; unconfirmed since)";

pub(crate) fn header<'a, B>(request: &'a Request<B>, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Like plex.tv: a `.json` path is JSON and a `.xml` path XML; otherwise JSON only when
/// `Accept` asks for it, XML by default.
pub(crate) fn wants_json<B>(request: &Request<B>) -> bool {
    let path = request.uri().path();
    if path.ends_with(".xml") {
        return false;
    }
    path.ends_with(".json")
        || header(request, "accept").is_some_and(|a| a.contains("application/json"))
}

pub(crate) async fn api_call(
    shared: &Shared,
    request: &Request<Bytes>,
    route: Route,
    pin: Option<u64>,
    seq: u64,
    peer: Option<IpAddr>,
) -> Result<Response<Body>, DropConnection> {
    let params = Params::new(request);
    let client = params.plex("X-Plex-Client-Identifier");
    let fault = shared.lock().take_fault(route, pin, client.as_deref());
    let mut as_json = wants_json(request);
    let call = |as_json| Call {
        shared,
        request,
        params: &params,
        client_id: client.as_deref(),
        as_json,
        now: Instant::now(),
        peer,
        seq,
    };
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
            return Ok(mangle(fault, answer(&call(as_json), route, pin)).await);
        }
        Some(other) => return Ok(fault_response(other, as_json)),
    }
    Ok(answer(&call(as_json), route, pin))
}

/// One API request as the route handlers read it.
pub(crate) struct Call<'a> {
    shared: &'a Shared,
    request: &'a Request<Bytes>,
    params: &'a Params<'a>,
    /// `X-Plex-Client-Identifier`, from a header, the body or the query.
    client_id: Option<&'a str>,
    /// Whether to answer JSON (else XML).
    as_json: bool,
    now: Instant,
    /// The client's address, for the per-address rate limit.
    peer: Option<IpAddr>,
    /// The request's number in the log, for warnings.
    seq: u64,
}

impl Call<'_> {
    fn error(&self, status: StatusCode, code: u32, message: &str) -> Response<Body> {
        error(self.as_json, status, code, message)
    }

    /// plex.tv's 429, with `Retry-After` when the wait is known.
    fn too_many(&self, wait: Option<Duration>) -> Response<Body> {
        let mut response = self.error(StatusCode::TOO_MANY_REQUESTS, 1003, "too many requests");
        if let Some(wait) = wait {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(wait)),
            );
        }
        response
    }

    /// plex.tv's 404 for a pin or code it does not know (or no longer).
    fn not_found(&self) -> Response<Body> {
        self.error(StatusCode::NOT_FOUND, 1020, "Code not found or expired")
    }
}

/// What plex.tv answers to a request on `route`, faults aside: the identity checks every
/// route shares, then the route's own handler.
pub(crate) fn answer(call: &Call<'_>, route: Route, pin: Option<u64>) -> Response<Body> {
    let Some(client_id) = call.client_id else {
        return call.error(
            StatusCode::BAD_REQUEST,
            1000,
            "X-Plex-Client-Identifier is missing",
        );
    };
    // plex.tv enforced X-Plex-Product in 2019 (Ombi #3072: polls without it got 404); not
    // confirmed since. Lenient by default (served, with a warning), enforced with --strict.
    let product = call.params.plex("X-Plex-Product");
    if product.is_none() && matches!(route, Route::CreatePin | Route::CheckPin) {
        if call.shared.strict {
            return match route {
                Route::CreatePin => call.error(
                    StatusCode::BAD_REQUEST,
                    MISSING_PRODUCT,
                    "X-Plex-Product is missing",
                ),
                _ => call.not_found(),
            };
        }
        call.shared.lock().warn(call.seq, WARN_NO_PRODUCT);
    }
    match route {
        Route::CreatePin => create_pin(call, client_id, &product.unwrap_or_default()),
        Route::CheckPin => check_pin(call, client_id, pin.unwrap_or(0)),
        Route::Nonce => nonce(call, client_id),
        Route::Keys => keys(call),
        Route::RegisterKey => register_key(call, client_id),
        Route::ExchangeToken => exchange_token(call, client_id),
        Route::LinkPin => link_pin(call),
        Route::User | Route::Any => user(call),
    }
}

/// `POST /api/v2/pins[?strong=true]`, with a JWK in a JSON body for the JWT sign-in.
fn create_pin(call: &Call<'_>, client_id: &str, product: &str) -> Response<Body> {
    // `strong` from the query, a form body or the JWT sign-in's JSON body
    // (`{"jwk":…,"strong":true}`), cast as Rails casts booleans.
    let strong = call.params.flag("strong");
    let jwk = match call.params.json().and_then(|body| body.get("jwk")) {
        None => None,
        Some(value) => match plex_pin::jwt::Jwk::deserialize(value) {
            Ok(jwk) => Some(jwk),
            Err(_) => return call.error(StatusCode::BAD_REQUEST, 1000, "the jwk is not valid"),
        },
    };
    let mut state = call.shared.lock();
    if let Err(wait) = state.pin_rate.take(client_id, call.peer, call.now) {
        return call.too_many(Some(wait));
    }
    match state.create_pin(call.now, strong, client_id, product, jwk) {
        Some(pin) => {
            drop(state);
            pin_response(
                &call.shared.base_url,
                call.as_json,
                StatusCode::CREATED,
                &pin,
                call.now,
            )
        }
        None => call.too_many(None),
    }
}

/// `GET /api/v2/pins/{id}`: the pin, for the client that created it (and, for a pin made
/// with a key, a poll signed by that key).
fn check_pin(call: &Call<'_>, client_id: &str, id: u64) -> Response<Body> {
    let mut state = call.shared.lock();
    let pin = match state.live_pin(id, call.now) {
        Some(p) if p.client_id == client_id => p.clone(),
        _ => return call.not_found(),
    };
    if let Some(jwk) = &pin.jwk {
        // A pin created with a key answers only polls signed by that key.
        let jwt = query_value(call.request, "deviceJWT").unwrap_or_default();
        match state.auth.check_device_jwt(&jwt, jwk, client_id, call.now) {
            Err(_) => return signature_refused(call.as_json),
            // Handing out the token uses the nonce up.
            Ok(nonce) if matches!(pin.status, PinStatus::Approved(_)) => state.auth.consume(&nonce),
            Ok(_) => {}
        }
    }
    drop(state);
    pin_response(
        &call.shared.base_url,
        call.as_json,
        StatusCode::OK,
        &pin,
        call.now,
    )
}

/// `GET /api/v2/auth/nonce`: a single-use nonce for a device JWT.
fn nonce(call: &Call<'_>, client_id: &str) -> Response<Body> {
    let mut state = call.shared.lock();
    if let Err(wait) = state.nonce_rate.take(client_id, call.peer, call.now) {
        return call.too_many(Some(wait));
    }
    match state.auth.new_nonce(call.now) {
        Some(nonce) => json_response(StatusCode::OK, json!({ "nonce": nonce })),
        None => call.too_many(None),
    }
}

/// `GET /api/v2/auth/keys`: the keys Plex JWTs are signed with.
fn keys(call: &Call<'_>) -> Response<Body> {
    json_response(
        StatusCode::OK,
        json!({ "keys": call.shared.lock().auth.keys() }),
    )
}

/// `POST /api/v2/auth/jwk`: a signed-in device registers its key.
fn register_key(call: &Call<'_>, client_id: &str) -> Response<Body> {
    let mut state = call.shared.lock();
    if !signed_in(&state, call.params) {
        return unauthenticated(call.as_json);
    }
    let Ok(body) = serde_json::from_slice::<KeyBody>(call.request.body()) else {
        return call.error(StatusCode::BAD_REQUEST, 1000, "a jwk is required");
    };
    match state.auth.register(client_id, body.jwk) {
        Ok(()) => empty(StatusCode::CREATED),
        Err(()) => call.error(
            StatusCode::UNPROCESSABLE_ENTITY,
            1098,
            "Thumbprint Already Taken",
        ),
    }
}

/// `POST /api/v2/auth/token`: a device JWT for a Plex JWT.
fn exchange_token(call: &Call<'_>, client_id: &str) -> Response<Body> {
    let mut state = call.shared.lock();
    let Ok(body) = serde_json::from_slice::<TokenBody>(call.request.body()) else {
        return call.error(StatusCode::BAD_REQUEST, 1000, "a jwt is required");
    };
    let Some(jwk) = state.auth.registered_key(client_id).cloned() else {
        // clambin's wording for this case: the device (and its key) is not registered.
        return call.error(
            StatusCode::UNPROCESSABLE_ENTITY,
            1097,
            "jwk missing. no public key to verify jwt request",
        );
    };
    match state
        .auth
        .check_device_jwt(&body.jwt, &jwk, client_id, call.now)
    {
        Ok(nonce) => {
            state.auth.consume(&nonce);
            let token = state.exchange(client_id, &jwk);
            json_response(StatusCode::OK, json!({ "auth_token": token }))
        }
        Err(_) => signature_refused(call.as_json),
    }
}

/// `PUT /api/v2/pins/link`: a signed-in user links a 4-character code.
fn link_pin(call: &Call<'_>) -> Response<Body> {
    let mut state = call.shared.lock();
    if !signed_in(&state, call.params) {
        return unauthenticated(call.as_json);
    }
    let code = url::form_urlencoded::parse(call.request.body())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    // plex.tv/link takes 4-character codes only.
    let id = state
        .find_code(&code)
        .filter(|id| state.pins.get(id).is_some_and(|p| !p.strong));
    match id.filter(|id| state.live_pin(*id, call.now).is_some()) {
        Some(id) => {
            state.approve(id);
            empty(StatusCode::NO_CONTENT)
        }
        None => call.not_found(),
    }
}

/// `GET /api/v2/user`: the account for a token it issued.
fn user(call: &Call<'_>) -> Response<Body> {
    let token = call.params.plex("X-Plex-Token");
    let token = token.as_deref();
    let state = call.shared.lock();
    if token.is_some_and(|t| state.auth.is_expired_plex_jwt(t)) {
        return call.error(
            StatusCode::from_u16(498).unwrap_or(StatusCode::UNAUTHORIZED),
            1099,
            "Token Expired",
        );
    }
    let base_url = &call.shared.base_url;
    match token {
        Some(t) if state.is_revoked(t) => xml(
            StatusCode::UNPROCESSABLE_ENTITY,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>Invalid token</error>\n</errors>\n".to_owned(),
        ),
        Some(t) if state.token_valid(t) && call.as_json => json_response(
            StatusCode::OK,
            crate::account::json(&state.account, t, base_url),
        ),
        Some(t) if state.token_valid(t) => xml(
            StatusCode::OK,
            crate::account::xml(&state.account, t, base_url),
        ),
        _ => unauthenticated(call.as_json),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct KeyBody {
    jwk: plex_pin::jwt::Jwk,
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenBody {
    jwt: String,
}

/// Whether the request carries a token the emulator issued (header, body or query).
pub(crate) fn signed_in(state: &State, params: &Params<'_>) -> bool {
    params
        .plex("X-Plex-Token")
        .is_some_and(|t| state.token_valid(&t))
}

/// plex.tv's answer to a missing or unknown token.
pub(crate) fn unauthenticated(as_json: bool) -> Response<Body> {
    error(
        as_json,
        StatusCode::UNAUTHORIZED,
        1001,
        "User could not be authenticated",
    )
}

pub(crate) fn query_value<B>(request: &Request<B>, key: &str) -> Option<String> {
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// What plex.tv answers for a device JWT it will not accept (forged, expired, foreign, or
/// with an unknown or used nonce).
pub(crate) fn signature_refused(as_json: bool) -> Response<Body> {
    error(
        as_json,
        StatusCode::UNPROCESSABLE_ENTITY,
        1096,
        "Signature Verification Failed",
    )
}
