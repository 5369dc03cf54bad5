//! What a pending login costs the client: its future, and at most `max_connections`
//! connections however slow the server is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use plex_pin::proxy::Proxy;
use plex_pin::{Call, ClientId, Config, LoginOptions, TransportErrorKind};

fn config(base_url: &str) -> Config {
    Config::builder("plex-pin hyper memory", ClientId::new("memory").unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

/// A server holding thousands of pending logins holds thousands of these futures. The
/// request's own state is boxed while it is in flight, so it is not part of them.
#[test]
fn the_login_future_stays_within_2000_bytes() {
    let client = plex_pin_hyper::Client::builder(config("http://127.0.0.1:9"))
        .proxy(Proxy::none())
        .build()
        .unwrap();
    let size = std::mem::size_of_val(&client.login(LoginOptions::default(), |_, _| {}));
    assert!(size <= 2_000, "the login future is {size} B");
}

/// A server that accepts and never answers: without a bound, each waiting request would
/// hold its own connection (and its buffers) for its whole timeout.
#[tokio::test(flavor = "multi_thread")]
async fn requests_in_flight_are_bounded_by_max_connections() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let client = plex_pin_hyper::Client::builder(config(&format!("http://{addr}")))
        .proxy(Proxy::none())
        .max_connections(2)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call(Call::check_pin(client.config(), 1)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "while all six wait");
    // Those waiting for their turn time out like the others: the wait is part of the call.
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(error.kind(), Some(TransportErrorKind::Timeout), "{error}");
    }
    assert!(started.elapsed() < Duration::from_secs(3));
}
