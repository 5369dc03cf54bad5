//! The proxy rule of `plex_pin::proxy`, checked on plex-pin-ureq (hyper's and reqwest's are in
//! their crates' tests: a whole login through a tunnel, and the environment) against a logging
//! proxy on 127.0.0.2 (it stands for another host): requests to loopback never go through
//! it, whichever variable names it, and an https request to another host goes through it
//! only as a `CONNECT` that carries no token.
//!
//! The settings come from `Proxy::from_vars`, never from this process's environment (tests
//! run in parallel threads). A transport takes part with a [`Fetch`] and one
//! `proxy_cases!` line.

use std::time::Duration;

use plex_pin::proxy::Proxy;
use plex_pin::{Call, ClientId, Config, Token};
use plex_pin_conformance::proxy::LoggingProxy;
use plex_pin_emulator::{Emulator, Options};

/// A token no proxy may ever read.
const TOKEN: &str = "proxy-must-not-see-this";

/// The variables a proxy can be named by, in both cases (`HTTP_PROXY` is never read).
const VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// One transport's part: sends `Call::user` with [`TOKEN`] to `base_url`, through a client
/// configured with `proxy`, and says whether an answer came back.
type Fetch = fn(base_url: &str, proxy: Proxy) -> Result<(), String>;

macro_rules! proxy_cases {
    ($transport:ident, $fetch:expr) => {
        mod $transport {
            #[test]
            fn loopback_goes_direct_whichever_variable_names_a_proxy() {
                super::loopback_goes_direct($fetch);
            }

            #[test]
            fn https_to_another_host_is_a_connect_that_carries_no_token() {
                super::https_goes_through_connect_without_the_token($fetch);
            }

            #[test]
            fn an_explicit_proxy_replaces_the_environment_under_the_same_rule() {
                super::explicit_replaces_the_environment($fetch);
            }
        }
    };
}

proxy_cases!(ureq, super::fetch_ureq);

fn fetch_ureq(base_url: &str, proxy: Proxy) -> Result<(), String> {
    let config = config(base_url);
    let client = plex_pin_ureq::Client::builder(config.clone())
        .timeout(Duration::from_secs(5))
        .proxy(proxy)
        .build()
        .map_err(|e| e.to_string())?;
    let token = Token::new(TOKEN).unwrap();
    client
        .call(Call::user(&config, &token))
        .map(drop)
        .map_err(|e| e.to_string())
}

fn config(base_url: &str) -> Config {
    Config::builder("plex-pin proxy", ClientId::new("proxy-client").unwrap())
        .server(base_url)
        .build()
        .unwrap()
}

/// The emulator answers [`TOKEN`] with 401: an answer as good as any here, where what
/// matters is who received the request.
fn emulator() -> Emulator {
    Emulator::start(Options::default()).unwrap()
}

fn loopback_goes_direct(fetch: Fetch) {
    let emulator = emulator();
    let proxy = LoggingProxy::start().unwrap();
    for variable in VARIABLES {
        let settings = Proxy::from_vars(|name| (name == variable).then(|| proxy.url().to_owned()));
        let settings = settings.unwrap();
        let answered = fetch(emulator.url(), settings.clone());
        // The emulator answers 401 for a token it did not issue: it was reached.
        assert!(
            answered.as_ref().is_err_and(|e| e.contains("401")),
            "{variable}: {answered:?}"
        );
        // https to loopback goes direct too (nothing listens on port 1).
        assert!(fetch("https://127.0.0.1:1", settings).is_err());
    }
    assert_eq!(proxy.log(), Vec::<String>::new(), "the proxy saw requests");
    assert_eq!(emulator.stats().on_route("user").count(), VARIABLES.len());
}

fn https_goes_through_connect_without_the_token(fetch: Fetch) {
    let proxy = LoggingProxy::start().unwrap();
    for variable in &VARIABLES[2..] {
        let settings = Proxy::from_vars(|name| (name == *variable).then(|| proxy.url().to_owned()));
        let failed = fetch("https://plex.test", settings.unwrap());
        assert!(failed.is_err(), "{variable}: the proxy answers 502");
    }
    let log = proxy.log();
    assert_eq!(log.len(), 4, "one CONNECT per variable: {log:#?}");
    for head in &log {
        assert!(
            head.starts_with("CONNECT plex.test:443 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(!head.contains(TOKEN), "{head}");
        assert!(!head.to_ascii_lowercase().contains("x-plex"), "{head}");
    }
}

fn explicit_replaces_the_environment(fetch: Fetch) {
    let emulator = emulator();
    let proxy = LoggingProxy::start().unwrap();
    let explicit = || Proxy::url(proxy.url()).unwrap();
    let answered = fetch(emulator.url(), explicit());
    assert!(
        answered.as_ref().is_err_and(|e| e.contains("401")),
        "{answered:?}"
    );
    assert!(
        proxy.log().is_empty(),
        "loopback goes direct: {:?}",
        proxy.log()
    );
    assert!(fetch("https://plex.test", explicit()).is_err());
    let log = proxy.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].starts_with("CONNECT plex.test:443 "), "{log:?}");
}
