//! The JavaScript API: `PlexPinClient`, for web apps with no Rust of their own.
//!
//! Exported to JS by wasm-bindgen and run by the npm package's `js/api.js` (its types are
//! the package's `index.d.ts`); what crosses between the two is js/contract.js's. Rust
//! callers use [`Client`](crate::Client) instead.

use std::rc::Rc;
use std::time::Duration;

use js_sys::{Array, Function, Object, Reflect};
use plex_pin::limits::MIN_POLL_INTERVAL;
use plex_pin::{
    approval_url, auth_url, ClientId, Config, ExpiredBy, ForwardUrl, LoginOptions, Pin, PinKind,
    PinOptions, Token, User,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use plex_pin::drive::{self, Event};
use plex_pin::{Call, Instant, SavedPin, TransportErrorKind as Kind};

use crate::contract::Opt;
use crate::task::Io;
pub use crate::task::Task;
use crate::wire::unix_now;
pub use crate::wire::Headers;
use crate::Error;

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
/// number). Not `Duration::try_from_secs_f64` (size rule S7).
fn millis(value: Option<f64>) -> Option<Duration> {
    value
        .filter(|ms| *ms >= 0.0)
        .map(|ms| Duration::from_millis(ms as u64))
}

fn pin_info(pin: &Pin, url: &str, saved: &SavedPin) -> JsValue {
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
    }
    // What waitForPin needs after a reload: an absolute time survives storage. The core's
    // (the pin's clamped life on the loop's wall clock), as every transport's saved pin.
    if saved.expires_at > 0 {
        set(&info, "expiresAt", saved.expires_at as f64);
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

/// The refusal of a `pollIntervalMs` under the core's floor, which it names: written out,
/// not formatted (59 B gzipped), and held to the core's value when it compiles.
const POLL_FLOOR: &str = "option `pollIntervalMs` must be at least 50 (milliseconds)";
const _: () = assert!(
    MIN_POLL_INTERVAL.as_millis() == 50,
    "POLL_FLOOR names the floor"
);

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
    /// holds `PlexPinOptions`' values in js/contract.js's `OPTIONS` order (`Opt`), their
    /// types checked by js/api.js.
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
            // The core would raise it to its floor without a word: refused instead.
            if interval < MIN_POLL_INTERVAL {
                return Err(invalid(POLL_FLOOR));
            }
            login = login.with_poll_interval(interval);
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
            let url = approval_url(config, &pin, inner.forward_url.as_ref());
            let expires_at = unix_now().saturating_add(pin.lifetime().as_secs());
            let saved = SavedPin::new(pin.id, pin.code.clone(), config.client_id(), expires_at);
            Ok(pin_info(&pin, &url, &saved))
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
            // Failures in a row, as the core counts them: each retry reports its count, and
            // a wait (reported once, however early a timer fires) follows an answer that
            // ended the streak.
            let result = io
                .run(login, |event| match event {
                    Event::PinReady {
                        pin, url, saved, ..
                    } => call(&on_pin, pin_info(pin, url, saved)),
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
