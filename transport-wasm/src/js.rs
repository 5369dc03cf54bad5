//! The JavaScript API: `PlexPinClient`, for web apps with no Rust of their own.
//!
//! Exported to JS by wasm-bindgen and run by the npm package's `js/api.js`; Rust callers use
//! [`Client`](crate::Client) instead.

use std::rc::Rc;
use std::time::Duration;

use js_sys::{Array, Function, Object, Reflect};
use plex_pin::{
    auth_url, ClientId, Config, ExpiredBy, ForwardUrl, LoginOptions, Pin, PinKind, PinOptions,
    Token, User,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use plex_pin::drive::{self, Event};
use plex_pin::{Call, Instant, SavedPin, TransportErrorKind as Kind};

use crate::task::Io;
pub use crate::task::Task;
use crate::Error;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of `new PlexPinClient(options)`. Only `product` is required. */
export interface PlexPinOptions {
  /** X-Plex-Product: the app name the user sees in Authorized Devices. */
  product: string;
  /** X-Plex-Client-Identifier. Generate it once (`PlexPinClient.generateClientId()`),
   *  keep it (localStorage) and pass it every time: plex.tv ties pins to it. */
  clientId?: string;
  version?: string; platform?: string; platformVersion?: string;
  device?: string; deviceName?: string; model?: string;
  /** API base URL (default https://plex.tv); plain http only for loopback. */
  baseUrl?: string;
  /** Auth App page (default https://app.plex.tv/auth). */
  authAppUrl?: string;
  /** Code-entry page for 4-character codes (default https://plex.tv/link/). */
  linkPageUrl?: string;
  /** Ask for a 4-character plex.tv/link code instead of a strong one. */
  link?: boolean;
  /** Forwarding flow: where the Auth App sends the browser after sign-in. */
  forwardUrl?: string;
  /** Timeout of each request in ms (default 15000). */
  requestTimeoutMs?: number;
  /** Time between polls in ms (default 1000). */
  pollIntervalMs?: number;
  /** Give up the login after this many ms (default: the pin's own lifetime). */
  loginTimeoutMs?: number;
}

/** A pin, as shown to the user. */
export interface PinInfo {
  id: number;
  code: string;
  /** "strong" (Auth App link) or "link" (4 characters for plex.tv/link). */
  kind: "strong" | "link";
  /** Where the user approves: the Auth App URL, or the link page. */
  url: string;
  /** plex.tv's QR image URL for the code, when it sent one. */
  qr?: string;
  /** Seconds left when plex.tv answered. */
  expiresIn?: number;
  /** When it expires, in Unix seconds (for `waitForPin` after a reload). */
  expiresAt?: number;
}

/** Reported about once per poll while the login waits. */
export interface LoginProgress {
  /** Seconds until the pin expires or the login's deadline, whichever is first; absent
   *  while no pin exists and no deadline was set. */
  secondsLeft?: number;
  /** Failures in a row (429, 5xx, network); 0 while all is well. */
  failures: number;
}

/** The signed-in account. */
export interface PlexUser {
  id: number; uuid?: string; username?: string; email?: string;
  title?: string; thumb?: string; displayName?: string;
  subscription?: { active: boolean; status?: string; plan?: string };
}

/** Errors are `Error`s with a `code`: "PIN_EXPIRED", "DENIED_OR_EXPIRED", "TIMED_OUT",
 *  "RATE_LIMITED", "UNAUTHORIZED", "HTTP_STATUS", "BAD_RESPONSE", "NETWORK",
 *  "REQUEST_TIMEOUT", "BODY_TOO_LARGE", "REDIRECT", "CANCELLED", "INVALID_OPTIONS". */
export interface PlexPinError extends Error { code: string }
"#;

fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &key.into(), &value.into());
}

fn error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    set(&error, "code", code);
    error.into()
}

