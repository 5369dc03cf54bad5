//! The plex.tv API: pins, the token check, the JWT endpoints, as plex.tv answers them.

use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::fault::{Fault, Route};
use crate::params::Params;
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
            return Ok(mangle(fault, answer).await);
        }
        Some(other) => return Ok(fault_response(other, as_json)),
    }
    Ok(answer(shared, request, &params, route, pin, seq, as_json).await)
}

/// What plex.tv answers to a request on `route`, faults aside.
pub(crate) async fn answer(
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
                Some(pin) => {
                    pin_response(&shared.base_url, as_json, StatusCode::CREATED, &pin, now)
                }
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
                    pin_response(&shared.base_url, as_json, StatusCode::OK, &p, now)
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
        .is_some_and(|t| state.tokens.contains_key(&t))
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
