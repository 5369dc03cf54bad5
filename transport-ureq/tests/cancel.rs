//! `Cancel` ends a blocking request in flight at once: the login (`Client::run`) and a
//! single call (`Client::call_with_cancel`) return `Cancelled` within a second of the
//! cancel, against servers that never answer, with the default 15 s timeout.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plex_pin::drive::Cancel;
use plex_pin::{Call, ClientId, Config, LoginOptions, PinLogin, PinOptions, TransportErrorKind};
use plex_pin_ureq::{Client, Error};

/// A server on 127.0.0.1 that answers the first `answered` requests of each connection
/// with a pin and then reads and never answers, counting connections.
struct Server {
    address: String,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(answered: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(stream, answered));
            }
        });
        Self {
            address,
            connections,
        }
    }

    /// A server that accepts and never answers: not even a TLS handshake.
    fn silent() -> Self {
        Self::start(0)
    }

    fn client(&self, scheme: &str) -> Client {
        let url = format!("{scheme}://{}", self.address);
        let config = Config::builder("plex-pin cancel", ClientId::new("cancel").unwrap())
            .server(url)
            .build()
            .unwrap();
        Client::new(config).unwrap()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(mut stream: TcpStream, answered: usize) {
    let body = r#"{"id":7,"code":"ABCD","expiresIn":900}"#;
    let mut buf = [0; 4096];
    for _ in 0..answered {
        let mut head = Vec::new();
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let answer = format!(
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
    // Read whatever comes, answer nothing, until the client goes.
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

/// Cancels `cancel` from another thread after 200 ms; returns when it began to.
fn cancel_soon(cancel: &Cancel) -> std::thread::JoinHandle<Instant> {
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let at = Instant::now();
        cancel.cancel();
        at
    })
}

/// The call returned `Cancelled` within a second of the cancel; prints how long it took.
#[track_caller]
fn cancelled_at_once<T: std::fmt::Debug>(
    result: Result<T, Error>,
    cancelled: std::thread::JoinHandle<Instant>,
) {
    let returned = Instant::now();
    let latency = returned.saturating_duration_since(cancelled.join().unwrap());
    eprintln!("returned {latency:?} after the cancel");
    let error = result.unwrap_err();
    assert_eq!(error.kind(), Some(TransportErrorKind::Cancelled), "{error}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");
}

#[test]
fn a_login_waiting_for_an_answer_ends_at_once() {
    let server = Server::silent();
    let client = server.client("http");
    let cancel = Cancel::new();
    let login = PinLogin::new(client.config(), LoginOptions::default());
    let cancelled = cancel_soon(&cancel);
    cancelled_at_once(client.run(login, Some(&cancel), |_| {}), cancelled);
}

#[test]
fn a_call_waiting_for_an_answer_ends_at_once() {
    let server = Server::silent();
    let client = server.client("http");
    let cancel = Cancel::new();
    let call = Call::create_pin(client.config(), &PinOptions::strong());
    let cancelled = cancel_soon(&cancel);
    cancelled_at_once(client.call_with_cancel(call, &cancel), cancelled);
}

/// A server that never completes the TLS handshake holds the request in the connector;
/// the cancel ends that too.
#[test]
fn a_stalled_tls_handshake_ends_at_once() {
    let server = Server::silent();
    let client = server.client("https");
    let cancel = Cancel::new();
    let call = Call::create_pin(client.config(), &PinOptions::strong());
    let cancelled = cancel_soon(&cancel);
    cancelled_at_once(client.call_with_cancel(call, &cancel), cancelled);
}

/// A pooled connection cancelled in use is not used again: the next call opens another
/// and gets its answer.
#[test]
fn a_connection_shut_down_by_a_cancel_is_not_reused() {
    let server = Server::start(1);
    let client = server.client("http");
    let create = || Call::create_pin(client.config(), &PinOptions::strong());
    client.call(create()).unwrap();
    let cancel = Cancel::new();
    let cancelled = cancel_soon(&cancel);
    cancelled_at_once(client.call_with_cancel(create(), &cancel), cancelled);
    assert_eq!(
        server.connections(),
        1,
        "the second call used the pooled one"
    );
    let pin = client.call(create()).unwrap();
    assert_eq!(pin.id, 7);
    assert_eq!(server.connections(), 2);
}

/// A handle that already cancelled sends nothing.
#[test]
fn a_cancelled_handle_sends_nothing() {
    let server = Server::silent();
    let client = server.client("http");
    let cancel = Cancel::new();
    cancel.cancel();
    let call = Call::create_pin(client.config(), &PinOptions::strong());
    let error = client.call_with_cancel(call, &cancel).unwrap_err();
    assert_eq!(error.kind(), Some(TransportErrorKind::Cancelled), "{error}");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.connections(), 0);
}