fn to_js(failure: Error) -> JsValue {
    use plex_pin::Error as P;
    // The code, and the HTTP status where plex.tv answered with one.
    let (code, status) = match &failure {
        Error::Plex(P::Cancelled) => ("CANCELLED", None),
        Error::Plex(P::PinExpired {
            by: ExpiredBy::Server,
        }) => ("DENIED_OR_EXPIRED", None),
        Error::Plex(P::PinExpired { .. }) => ("PIN_EXPIRED", None),
        Error::Plex(P::TimedOut) => ("TIMED_OUT", None),
        Error::Plex(P::RateLimited { .. }) => ("RATE_LIMITED", Some(429)),
        Error::Plex(P::Unauthorized { status }) => ("UNAUTHORIZED", Some(status.as_u16())),
        Error::Plex(P::UnexpectedStatus { status, .. }) => ("HTTP_STATUS", Some(status.as_u16())),
        Error::Plex(P::MissingClientIdentifier) => ("HTTP_STATUS", Some(400)),
        Error::Plex(P::Config(_)) => ("INVALID_OPTIONS", None),
        Error::Plex(_) => ("BAD_RESPONSE", None),
        Error::Transport { kind, .. } => match kind {
            Kind::Timeout => ("REQUEST_TIMEOUT", None),
            Kind::BodyTooLarge => ("BODY_TOO_LARGE", None),
            Kind::Redirect => ("REDIRECT", None),
            Kind::Cancelled => ("CANCELLED", None),
            _ => ("NETWORK", None),
        },
    };
    let js = error(code, &failure.to_string());
    if let Some(status) = status {
        set(js.unchecked_ref(), "status", status);
    }
    if let Some(after) = failure.plex().and_then(P::retry_after) {
        set(js.unchecked_ref(), "retryAfter", after.as_secs() as f64);
    }
    js
}

fn invalid(message: impl std::fmt::Display) -> JsValue {
    error("INVALID_OPTIONS", &message.to_string())
}

/// Whole milliseconds (a float cast saturates; the JS API has refused what is not a positive
/// number). Not `Duration::try_from_secs_f64`, whose float path costs the .wasm 500 B.
fn millis(value: Option<f64>) -> Option<Duration> {
    value
        .filter(|ms| *ms >= 0.0)
        .map(|ms| Duration::from_millis(ms as u64))
}

fn pin_info(pin: &Pin, url: &str) -> JsValue {
    let info = Object::new();
    set(&info, "id", pin.id as f64);
    set(&info, "code", pin.code.as_str());
    set(
        &info,
        "kind",
        if pin.kind() == PinKind::Link {
            "link"
        } else {
            "strong"
        },
    );
    set(&info, "url", url);
    if let Some(qr) = &pin.qr {
        set(&info, "qr", qr.as_str());
    }
    if let Some(secs) = pin.expires_in {
        set(&info, "expiresIn", secs as f64);
        // What waitForPin needs after a reload: an absolute time survives storage.
        set(
            &info,
            "expiresAt",
            (js_sys::Date::now() / 1000.0).floor() + secs as f64,
        );
    }
    info.into()
}

fn user_info(user: &User) -> JsValue {
    let info = Object::new();
    set(&info, "id", user.id as f64);
    let texts = [
        ("uuid", &user.uuid),
        ("username", &user.username),
        ("email", &user.email),
        ("title", &user.title),
        ("thumb", &user.thumb),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            set(&info, key, value.as_str());
        }
    }
    if let Some(name) = user.display_name() {
        set(&info, "displayName", name);
    }
    if let Some(sub) = &user.subscription {
        let s = Object::new();
        set(&s, "active", sub.active);
        if let Some(status) = &sub.status {
            set(&s, "status", status.as_str());
        }
        if let Some(plan) = &sub.plan {
            set(&s, "plan", plan.as_str());
        }
        set(&info, "subscription", s);
    }
    info.into()
}

/// `PlexPinOptions`, in the order of the values the constructor takes: js/api.js's
/// `OPTIONS` (strings, then milliseconds, then booleans). By index, not by name: the names
/// would cost the module their texts and a property lookup each (220 B gzipped, measured).
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub(crate) enum Opt {
    Product,
    ClientId,
    Version,
    Platform,
    PlatformVersion,
    Device,
    DeviceName,
    Model,
    BaseUrl,
    AuthAppUrl,
    LinkPageUrl,
    ForwardUrl,
    RequestTimeoutMs,
    PollIntervalMs,
    LoginTimeoutMs,
    Link,
}

/// Applies one option to the configuration.
type Setter = fn(plex_pin::ConfigBuilder, String) -> plex_pin::ConfigBuilder;

struct Inner {
    config: Config,
    /// Each request's timeout.
    timeout: Duration,
    options: LoginOptions,
    forward_url: Option<ForwardUrl>,
}

