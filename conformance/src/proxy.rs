//! A logging proxy, to check a transport against the proxy rule of `plex_pin::proxy`:
//! requests to loopback never go through a proxy, whichever variable names it, and an https
//! request to another host goes through it only as a `CONNECT` that carries no token.
//!
//! It listens on 127.0.0.2, which stands for another host while staying on the machine,
//! logs the request line and headers of everything it receives, and answers 502 (to
//! `CONNECT` too: no tunnel is opened, so no request ever leaves the machine).
//!
//! ```no_run
//! use plex_pin::proxy::Proxy;
//! use plex_pin_conformance::proxy::LoggingProxy;
//!
//! let proxy = LoggingProxy::start()?;
//! let settings = Proxy::from_vars(|name| (name == "HTTPS_PROXY").then(|| proxy.url().to_owned()))?;
//! // ... a request to http://127.0.0.1:PORT through a client built with `settings`, then:
//! assert!(proxy.log().is_empty(), "loopback goes direct");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A proxy on 127.0.0.2 that logs each request head it receives and answers 502. It serves
/// until the process ends (a thread per connection).
#[derive(Debug)]
pub struct LoggingProxy {
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl LoggingProxy {
    /// Listens on 127.0.0.2, on a free port.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.2:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let log = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let writer = Arc::clone(&writer);
                std::thread::spawn(move || {
                    let head = answer_502(stream);
                    writer
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(head);
                });
            }
        });
        Ok(Self { url, log })
    }

    /// `http://127.0.0.2:PORT`, to name in a proxy variable or `Proxy::url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What it received so far: one request head (request line and headers) per request.
    pub fn log(&self) -> Vec<String> {
        // Give a request whose connection was just accepted a moment to be logged.
        std::thread::sleep(Duration::from_millis(50));
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Reads one request head (at most 64 KiB, within 5 s) and answers 502.
fn answer_502(mut stream: TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
    let _ = stream.shutdown(Shutdown::Both);
    String::from_utf8_lossy(&head).into_owned()
}
