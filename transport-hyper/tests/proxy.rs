//! The proxy rule of `plex_pin::proxy` in plex-pin-hyper, against a logging proxy on
//! 127.0.0.2 (standing for another host): loopback and plain http never reach it, whatever
//! variable names it; https to another host goes through it as a `CONNECT` tunnel, and the
//! token never crosses it in clear text.

mod support;

use std::time::Duration;

use plex_pin::proxy::Proxy;
use plex_pin::{Call, ClientId, Config, LoginOptions, Token, TransportErrorKind};
use plex_pin_emulator::{Emulator, Options};
use support::{cert, logging_proxy, tls_server, Connect};

const TOKEN: &str = "tok-SECRET-never-through-a-proxy";

fn config(base_url: &str) -> Config {
    Config::builder("plex-pin hyper proxy", ClientId::new("proxy-test").unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

/// The variables `name` alone set to `value`.
fn only(name: &'static str, value: String) -> impl Fn(&str) -> Option<String> {
    move |asked| (asked == name).then(|| value.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_loopback_never_reaches_the_proxy_whatever_names_it() {
    let proxy = logging_proxy(Connect::Refuse, None).await;
    let emulator = Emulator::start(Options::default()).unwrap();
    let token = Token::new(TOKEN).unwrap();
    let names = [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ];
    for (n, name) in names.into_iter().enumerate() {
        let client = plex_pin_hyper::Client::builder(config(emulator.url()))
            .proxy(Proxy::from_vars(only(name, proxy.url())).unwrap())
            .build()
            .unwrap();
        // Answered by the emulator (401 for an unknown token): it went direct.
        let answer = client.call(Call::user(client.config(), &token)).await;
        assert!(answer.unwrap_err().plex().is_some(), "{name}");
        assert_eq!(emulator.stats().count("user"), n as u64 + 1, "{name}");
    }
    // And an explicit proxy is held to the same rule.
    let client = plex_pin_hyper::Client::builder(config(emulator.url()))
        .proxy(Proxy::url(&proxy.url()).unwrap())
        .build()
        .unwrap();
    let _ = client.call(Call::user(client.config(), &token)).await;
    assert_eq!(emulator.stats().count("user"), names.len() as u64 + 1);
    assert_eq!(proxy.heads(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_another_host_goes_through_the_proxy_as_connect_without_the_token() {
    let proxy = logging_proxy(Connect::Refuse, None).await;
    for name in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        let client = plex_pin_hyper::Client::builder(config("https://plex.test"))
            .proxy(Proxy::from_vars(only(name, proxy.url())).unwrap())
            .build()
            .unwrap();
        let token = Token::new(TOKEN).unwrap();
        let error = client
            .call(Call::user(client.config(), &token))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), Some(TransportErrorKind::Connect), "{error}");
        let message = error.to_string();
        assert!(
            message.contains(&format!("through the proxy {}", proxy.addr)),
            "{message}"
        );
        assert!(!message.contains(TOKEN), "{message}");
    }
    let heads = proxy.heads();
    assert_eq!(heads.len(), 4, "{heads:?}");
    for head in heads {
        assert!(
            head.starts_with("CONNECT plex.test:443 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(!head.contains(TOKEN), "{head}");
        assert!(!head.to_ascii_lowercase().contains("x-plex"), "{head}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_proxy_and_proxy_none_go_direct() {
    let proxy = logging_proxy(Connect::Refuse, None).await;
    // Nothing listens at plex.test: going direct fails to resolve it, or to connect.
    let vars = |name: &str| match name {
        "HTTPS_PROXY" => Some(proxy.url()),
        "NO_PROXY" => Some("example.org, .plex.test".to_owned()),
        _ => None,
    };
    for proxy_setting in [Proxy::from_vars(vars).unwrap(), Proxy::none()] {
        let client = plex_pin_hyper::Client::builder(config("https://plex.test"))
            .proxy(proxy_setting)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let error = client
            .call(Call::create_pin(client.config(), &Default::default()))
            .await
            .unwrap_err();
        assert!(!error.to_string().contains("through the proxy"), "{error}");
    }
    assert_eq!(proxy.heads(), Vec::<String>::new());
}

/// A whole login through the tunnel: the proxy relays TLS to a server for plex.test (which
/// forwards to the emulator), sees only the `CONNECT`, and none of what it relayed holds
/// the token in clear text.
#[tokio::test(flavor = "multi_thread")]
async fn a_login_through_the_tunnel_completes_and_the_proxy_never_sees_the_token() {
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(200))).unwrap();
    let server_cert = cert(&["plex.test"], false);
    let server = tls_server("127.0.0.1:0", &server_cert, Some(emulator.addr())).await;
    let proxy = logging_proxy(Connect::TunnelTo(server.addr), None).await;
    let client = plex_pin_hyper::Client::builder(config("https://plex.test"))
        .proxy(Proxy::url(&proxy.url()).unwrap())
        .add_root_certificate_pem(server_cert.pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let options = LoginOptions::default().with_poll_interval(Duration::from_millis(50));
    let token = client.login(options, |_, _| {}).await.unwrap();
    let user = client.call(Call::user(client.config(), &token)).await;
    assert!(user.is_ok(), "{user:?}");
    let heads = proxy.heads();
    assert!(!heads.is_empty());
    for head in &heads {
        assert!(
            head.starts_with("CONNECT plex.test:443 HTTP/1.1\r\n"),
            "{head}"
        );
    }
    let relayed = proxy.tunnelled.lock().unwrap().clone();
    assert!(relayed.len() > 1000, "TLS went through the tunnel");
    let secret = token.expose_secret().as_bytes();
    assert!(!relayed.windows(secret.len()).any(|w| w == secret));
    assert!(!relayed
        .windows(9)
        .any(|w| w.eq_ignore_ascii_case(b"x-plex-to")));
}

/// An `https://` proxy: TLS to the proxy, the `CONNECT` inside it, the server's TLS inside
/// the tunnel. Its credentials go as `Proxy-Authorization` and appear in no message.
#[tokio::test(flavor = "multi_thread")]
async fn an_https_proxy_with_credentials() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let server_cert = cert(&["plex.test"], false);
    let server = tls_server("127.0.0.1:0", &server_cert, Some(emulator.addr())).await;
    let proxy_cert = cert(&["127.0.0.2"], false);
    let proxy = logging_proxy(Connect::TunnelTo(server.addr), Some(&proxy_cert)).await;
    let url = format!("https://us%65r:pa%3Ass@{}", proxy.addr);
    let client = plex_pin_hyper::Client::builder(config("https://plex.test"))
        .proxy(Proxy::url(&url).unwrap())
        .add_root_certificate_pem(server_cert.pem.as_bytes())
        .unwrap()
        .add_root_certificate_pem(proxy_cert.pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let pin = client
        .call(Call::create_pin(client.config(), &Default::default()))
        .await
        .unwrap();
    assert!(pin.id > 0);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    // base64("user:pa:ss")
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("\r\nproxy-authorization: basic dxnlcjpwytpzcw==\r\n"),
        "{}",
        heads[0]
    );

    // The proxy's own certificate is checked: untrusted, it is a TLS error naming the proxy.
    let untrusting = plex_pin_hyper::Client::builder(config("https://plex.test"))
        .proxy(Proxy::url(&url).unwrap())
        .build()
        .unwrap();
    let error = untrusting
        .call(Call::create_pin(untrusting.config(), &Default::default()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Some(TransportErrorKind::Tls), "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("the certificate of the proxy {}", proxy.addr)),
        "{message}"
    );
    assert!(
        !message.contains("pa%3Ass") && !message.contains("pa:ss"),
        "{message}"
    );
    assert!(!format!("{error:?}").contains("pa%3Ass"));
}

/// The default proxy is the environment's, read by `build`: a variable naming a proxy that
/// cannot be used is an error then, not a silent direct connection. Checked in a child
/// process (this test binary again), so that this process's environment stays untouched.
#[test]
fn an_unusable_proxy_variable_is_an_error_at_build() {
    const CHILD: &str = "PLEX_PIN_HYPER_PROXY_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let config = config("https://plex.test");
        let error = plex_pin_hyper::Client::new(config).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("all_proxy"), "{message}");
        assert!(!message.contains("secret"), "{message}");
        // An explicit setting replaces the environment's.
        let config = self::config("https://plex.test");
        assert!(plex_pin_hyper::Client::builder(config)
            .proxy(Proxy::none())
            .build()
            .is_ok());
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "an_unusable_proxy_variable_is_an_error_at_build",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env("all_proxy", "socks5://user:secret@127.0.0.2:1080")
        .status()
        .unwrap();
    assert!(status.success());
}