/// Signs a user in to Plex.tv with a PIN, from JavaScript: each call returns a [`Task`]
/// that `js/api.js` runs.
#[wasm_bindgen(js_name = PlexPinClient)]
pub struct JsClient(Rc<Inner>);

#[wasm_bindgen(js_class = PlexPinClient)]
impl JsClient {
    /// Validates the options; throws an `INVALID_OPTIONS` error for a bad value. `options`
    /// holds `PlexPinOptions`' values in js/api.js's `OPTIONS` order (`Opt`), their types
    /// checked there.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Array) -> Result<JsClient, JsValue> {
        let string = |at: Opt| options.get(at as u32).as_string();
        let number = |at: Opt| options.get(at as u32).as_f64();
        let client_id = match string(Opt::ClientId) {
            Some(id) => ClientId::new(id).map_err(invalid)?,
            // The JS API (js/api.js) makes one with the browser's crypto when none is
            // given: Rust's UUID generator would cost the module a kilobyte.
            None => return Err(invalid("clientId is required")),
        };
        let product = string(Opt::Product).unwrap_or_default();
        let mut builder = Config::builder(product, client_id);
        let setters: [(Opt, Setter); 9] = [
            (Opt::Version, |b, v| b.version(v)),
            (Opt::Platform, |b, v| b.platform(v)),
            (Opt::PlatformVersion, |b, v| b.platform_version(v)),
            (Opt::Device, |b, v| b.device(v)),
            (Opt::DeviceName, |b, v| b.device_name(v)),
            (Opt::Model, |b, v| b.model(v)),
            (Opt::BaseUrl, |b, v| b.base_url(v)),
            (Opt::AuthAppUrl, |b, v| b.auth_app_url(v)),
            (Opt::LinkPageUrl, |b, v| b.link_page_url(v)),
        ];
        for (at, apply) in setters {
            if let Some(value) = string(at) {
                builder = apply(builder, value);
            }
        }
        let config = builder.build().map_err(invalid)?;
        let forward_url = string(Opt::ForwardUrl)
            .map(|u| ForwardUrl::parse(&u))
            .transpose()
            .map_err(invalid)?;
        let mut pin = if options.get(Opt::Link as u32).as_bool() == Some(true) {
            PinOptions::link()
        } else {
            PinOptions::strong()
        };
        if let Some(forward) = &forward_url {
            pin = pin.with_forward_url(forward.clone());
        }
        let mut login = LoginOptions::default().with_pin(pin);
        if let Some(interval) = millis(number(Opt::PollIntervalMs)) {
            login = login.with_poll_interval(interval.max(Duration::from_millis(50)));
        }
        if let Some(timeout) = millis(number(Opt::LoginTimeoutMs)) {
            login = login.with_timeout(timeout);
        }
        let timeout = millis(number(Opt::RequestTimeoutMs)).unwrap_or(drive::DEFAULT_TIMEOUT);
        Ok(JsClient(Rc::new(Inner {
            config,
            timeout,
            options: login,
            forward_url,
        })))
    }

    /// The Auth App URL for a strong code (with the `forwardUrl` option, if set).
    #[wasm_bindgen(js_name = authUrl)]
    pub fn auth_url(&self, code: &str) -> String {
        auth_url(&self.0.config, code, self.0.forward_url.as_ref())
    }

    /// Creates a pin without waiting for it (for the forwarding flow: store `id`, send the
    /// user to `url`, then call `checkPin(id)` when the browser comes back). Ends in a
    /// `PinInfo`.
    #[wasm_bindgen(js_name = createPin)]
    pub fn create_pin(&self) -> Task {
        let inner = Rc::clone(&self.0);
        self.task(move |io| async move {
            let config = &inner.config;
            let pin = io.call(Call::create_pin(config, &inner.options.pin)).await;
            let pin = pin.map_err(to_js)?;
            let url = match pin.kind() {
                PinKind::Link => plex_pin::link_url(config, &pin.code),
                _ => auth_url(config, &pin.code, inner.forward_url.as_ref()),
            };
            Ok(pin_info(&pin, &url))
        })
    }

    /// Checks a pin once: ends in the token once approved, `null` before.
    #[wasm_bindgen(js_name = checkPin)]
    pub fn check_pin(&self, id: f64) -> Result<Task, JsValue> {
        if !(id.is_finite() && id >= 0.0 && id.fract() == 0.0) {
            return Err(invalid("pin id must be a non-negative integer"));
        }
        let call = Call::check_pin(&self.0.config, id as u64);
        Ok(self.task(move |io| async move {
            let pin = io.call(call).await.map_err(to_js)?;
            Ok(pin
                .auth_token
                .map_or(JsValue::NULL, |t| t.expose_secret().into()))
        }))
    }

    /// Checks a token: ends in the account; `UNAUTHORIZED` if it is not valid.
    pub fn user(&self, token: String) -> Result<Task, JsValue> {
        let token = Token::new(&token).map_err(|e| error("UNAUTHORIZED", &e.to_string()))?;
        let call = Call::user(&self.0.config, &token);
        Ok(self.task(move |io| async move {
            let user = io.call(call).await.map_err(to_js)?;
            Ok(user_info(&user))
        }))
    }

    /// The whole sign-in: ends in the token. `onPin(pin)` is called once with the code
    /// and URL to show; `onProgress(progress)` about once per poll.
    pub fn login(&self, on_pin: Option<Function>, on_progress: Option<Function>) -> Task {
        let login = plex_pin::PinLogin::new(&self.0.config, self.0.options.clone());
        self.run(login, on_pin, on_progress)
    }

    /// Waits on a pin created earlier (a page reloaded mid-login), with the same polling,
    /// backoff and deadlines as `login`: `code` and `expiresAt` are the stored `PinInfo`'s
    /// (an empty code and 0 if only the id was kept). Ends in the token.
    #[wasm_bindgen(js_name = waitForPin)]
    pub fn wait_for_pin(
        &self,
        id: f64,
        code: String,
        #[wasm_bindgen(js_name = expiresAt)] expires_at: f64,
        #[wasm_bindgen(js_name = onProgress)] on_progress: Option<Function>,
    ) -> Result<Task, JsValue> {
        let config = &self.0.config;
        let saved = SavedPin::new(id as u64, code, config.client_id(), expires_at as u64);
        let options = self.0.options.clone();
        // Saved under this client's own identifier: resume cannot refuse it.
        let login = plex_pin::PinLogin::resume(config, options, &saved);
        Ok(self.run(login.map_err(plex)?, None, on_progress))
    }

    /// The JWT sign-in (the `jwt` build, `plex-pin-wasm/jwt`): like `login`, with every
    /// poll signed by the device key whose 32-byte seed is `seed`; ends in a Plex JWT.
    #[cfg(feature = "jwt")]
    #[wasm_bindgen(js_name = loginJwt)]
    pub fn login_jwt(
        &self,
        seed: &[u8],
        #[wasm_bindgen(js_name = onPin)] on_pin: Option<Function>,
        #[wasm_bindgen(js_name = onProgress)] on_progress: Option<Function>,
    ) -> Result<Task, JsValue> {
        let key = device_key(seed)?;
        let options = self.0.options.clone();
        let login = plex_pin::PinLogin::with_device_key(&self.0.config, options, key);
        Ok(self.run(login, on_pin, on_progress))
    }

    /// `waitForPin` for a pin the JWT sign-in created (the `jwt` build): its polls are
    /// signed with the device key whose seed is `seed`, as `loginJwt`'s were.
    #[cfg(feature = "jwt")]
    #[wasm_bindgen(js_name = waitForPinJwt)]
    pub fn wait_for_pin_jwt(
        &self,
        id: f64,
        code: String,
        #[wasm_bindgen(js_name = expiresAt)] expires_at: f64,
        seed: &[u8],
        #[wasm_bindgen(js_name = onProgress)] on_progress: Option<Function>,
    ) -> Result<Task, JsValue> {
        let key = device_key(seed)?;
        let config = &self.0.config;
        let saved = SavedPin::new(id as u64, code, config.client_id(), expires_at as u64);
        let options = self.0.options.clone();
        let login = plex_pin::PinLogin::resume_with_device_key(config, options, &saved, key);
        Ok(self.run(login.map_err(plex)?, None, on_progress))
    }

    /// A new Plex JWT for the device whose key's seed is `seed` (the `jwt` build).
    #[cfg(feature = "jwt")]
    pub fn refresh(&self, seed: &[u8]) -> Result<Task, JsValue> {
        let key = device_key(seed)?;
        let refresh = plex_pin::JwtRefresh::new(&self.0.config, key);
        Ok(self.task(move |io| async move {
            let token = io.run(refresh, |_| {}).await.map_err(to_js)?;
            Ok(token.expose_secret().into())
        }))
    }
}

