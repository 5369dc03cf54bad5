//! The conformance scenarios over `fetch`, in node and in headless Chromium.
//!
//! Run by scripts/wasm-tests, which starts one emulator and builds these tests with its URL
//! in `PLEX_PIN_EMULATOR_URL`. The scenarios share that emulator, so each uses its own
//! client identifier and scopes its faults to it; approvals, denials and faults go through
//! the emulator's `/emulator/*` control routes.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use js_sys::{Function, Reflect};
use plex_pin::{ClientId, Config, Error as Plex, ExpiredBy, LoginOptions, PinOptions, Token};
use plex_pin_wasm::{Client, Error};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn emulator() -> &'static str {
    match option_env!("PLEX_PIN_EMULATOR_URL") {
        Some(url) => url,
        None => {
            panic!("build these tests through scripts/wasm-tests, which sets PLEX_PIN_EMULATOR_URL")
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &str, init: &JsValue) -> js_sys::Promise;
}

/// POSTs `form`'s fields (`id=1&code=ABCD`) as the JSON object the emulator's control
/// routes take, and returns the JSON answer.
async fn control(route: &str, form: &str) -> JsValue {
    let fields = js_sys::Object::new();
    for pair in form.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        Reflect::set(&fields, &key.into(), &value.into()).unwrap();
    }
    let body = js_sys::JSON::stringify(&fields).unwrap();
    let init = js_sys::Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into()).unwrap();
    Reflect::set(&init, &"body".into(), &body).unwrap();
    let headers = js_sys::Object::new();
    Reflect::set(&headers, &"content-type".into(), &"application/json".into()).unwrap();
    Reflect::set(&init, &"headers".into(), &headers).unwrap();
    let url = format!("{}/emulator/{route}", emulator());
    let response: web_sys::Response = JsFuture::from(global_fetch(&url, &init))
        .await
        .unwrap()
        .unchecked_into();
    JsFuture::from(response.json().unwrap()).await.unwrap()
}

fn spawn_control(route: &'static str, form: String) {
    wasm_bindgen_futures::spawn_local(async move {
        control(route, &form).await;
    });
}

/// A client with a fresh identifier, so scenarios sharing the emulator stay apart.
fn client(timeout_ms: u64) -> (Client, String) {
    let id = ClientId::generate();
    let config = Config::builder("plex-pin wasm conformance", id.clone())
        .device_name("Headless Browser")
        .server(emulator())
        .build()
        .unwrap();
    (
        Client::new(config).with_timeout(Duration::from_millis(timeout_ms)),
        id.to_string(),
    )
}

fn fast() -> LoginOptions {
    LoginOptions::default()
        .with_poll_interval(Duration::from_millis(50))
        .with_max_consecutive_failures(3)
        .with_timeout(Duration::from_secs(15))
}

async fn fault(client_id: &str, spec: &str) {
    control("fault", &format!("route=check&client={client_id}&{spec}")).await;
}

fn plex(result: Result<impl std::fmt::Debug, Error>) -> Plex {
    match result {
        Err(Error::Plex(e)) => e,
        other => panic!("expected a plex.tv error, got {other:?}"),
    }
}

async fn approved_login(client: &Client, options: LoginOptions) -> Result<Token, Error> {
    client
        .login(options, |pin, url| {
            assert!(url.starts_with(emulator()), "{url}");
            spawn_control("approve", format!("id={}", pin.id));
        })
        .await
}

#[wasm_bindgen_test]
async fn login_approved_and_token_checks_valid() {
    let (client, _) = client(2000);
    let token = approved_login(&client, fast()).await.unwrap();
    let user = client.user(&token).await.unwrap();
    assert_eq!(user.username.as_deref(), Some("emulated-user"));
}

#[wasm_bindgen_test]
async fn login_link_code() {
    let (client, _) = client(2000);
    let token = approved_login(&client, fast().with_pin(PinOptions::link()))
        .await
        .unwrap();
    assert_eq!(token.expose_secret().len(), 20);
}

#[wasm_bindgen_test]
async fn login_denied() {
    let (client, _) = client(2000);
    let result = client
        .login(fast(), |pin, _| {
            spawn_control("deny", format!("id={}", pin.id))
        })
        .await;
    assert_eq!(
        plex(result),
        Plex::PinExpired {
            by: ExpiredBy::Server
        }
    );
}

