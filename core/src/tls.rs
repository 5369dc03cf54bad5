//! rustls's failures in words a person can act on, for the transports built on rustls
//! (plex-pin-ureq, plex-pin-hyper, plex-pin-reqwest with its default TLS), so that an app
//! gets the same message whichever of them it picked.
//!
//! A refused certificate or a failed handshake cannot be fixed by retrying, and rustls's
//! own text (`invalid peer certificate: UnknownIssuer`) does not say what to do. A
//! transport finds rustls's error in its HTTP client's error ([`rustls_error`]), reports the
//! failure as [`TransportErrorKind::Tls`](crate::TransportErrorKind::Tls) (fatal to a
//! login) and uses [`describe`] as its message, keeping the client's error as the source.
//! Not built for wasm32-unknown-unknown, where the browser does TLS.
//!
//! ```
//! use plex_pin::tls::describe;
//! use rustls::{CertificateError, Error};
//!
//! let refused = Error::InvalidCertificate(CertificateError::Expired);
//! assert_eq!(describe(&refused, "plex.tv"), "the certificate of plex.tv has expired");
//! ```

use std::error::Error as StdError;

use rustls::{CertificateError, Error};

/// rustls's error in `error`'s chain, if there is one. `io::Error::source` skips the error
/// it wraps (where TLS streams put rustls's), so each `io::Error`'s own inner error is
/// looked at too.
pub fn rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<Error>() {
            return Some(found);
        }
        next = match error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner),
            None => error.source(),
        };
    }
    None
}

/// What went wrong in TLS with `peer` (a host name, or "the proxy host:port"), in words:
/// which certificate problem, or what the handshake met.
pub fn describe(error: &Error, peer: &str) -> String {
    let certificate = |problem: String| format!("the certificate of {peer} {problem}");
    match error {
        Error::InvalidCertificate(problem) => certificate(match problem {
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
            // What `openssl req -x509` makes by default: a self-signed certificate marked as
            // a certificate authority, which webpki refuses as a server's before anything
            // else (trusted as a root or not).
            CertificateError::Other(other)
                if matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                "is a certificate authority's, not a server's (a self-signed certificate made \
                 as a CA, as `openssl req -x509` makes by default): the server needs a \
                 certificate issued for its name"
                    .into()
            }
            CertificateError::Other(other) => format!("cannot be verified ({})", other.0),
            other => format!("cannot be verified ({other:?})"),
        }),
        Error::NoCertificatesPresented => format!("{peer} presented no certificate"),
        Error::AlertReceived(alert) => {
            format!("{peer} ended the TLS handshake with the alert {alert:?}")
        }
        Error::PeerIncompatible(_) => {
            format!("{peer} and this client have no TLS version or cipher suite in common")
        }
        Error::InvalidMessage(_) | Error::PeerMisbehaved(_) => {
            format!("{peer} did not speak TLS correctly ({error})")
        }
        other => format!("TLS with {peer} failed: {other}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_problems_are_named_with_the_peer() {
        for (problem, words) in [
            (
                CertificateError::UnknownIssuer,
                "the certificate of plex.tv is not signed by a trusted authority (unknown \
                 issuer: a self-signed certificate, or a TLS-inspecting proxy whose root is \
                 not trusted)",
            ),
            (
                CertificateError::NotValidForName,
                "the certificate of plex.tv is for another host name",
            ),
            (
                CertificateError::Revoked,
                "the certificate of plex.tv has been revoked",
            ),
        ] {
            let error = Error::InvalidCertificate(problem);
            assert_eq!(describe(&error, "plex.tv"), words);
        }
        let ca = Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(webpki::Error::CaUsedAsEndEntity),
        )));
        assert_eq!(
            describe(&ca, "127.0.0.1"),
            "the certificate of 127.0.0.1 is a certificate authority's, not a server's (a \
             self-signed certificate made as a CA, as `openssl req -x509` makes by default): \
             the server needs a certificate issued for its name"
        );
        let other = Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
            std::sync::Arc::new(webpki::Error::EndEntityUsedAsCa),
        )));
        assert_eq!(
            describe(&other, "127.0.0.1"),
            "the certificate of 127.0.0.1 cannot be verified (EndEntityUsedAsCa)"
        );
        let no_certificate = describe(&Error::NoCertificatesPresented, "the proxy p:3128");
        assert_eq!(no_certificate, "the proxy p:3128 presented no certificate");
    }

    #[test]
    fn presented_names_are_few_short_and_escaped() {
        let long = format!("DnsName(\"{}\")", "a".repeat(100));
        let presented = [
            "DnsName(\"evil\\u{1b}[2J.test\")".to_owned(),
            "IpAddress(192.0.2.1)".to_owned(),
            long,
            "DnsName(\"four.test\")".to_owned(),
        ];
        let shown = names(&presented);
        assert!(
            shown.starts_with("evil\\\\u{1b}[2J.test, 192.0.2.1, aaaa"),
            "{shown}"
        );
        assert!(shown.ends_with(", 1 more"), "{shown}");
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains(&"a".repeat(65)), "{shown}");
        assert_eq!(names(&[]), "no host name");
    }

    #[test]
    fn days_read_as_a_person_says_them() {
        assert_eq!(days(7_200), "2 hours");
        assert_eq!(days(86_400 + 5), "1 day");
        assert_eq!(days(10 * 86_400), "10 days");
    }

    #[test]
    fn rustls_error_is_found_inside_io_errors() {
        let inner = Error::InvalidCertificate(CertificateError::Expired);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner.clone());
        let outer = std::io::Error::other(io);
        assert_eq!(rustls_error(&outer), Some(&inner));
        let plain = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(rustls_error(&plain), None);
    }
}