impl JsClient {
    /// A task over a transport with this client's request timeout.
    fn task<W>(&self, work: impl FnOnce(Io) -> W) -> Task
    where
        W: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        let io = Io::new(self.0.timeout);
        Task::new(io.clone(), work(io))
    }

    // Not inlined: its async body would be copied into every caller.
    #[inline(never)]
    fn run(
        &self,
        login: plex_pin::PinLogin,
        on_pin: Option<Function>,
        on_progress: Option<Function>,
    ) -> Task {
        self.task(move |io| async move {
            let call = |f: &Option<Function>, value: JsValue| {
                if let Some(f) = f {
                    // js/api.js's callbacks catch what the caller's throw, and end the task.
                    let _ = f.call1(&JsValue::UNDEFINED, &value);
                }
            };
            let progress = |deadline: Option<Instant>, failures: u32| {
                let info = Object::new();
                if let Some(deadline) = deadline {
                    let left = deadline.saturating_duration_since(Instant::now());
                    set(&info, "secondsLeft", left.as_secs() as f64);
                }
                set(&info, "failures", failures);
                info.into()
            };
            let result = io
                .run(login, |event| match event {
                    Event::PinReady { pin, url, .. } => call(&on_pin, pin_info(pin, url)),
                    Event::Waiting { deadline, .. } => call(&on_progress, progress(deadline, 0)),
                    Event::Retrying {
                        attempt, deadline, ..
                    } => call(&on_progress, progress(deadline, attempt)),
                    _ => {}
                })
                .await;
            Ok(result.map_err(to_js)?.expose_secret().into())
        })
    }
}

