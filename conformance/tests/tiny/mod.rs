//! The executor-free half of the page's example transports: a deliberately tiny HTTP/1.0
//! client (one connection per request, the body delimited by the server's close or its
//! `Content-Length`), enough to meet the transport contract the kit checks: no redirect
//! followed (a 3xx is handed back as it came), the body capped, failures mapped to a
//! `TransportErrorKind`. The async halves (tokio.rs, smol.rs) implement `AsyncTransport`
//! for [`Client`]: they connect, write, read and time the exchange out with their executor.

use std::io;
use std::time::Duration;

use plex_pin::drive::{Clock, SystemClock, TransportError, DEFAULT_MAX_BODY};
use plex_pin::{Config, Instant, Request, TransportErrorKind};

/// The client: only its request timeout; the executor's half sends.
pub struct Client {
    pub timeout: Duration,
}

impl Client {
    pub fn new(_config: Config, timeout: Duration) -> Self {
        Client { timeout }
    }
}

impl Clock for Client {
    fn now(&self) -> Instant {
        SystemClock.now()
    }

    fn unix_now(&self) -> u64 {
        SystemClock.unix_now()
    }
}

/// The transport's error: the core's, or a request that got no answer.
pub type Error = TransportError<io::Error>;

/// The most a response head may take.
const MAX_HEAD: usize = 16 * 1024;

/// The most bytes read from a connection: one byte past the longest answer allowed, so
/// that a longer one is seen and refused.
pub const READ_LIMIT: u64 = (MAX_HEAD + DEFAULT_MAX_BODY + 1) as u64;

/// The `host:port` to connect to, and the request's bytes.
pub fn encode(request: &Request) -> Result<(String, Vec<u8>), Error> {
    let uri = request.uri();
    if uri.scheme_str() != Some("http") {
        return Err(failed(
            TransportErrorKind::Other,
            "only plain http is spoken here",
        ));
    }
    let Some(authority) = uri.authority() else {
        return Err(failed(TransportErrorKind::Other, "no host in the URL"));
    };
    let address = format!(
        "{}:{}",
        authority.host(),
        authority.port_u16().unwrap_or(80)
    );
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut bytes = format!(
        "{} {target} HTTP/1.0\r\nhost: {authority}\r\n",
        request.method()
    );
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|e| failed(TransportErrorKind::Other, e))?;
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str(&format!("content-length: {}\r\n\r\n", request.body().len()));
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(request.body());
    Ok((address, bytes))
}

/// The response in `answer`, everything the server sent before closing (at most
/// [`READ_LIMIT`] bytes).
pub fn decode(answer: &[u8]) -> Result<http::Response<Vec<u8>>, Error> {
    if answer.is_empty() {
        return Err(failed(
            TransportErrorKind::Connect,
            "closed without an answer",
        ));
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut headers);
    let length = match head.parse(answer) {
        Ok(httparse::Status::Complete(length)) if length <= MAX_HEAD => length,
        Ok(httparse::Status::Partial) if answer.len() < MAX_HEAD => {
            return Err(failed(TransportErrorKind::Other, "closed mid-head"));
        }
        Ok(_) => {
            return Err(failed(
                TransportErrorKind::BodyTooLarge,
                "a head over 16 KiB",
            ))
        }
        Err(e) => return Err(failed(TransportErrorKind::Other, e)),
    };
    let mut response = http::Response::builder().status(head.code.unwrap_or(0));
    let mut declared = None;
    for header in head.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).unwrap_or("");
            declared = Some(
                text.trim()
                    .parse::<usize>()
                    .map_err(|e| failed(TransportErrorKind::Other, e))?,
            );
        }
        response = response.header(header.name, header.value);
    }
    let body = &answer[length..];
    let body = match declared {
        Some(n) if n > DEFAULT_MAX_BODY => None,
        Some(n) if n > body.len() => {
            return Err(failed(
                TransportErrorKind::Other,
                "closed before the body's end",
            ));
        }
        Some(n) => Some(&body[..n]),
        None => (body.len() <= DEFAULT_MAX_BODY).then_some(body),
    };
    let Some(body) = body else {
        return Err(failed(
            TransportErrorKind::BodyTooLarge,
            "a body over the cap",
        ));
    };
    response
        .body(body.to_vec())
        .map_err(|e| failed(TransportErrorKind::Other, e))
}

/// A failure of `kind`, with `why` as its source.
pub fn failed(kind: TransportErrorKind, why: impl ToString) -> Error {
    Error::transport(kind, io::Error::other(why.to_string()))
}

/// An IO error while connecting or exchanging.
pub fn io_failed(error: io::Error) -> Error {
    use io::ErrorKind::*;
    let kind = match error.kind() {
        ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected => {
            TransportErrorKind::Connect
        }
        _ => TransportErrorKind::Other,
    };
    Error::transport(kind, error)
}

/// The request's time ran out.
pub fn timed_out() -> Error {
    failed(TransportErrorKind::Timeout, "the request timed out")
}