#[wasm_bindgen_test]
async fn login_expired() {
    let (client, _) = client(2000);
    let result = client
        .login(fast(), |pin, _| {
            spawn_control("expire", format!("id={}", pin.id))
        })
        .await;
    assert!(matches!(plex(result), Plex::PinExpired { .. }));
}

#[wasm_bindgen_test]
async fn login_caller_timeout() {
    let (client, _) = client(2000);
    let result = client
        .login(fast().with_timeout(Duration::from_millis(300)), |_, _| {})
        .await;
    assert_eq!(plex(result), Plex::TimedOut);
}

#[wasm_bindgen_test]
async fn client_identifier_mismatch() {
    let (creator, _) = client(2000);
    let (other, _) = client(2000);
    let pin = creator.create_pin(&PinOptions::strong()).await.unwrap();
    assert_eq!(pin.code.len(), 25);
    assert!(creator
        .check_pin(pin.id)
        .await
        .unwrap()
        .auth_token
        .is_none());
    assert_eq!(
        plex(other.check_pin(pin.id).await),
        Plex::PinExpired {
            by: ExpiredBy::Server
        }
    );
}

#[wasm_bindgen_test]
async fn token_check_valid_invalid_revoked() {
    let (client, _) = client(2000);
    let issued = control("issue-token", "").await;
    let raw = Reflect::get(&issued, &"token".into())
        .unwrap()
        .as_string()
        .unwrap();
    let token = Token::new(&raw).unwrap();
    assert_eq!(client.user(&token).await.unwrap().id, 4_242_424);
    let unknown = Token::new("not-a-real-token").unwrap();
    assert!(
        matches!(plex(client.user(&unknown).await), Plex::Unauthorized { status } if status == 401)
    );
    control("revoke", &format!("token={raw}")).await;
    assert!(
        matches!(plex(client.user(&token).await), Plex::Unauthorized { status } if status == 422)
    );
}

#[wasm_bindgen_test]
async fn rate_limited_with_retry_after_recovers() {
    let (client, id) = client(2000);
    fault(&id, "fault=429:1&times=2").await;
    let started = web_time::Instant::now();
    approved_login(&client, fast()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After honoured twice"
    );
}

#[wasm_bindgen_test]
async fn rate_limited_forever_gives_up() {
    let (client, id) = client(2000);
    fault(&id, "fault=429").await;
    assert_eq!(
        plex(client.login(fast(), |_, _| {}).await),
        Plex::RateLimited { retry_after: None }
    );
}

