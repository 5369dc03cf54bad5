//! The environment's proxies, read by the core's rule (`plex_pin::proxy`), not reqwest's:
//! `HTTP_PROXY` and `ALL_PROXY` never see a request to the loopback emulator (reqwest
//! would send plain http through them), `HTTPS_PROXY` carries https to a remote host, and
//! one the client cannot use is an error.
//! A test binary of its own: it sets the process's environment.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use plex_pin::{Call, ClientId, Config, PinOptions};
use plex_pin_emulator::{Emulator, Options};

#[tokio::test]
async fn environment_proxies_follow_the_core_rule() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            record.lock().unwrap().push(line.trim().to_owned());
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        }
    });
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let emulator = Emulator::start(Options::default()).unwrap();
    let config = |base_url: &str| {
        Config::builder("plex-pin reqwest proxy", ClientId::new("proxy").unwrap())
            .base_url(base_url)
            .build()
            .unwrap()
    };
    let create_pin_on_loopback = || async {
        let local = plex_pin_reqwest::Client::new(config(emulator.url())).unwrap();
        local
            .call(Call::create_pin(local.config(), &PinOptions::strong()))
            .await
            .unwrap();
    };

    // HTTP_PROXY alone: the core reads none (plain http is loopback only); reqwest would.
    for name in ["HTTP_PROXY", "http_proxy"] {
        std::env::set_var(name, &proxy);
    }
    create_pin_on_loopback().await;
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );

    // Every variable set: still none for loopback, HTTPS_PROXY for a remote https host.
    for name in ["HTTPS_PROXY", "ALL_PROXY"] {
        std::env::set_var(name, &proxy);
    }
    create_pin_on_loopback().await;
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    let remote = plex_pin_reqwest::Client::new(config("https://plex.invalid")).unwrap();
    let refused = remote
        .call(Call::create_pin(remote.config(), &PinOptions::strong()))
        .await;
    assert!(refused.is_err());
    assert_eq!(*seen.lock().unwrap(), ["CONNECT plex.invalid:443 HTTP/1.1"]);

    // A proxy the client cannot use is refused when it is built, not ignored.
    std::env::set_var("HTTPS_PROXY", "socks5://127.0.0.1:1080");
    match plex_pin_reqwest::Client::new(config("https://plex.invalid")) {
        Err(plex_pin_reqwest::Error::Plex(plex_pin::Error::Config(e))) => {
            assert!(e.to_string().contains("HTTPS_PROXY"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}
