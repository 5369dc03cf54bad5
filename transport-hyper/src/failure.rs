//! What a request that got no answer becomes: a [`TransportErrorKind`] and a message in
//! words (TLS's in the core's, `plex_pin::tls`), with hyper's (or rustls's) error kept as
//! the source.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use plex_pin::tls::{describe, rustls_error};
use plex_pin::TransportErrorKind;

use crate::connect::{ConnectTimedOut, ThroughProxy};
use crate::Error;

/// The message of a failed request, over its cause.
#[derive(Debug)]
struct Failure {
    message: String,
    source: Box<dyn StdError + Send + Sync>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// hyper-util's error for a request to `host`, as the transport's [`Error`].
pub(crate) fn request_failed(error: hyper_util::client::legacy::Error, host: &str) -> Error {
    if let Some(tls) = rustls_error(&error) {
        // Under `ThroughProxy`, the handshake that failed was with an `https://` proxy.
        let peer = match find::<ThroughProxy>(&error) {
            Some(through) => format!("the proxy {}", through.proxy),
            None => host.to_owned(),
        };
        // The source is rustls's own error, the precise cause, rather than hyper's wrapper.
        let failure = Failure {
            message: describe(tls, &peer),
            source: Box::new(tls.clone()),
        };
        return Error::transport(TransportErrorKind::Tls, io::Error::other(failure));
    }
    let kind = if find::<ConnectTimedOut>(&error).is_some()
        || find::<io::Error>(&error).is_some_and(|e| e.kind() == io::ErrorKind::TimedOut)
    {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    };
    let failure = Failure {
        message: chain(&error),
        source: Box::new(error),
    };
    Error::transport(kind, io::Error::other(failure))
}

/// The first `T` in `error`'s chain. `io::Error::source` skips the error it wraps, so each
/// `io::Error`'s own inner error is looked at too.
fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        next = match error
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
        {
            Some(inner) => Some(inner),
            None => error.source(),
        };
    }
    None
}

/// The chain's messages joined by `: `, from below hyper-util's "client error (Connect)"
/// (which says nothing the kind does not), without repeats.
fn chain(error: &hyper_util::client::legacy::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = error.source().or(Some(error as &(dyn StdError + 'static)));
    while let Some(error) = next {
        let text = error.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}
