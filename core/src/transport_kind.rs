//! One vocabulary for what goes wrong below HTTP, whatever the transport.

use std::fmt;

/// What kind of transport failure an error is: every transport's error says it through
/// its `kind()`, and keeps the underlying client's error as its `source()`.
///
/// Apps branch on this ("plex.tv is unreachable" versus "the answer was too large"); tests
/// and the JS API map it to their codes without knowing the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The server could not be reached: DNS, connection refused or reset before an answer,
    /// or (in a browser) a network or CORS failure, which the page cannot tell apart.
    Connect,
    /// The request took longer than its timeout.
    Timeout,
    /// The response body was over the transport's cap; it was not read into memory.
    BodyTooLarge,
    /// The server answered with a redirect, and the client cannot hand it over unfollowed
    /// (`fetch` with `redirect: "manual"`): it is refused, never followed.
    Redirect,
    /// The caller aborted the request (an `AbortSignal`, a dropped future).
    Cancelled,
    /// TLS failed: certificate, handshake, configuration.
    Tls,
    /// Anything else: the connection closed mid-answer, a protocol error.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not reach the server",
            TransportErrorKind::Timeout => "the request timed out",
            TransportErrorKind::BodyTooLarge => "the response body is over the size limit",
            TransportErrorKind::Redirect => {
                "the server answered with a redirect, which is not followed"
            }
            TransportErrorKind::Cancelled => "the request was cancelled",
            TransportErrorKind::Tls => "TLS failed",
            TransportErrorKind::Other => "HTTP transport error",
        })
    }
}