#[wasm_bindgen_test]
async fn server_errors_give_up() {
    for (spec, status) in [("fault=500", 500), ("fault=502", 502)] {
        let (client, id) = client(2000);
        fault(&id, spec).await;
        match plex(client.login(fast(), |_, _| {}).await) {
            Plex::UnexpectedStatus { status: s, .. } => assert_eq!(s, status),
            other => panic!("{other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn transient_errors_recover() {
    let (client, id) = client(2000);
    fault(&id, "fault=500&times=2").await;
    approved_login(&client, fast()).await.unwrap();
}

#[wasm_bindgen_test]
async fn malformed_json_and_xml_give_up() {
    let (client, id) = client(2000);
    fault(&id, "fault=malformed").await;
    assert!(matches!(
        plex(client.login(fast(), |_, _| {}).await),
        Plex::Decode { .. }
    ));
    let (client, id) = self::client(2000);
    fault(&id, "fault=xml").await;
    assert!(matches!(
        plex(client.login(fast(), |_, _| {}).await),
        Plex::NotJson { .. }
    ));
}

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

#[wasm_bindgen_test]
async fn oversized_body_is_refused_unread() {
    let (client, id) = client(5000);
    fault(&id, "fault=oversized").await;
    let before = wasm_memory_bytes();
    let result = client.login(fast(), |_, _| {}).await;
    assert!(
        matches!(result, Err(Error::BodyTooLarge { limit: 65536 })),
        "{result:?}"
    );
    let grew = wasm_memory_bytes() - before;
    assert!(
        grew < 2.0 * 1024.0 * 1024.0,
        "wasm memory grew by {grew} bytes for a 10 MB body"
    );
}

#[wasm_bindgen_test]
async fn slow_answer_times_out() {
    let (client, id) = client(300);
    fault(&id, "fault=slow:3000").await;
    let started = web_time::Instant::now();
    let result = client.login(fast(), |_, _| {}).await;
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[wasm_bindgen_test]
async fn dropped_connection_gives_up() {
    let (client, id) = client(2000);
    fault(&id, "fault=drop").await;
    let result = client.login(fast(), |_, _| {}).await;
    assert!(matches!(result, Err(Error::Network(_))), "{result:?}");
}

#[wasm_bindgen_test]
async fn redirect_is_not_followed() {
    let (client, id) = client(2000);
    fault(&id, "fault=redirect").await;
    let result = client.login(fast(), |_, _| {}).await;
    // Browsers hand back an opaque redirect; node's fetch the 302 itself. Neither follows it
    // to the target, which would answer with a token.
    match result {
        Err(Error::Redirect) => {}
        Err(Error::Plex(Plex::UnexpectedStatus { status, .. })) => assert_eq!(status, 302),
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test]
async fn unreachable_server_is_a_network_error() {
    let config = Config::builder("x", ClientId::generate())
        .base_url("http://127.0.0.1:1")
        .build()
        .unwrap();
    let result = Client::new(config).create_pin(&PinOptions::strong()).await;
    assert!(matches!(result, Err(Error::Network(_))), "{result:?}");
}

/// The JS API end to end: options object, onPin and onProgress callbacks, the token, and
/// `cancel()` rejecting a running login with code CANCELLED.
#[wasm_bindgen_test]
async fn js_api_login_and_cancel() {
    let options = js_sys::Object::new();
    for (key, value) in [
        ("product", "plex-pin JS API test"),
        ("baseUrl", emulator()),
        ("authAppUrl", &format!("{}/auth", emulator())),
    ] {
        Reflect::set(&options, &key.into(), &value.into()).unwrap();
    }
    Reflect::set(&options, &"pollIntervalMs".into(), &100.into()).unwrap();
    let client = plex_pin_wasm::js::JsClient::new(options.clone().into()).unwrap();
    assert_eq!(client.client_id().len(), 36);

    let progress_calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = progress_calls.clone();
    let on_pin = Closure::<dyn FnMut(JsValue)>::new(|pin: JsValue| {
        let url = Reflect::get(&pin, &"url".into())
            .unwrap()
            .as_string()
            .unwrap();
        assert!(url.contains("/auth#?clientID="), "{url}");
        let id = Reflect::get(&pin, &"id".into()).unwrap().as_f64().unwrap();
        // Approve after a few polls, so progress is reported.
        wasm_bindgen_futures::spawn_local(async move {
            plex_pin_wasm_sleep(350).await;
            control("approve", &format!("id={id}")).await;
        });
    });
    let on_progress = Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| {
        assert!(
            Reflect::get(&p, &"secondsLeft".into())
                .unwrap()
                .as_f64()
                .unwrap()
                > 0.0
        );
        counter.set(counter.get() + 1);
    });
    let token = JsFuture::from(client.login(
        Some(on_pin.as_ref().unchecked_ref::<Function>().clone()),
        Some(on_progress.as_ref().unchecked_ref::<Function>().clone()),
    ))
    .await
    .unwrap();
    assert_eq!(token.as_string().unwrap().len(), 20);
    assert!(progress_calls.get() >= 2, "{}", progress_calls.get());
    let user = JsFuture::from(client.user(token.as_string().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        Reflect::get(&user, &"displayName".into()).unwrap(),
        "Emulated User"
    );

    // cancel() ends a login that nobody approves, at once.
    let waiting = client.login(None, None);
    client.cancel();
    let error = JsFuture::from(waiting).await.unwrap_err();
    assert_eq!(Reflect::get(&error, &"code".into()).unwrap(), "CANCELLED");

    // Bad options are refused up front with a typed error.
    Reflect::set(&options, &"baseUrl".into(), &"http://plex.tv".into()).unwrap();
    let error = plex_pin_wasm::js::JsClient::new(options.into())
        .err()
        .unwrap();
    assert_eq!(
        Reflect::get(&error, &"code".into()).unwrap(),
        "INVALID_OPTIONS"
    );
}

async fn plex_pin_wasm_sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: Function = Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &ms.into())
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// A signed-in account approves another device's 4-character code; that login completes.
#[wasm_bindgen_test]
async fn link_a_code_from_a_signed_in_account() {
    let (device, _) = client(2000);
    let (phone, _) = client(2000);
    let issued = control("issue-token", "").await;
    let account = Token::new(
        Reflect::get(&issued, &"token".into())
            .unwrap()
            .as_string()
            .unwrap(),
    )
    .unwrap();
    let token = device
        .login(fast().with_pin(PinOptions::link()), move |pin, _| {
            let (phone, account, code) = (phone.clone(), account.clone(), pin.code.clone());
            wasm_bindgen_futures::spawn_local(async move {
                phone.link_pin(&account, &code).await.unwrap();
            });
        })
        .await
        .unwrap();
    assert_eq!(token.expose_secret().len(), 20);
}

#[cfg(feature = "jwt")]
mod jwt {
    use super::*;
    use plex_pin::jwt::{verify_jwt, DeviceClaims, DeviceKey, PlexClaims};
    use plex_pin::{request, response};

    fn random_key() -> DeviceKey {
        DeviceKey::from_seed(std::array::from_fn(|_| {
            (js_sys::Math::random() * 256.0) as u8
        }))
    }

    fn unix_now() -> u64 {
        (js_sys::Date::now() / 1000.0) as u64
    }

    #[wasm_bindgen_test]
    async fn jwt_login_and_refresh() {
        let (client, id) = client(2000);
        let key = random_key();
        let token = client
            .login_jwt(fast(), &key, |pin, _| {
                spawn_control("approve", format!("id={}", pin.id))
            })
            .await
            .unwrap();
        let keys = client.plex_keys().await.unwrap();
        assert!(keys.len() >= 2);
        let claims: PlexClaims = verify_jwt(token.expose_secret(), &keys).unwrap();
        claims
            .check(&ClientId::new(id).unwrap(), &key, unix_now())
            .unwrap();
        assert_eq!(client.user(&token).await.unwrap().id, 4_242_424);
        let refreshed = client.refresh(&key).await.unwrap();
        assert_ne!(refreshed.expose_secret(), token.expose_secret());
        verify_jwt::<PlexClaims>(refreshed.expose_secret(), &keys).unwrap();
        assert!(matches!(
            client.refresh(&random_key()).await,
            Err(Error::Plex(Plex::SignatureRejected))
        ));
    }

    #[wasm_bindgen_test]
    async fn jwt_forged_expired_and_replayed_are_refused() {
        let (client, id) = client(2000);
        let config = client.config().clone();
        let id = ClientId::new(id).unwrap();
        let key = random_key();
        let send = |r| client.send(r);
        let pin = response::pin(
            &send(request::create_pin_with_key(
                &config,
                &PinOptions::strong(),
                key.jwk(),
            ))
            .await
            .unwrap(),
        )
        .unwrap();
        let nonce = response::nonce(&send(request::nonce(&config)).await.unwrap()).unwrap();
        let check = |jwt| request::check_pin_with_jwt(&config, pin.id, &jwt);
        let good = key.device_jwt(&DeviceClaims::new(&id, &nonce, unix_now()));
        assert!(response::pin(&send(check(good)).await.unwrap()).is_ok());
        let forged = random_key().device_jwt(&DeviceClaims::new(&id, &nonce, unix_now()));
        assert_eq!(
            response::pin(&send(check(forged)).await.unwrap()).unwrap_err(),
            Plex::SignatureRejected
        );
        let expired = key.device_jwt(&DeviceClaims::new(&id, &nonce, unix_now() - 3600));
        assert_eq!(
            response::pin(&send(check(expired)).await.unwrap()).unwrap_err(),
            Plex::SignatureRejected
        );

        let issued = control("issue-token", "").await;
        let legacy = Token::new(
            Reflect::get(&issued, &"token".into())
                .unwrap()
                .as_string()
                .unwrap(),
        )
        .unwrap();
        client.register_key(&legacy, &key).await.unwrap();
        let fresh = response::nonce(&send(request::nonce(&config)).await.unwrap()).unwrap();
        let exchange = key.device_jwt(&DeviceClaims::new(&id, &fresh, unix_now()));
        response::auth_token(
            &send(request::exchange_jwt(&config, &exchange))
                .await
                .unwrap(),
        )
        .unwrap();
        let replay = response::auth_token(
            &send(request::exchange_jwt(&config, &exchange))
                .await
                .unwrap(),
        );
        assert_eq!(replay.unwrap_err(), Plex::SignatureRejected);
    }
}
