//! The HTTP side: which route a request is for, the request log, and the one function
//! that serves a request (the API in `api`, pages in `pages`, controls in `control`).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use crate::api::api_call;
use crate::body::{read_body, BodyError};
use crate::control::{control, control_call, unknown_route, ControlRoute};
use crate::cors::{cors, preflight};
use crate::fault::Route;
use crate::pages::{page_response, Page};
use crate::render::{json_response, protect, Body};
use crate::shared::{DropConnection, Shared};
use crate::state::SeenRequest;

/// Headers kept per request in the log ([`crate::Stats::recent`]).
pub const MAX_LOGGED_HEADERS: usize = 32;

/// Bytes kept of each logged header value and path.
pub const MAX_LOGGED_VALUE: usize = 256;

/// Serves one request from `peer`.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, DropConnection> {
    let mut response = route(&shared, request, peer).await?;
    protect(response.headers_mut());
    Ok(response)
}

async fn route(
    shared: &Shared,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, DropConnection> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let route = classify(&method, &path);
    let seq = record(shared, &request, route.name());

    match route {
        Control(ControlRoute::RedirectTarget) => {}
        Control(name) => return Ok(control_call(shared, request, name).await),
        _ => {}
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
        Api(api, pin) => api_call(shared, &request, api, pin, seq, Some(peer.ip())).await?,
        Page(page) => page_response(shared, &request, page),
        Control(name) => control(shared, name, b"{}"),
        NotFound if path.starts_with("/emulator/") => unknown_route(&path),
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
    Page(Page),
    Control(ControlRoute),
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
        (_, "/auth" | "/auth/") => Page(Page::Auth),
        (_, "/link" | "/link/") => Page(Page::Link),
        (_, "/") => Page(Page::Index),
        (_, p) if p.starts_with("/emulator/") => p
            .strip_prefix("/emulator/")
            .and_then(ControlRoute::from_name)
            .map_or(NotFound, Control),
        ("GET", p) if p.starts_with("/api/v2/pins/qr/") => Page(Page::Qr),
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
