//! The HTTP API: `POST /login`, `GET /login/{id}`, and the demo page at `/`.
//!
//! Every answer is JSON with `Cache-Control: no-store`; every error is
//! `{"error": "<code>", "message": "<what to tell the user>"}` with a fitting status. No
//! answer ever holds the token: it stays in the store, as the session's.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::app::{App, StartError};
use crate::store::{LoginId, LoginStore};

/// The largest request body accepted. No route reads one; a browser's `POST /login` sends
/// none. Larger ones are refused before anything reads them.
pub const MAX_BODY: u64 = 1024;

/// The app's routes over one instance's shared state.
pub(crate) fn router<S: LoginStore>(app: Arc<App<S>>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/login", post(start::<S>))
        .route("/login/{id}", get(status::<S>))
        .layer(middleware::from_fn(refuse_large_bodies))
        .with_state(app)
}

/// `POST /login`: creates a pin, stores it, and answers `201 {"id", "url", "expiresAt"}`:
/// the browser sends the user to `url` and polls `GET /login/{id}`.
async fn start<S: LoginStore>(State(app): State<Arc<App<S>>>) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Started {
        id: String,
        url: String,
        expires_at: u64,
    }
    let started = app.start_login().await.map_err(ApiError::from)?;
    let body = Started {
        id: started.id.to_string(),
        url: started.url,
        expires_at: started.expires_at,
    };
    Ok(json(StatusCode::CREATED, &body))
}

/// `GET /login/{id}`: `{"status": "pending" | "signed_in" | "expired" | "denied" |
/// "failed", …}` (see [`LoginStatus`](crate::store::LoginStatus)).
async fn status<S: LoginStore>(
    State(app): State<Arc<App<S>>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = LoginId::parse(&id).ok_or(ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "bad_login_id",
        message: "a login id is 32 lowercase hex digits".into(),
    })?;
    match app.store().status(&id).await {
        Ok(Some(status)) => Ok(json(StatusCode::OK, &status)),
        Ok(None) => Err(ApiError {
            status: StatusCode::NOT_FOUND,
            code: "unknown_login",
            message: "no such login: it never existed, or finished long ago".into(),
        }),
        Err(e) => Err(ApiError::store(e)),
    }
}

/// The demo page: a "Sign in with Plex" button over the two routes.
async fn page() -> Html<&'static str> {
    Html(include_str!("../static/index.html"))
}

/// Refuses a request whose declared body is over [`MAX_BODY`] (413), before a handler
/// runs. A body without a declared length is never read (no route reads one): hyper drops
/// the connection after answering instead of draining it.
async fn refuse_large_bodies(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|value| value.to_str().ok().and_then(|v| v.parse::<u64>().ok()));
    match declared {
        Some(Some(length)) if length <= MAX_BODY => next.run(request).await,
        None => next.run(request).await,
        Some(_) => ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "body_too_large",
            message: format!("request bodies are limited to {MAX_BODY} bytes"),
        }
        .into_response(),
    }
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    // Login states change by the second, and a signed-in answer is personal.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An error answer: `{"error": code, "message": message}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// The store's details go to the log, not to the browser.
    fn store(error: crate::store::StoreError) -> Self {
        tracing::error!("{error}");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "store_failed",
            message: "the server could not reach its login store; try again".into(),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(error: StartError) -> Self {
        let message = error.to_string();
        let (status, code) = match error {
            StartError::Store(e) => return Self::store(e),
            StartError::Full => (StatusCode::SERVICE_UNAVAILABLE, "too_many_logins"),
            StartError::Plex(_) => (StatusCode::BAD_GATEWAY, "plex_failed"),
            StartError::Stopping => (StatusCode::SERVICE_UNAVAILABLE, "stopping"),
        };
        Self {
            status,
            code,
            message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            message: &'a str,
        }
        let body = Body {
            error: self.code,
            message: &self.message,
        };
        let mut response = json(self.status, &body);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        response
    }
}