fn plex(error: plex_pin::Error) -> JsValue {
    to_js(Error::Plex(error))
}

/// The device key of a 32-byte seed.
#[cfg(feature = "jwt")]
fn device_key(seed: &[u8]) -> Result<plex_pin::jwt::DeviceKey, JsValue> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| invalid("the device key is 32 bytes"))?;
    Ok(plex_pin::jwt::DeviceKey::from_seed(seed))
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::Opt;

    /// js/api.js's `OPTIONS`: its `STRING`, `MILLIS` and `BOOLEAN` lists, joined.
    fn api_js_options() -> Vec<String> {
        let api = include_str!("../js/api.js");
        let list = |start: &str| {
            let (_, rest) = api.split_once(start).expect("the list is in js/api.js");
            let (items, _) = rest.split_once("];").expect("the list ends");
            items
                .split(',')
                .map(|item| item.trim().trim_matches('\'').to_owned())
                .collect::<Vec<_>>()
        };
        let lists = ["const STRING = [", "const MILLIS = [", "const BOOLEAN = ["];
        lists.into_iter().flat_map(list).collect()
    }

    /// The constructor reads each value where js/api.js puts it: a reordered list on either
    /// side would set one option from another's value.
    #[wasm_bindgen_test]
    fn options_are_read_in_the_order_js_api_sends_them() {
        let ours = [
            (Opt::Product, "product"),
            (Opt::ClientId, "clientId"),
            (Opt::Version, "version"),
            (Opt::Platform, "platform"),
            (Opt::PlatformVersion, "platformVersion"),
            (Opt::Device, "device"),
            (Opt::DeviceName, "deviceName"),
            (Opt::Model, "model"),
            (Opt::BaseUrl, "baseUrl"),
            (Opt::AuthAppUrl, "authAppUrl"),
            (Opt::LinkPageUrl, "linkPageUrl"),
            (Opt::ForwardUrl, "forwardUrl"),
            (Opt::RequestTimeoutMs, "requestTimeoutMs"),
            (Opt::PollIntervalMs, "pollIntervalMs"),
            (Opt::LoginTimeoutMs, "loginTimeoutMs"),
            (Opt::Link, "link"),
        ];
        let theirs = api_js_options();
        assert_eq!(theirs.len(), ours.len(), "{theirs:?}");
        for (opt, name) in ours {
            assert_eq!(theirs[opt as usize], name, "{opt:?}");
        }
    }
}
