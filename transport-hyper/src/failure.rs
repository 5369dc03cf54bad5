//! What a request that got no answer becomes: a [`TransportErrorKind`] and a message in
//! words, with hyper's (or rustls's) error kept as the source.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use plex_pin::TransportErrorKind;
use rustls::{CertificateError, Error as TlsError};

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
    if let Some(tls) = find::<TlsError>(&error) {
        // Under `ThroughProxy`, the handshake that failed was with an `https://` proxy.
        let peer = match find::<ThroughProxy>(&error) {
            Some(through) => format!("the proxy {}", through.proxy),
            None => host.to_owned(),
        };
        // The source is rustls's own error, the precise cause, rather than hyper's wrapper.
        let failure = Failure {
            message: tls_words(tls, &peer),
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

/// What went wrong in TLS, in words a user can act on.
fn tls_words(error: &TlsError, host: &str) -> String {
    let certificate = |problem: String| format!("the certificate of {host} {problem}");
    match error {
        TlsError::InvalidCertificate(problem) => certificate(match problem {
            CertificateError::UnknownIssuer => "is not signed by a trusted authority (unknown \
                issuer: a self-signed certificate, or a TLS-inspecting proxy whose root is not \
                trusted)"
                .into(),
            CertificateError::NotValidForName => "is for another host name".into(),
            CertificateError::NotValidForNameContext { presented, .. } => {
                format!("is for another host name (it names {})", names(presented))
            }
            CertificateError::Expired => "has expired".into(),
            CertificateError::ExpiredContext { time, not_after } => format!(
                "has expired ({} ago)",
                days(time.as_secs().saturating_sub(not_after.as_secs()))
            ),
            CertificateError::NotValidYet => {
                "is not valid yet (is this computer's clock right?)".into()
            }
            CertificateError::NotValidYetContext { time, not_before } => format!(
                "is not valid yet (for another {}; is this computer's clock right?)",
                days(not_before.as_secs().saturating_sub(time.as_secs()))
            ),
            CertificateError::Revoked => "has been revoked".into(),
            CertificateError::BadSignature => "has a signature that does not verify".into(),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "is not meant for a TLS server".into()
            }
            CertificateError::BadEncoding => "cannot be read".into(),
            other => format!("cannot be verified ({other:?})"),
        }),
        TlsError::AlertReceived(alert) => {
            format!("{host} ended the TLS handshake with the alert {alert:?}")
        }
        TlsError::PeerIncompatible(_) => {
            format!("{host} and this client have no TLS version or cipher suite in common")
        }
        TlsError::InvalidMessage(_) | TlsError::PeerMisbehaved(_) => {
            format!("{host} did not speak TLS correctly ({error})")
        }
        other => format!("TLS with {host} failed: {other}"),
    }
}

/// Up to three of the names a certificate presents (rustls gives them as
/// `DnsName("a.example")` and `IpAddress(192.0.2.1)`), each cut to 64 characters and
/// escaped: the server chooses them.
fn names(presented: &[String]) -> String {
    if presented.is_empty() {
        return "no host name".into();
    }
    let mut shown: Vec<String> = presented
        .iter()
        .take(3)
        .map(|name| {
            let bare = (name.strip_prefix("DnsName(\""))
                .and_then(|n| n.strip_suffix("\")"))
                .or_else(|| name.strip_prefix("IpAddress(")?.strip_suffix(')'))
                .unwrap_or(name);
            bare.chars().take(64).flat_map(char::escape_debug).collect()
        })
        .collect();
    if presented.len() > 3 {
        shown.push(format!("{} more", presented.len() - 3));
    }
    shown.join(", ")
}

fn days(seconds: u64) -> String {
    match seconds / 86_400 {
        0 => format!("{} hours", seconds / 3_600),
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}
