//! ureq's errors, sorted into the core's kinds and put in words where ureq's are not.

use std::borrow::Cow;
use std::fmt;
use std::io::ErrorKind as Io;

use plex_pin::drive::TransportError;
use plex_pin::TransportErrorKind;

/// What can go wrong: the core's error unchanged, or a request that got no answer (its
/// [`kind`](TransportError::kind), and a [`UreqError`] as its source). No variant holds a
/// token: requests carrying one are never part of a message.
pub type Error = TransportError<UreqError>;

/// Why a request got no answer, below its [`TransportErrorKind`]: ureq's error, in words
/// where ureq's own text is not written for people.
///
/// A certificate rustls refused reads "the certificate of plex.tv is not signed by a trusted
/// authority (unknown issuer: …)" rather than `io: invalid peer certificate: UnknownIssuer`
/// (the words every rustls transport shows, `plex_pin::tls`), with ureq's error as its
/// [`source`](std::error::Error::source); every other error shows ureq's text.
/// [`ureq`](Self::ureq) gives ureq's error either way.
#[derive(Debug)]
pub struct UreqError {
    /// The words shown instead of ureq's text.
    worded: Option<Cow<'static, str>>,
    ureq: ureq::Error,
}

impl UreqError {
    /// ureq's error.
    pub fn ureq(&self) -> &ureq::Error {
        &self.ureq
    }

    /// ureq's error, by value.
    pub fn into_ureq(self) -> ureq::Error {
        self.ureq
    }

    fn worded(words: impl Into<Cow<'static, str>>, ureq: ureq::Error) -> Self {
        Self {
            worded: Some(words.into()),
            ureq,
        }
    }
}

impl fmt::Display for UreqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.worded {
            Some(words) => f.write_str(words),
            None => fmt::Display::fmt(&self.ureq, f),
        }
    }
}

impl std::error::Error for UreqError {
    /// ureq's error when the message is worded here; otherwise the message is ureq's own,
    /// and it has no source to add.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.worded.as_ref().map(|_| &self.ureq as _)
    }
}

impl From<ureq::Error> for UreqError {
    fn from(ureq: ureq::Error) -> Self {
        Self { worded: None, ureq }
    }
}

/// ureq's error for a request to `peer` (its host), with its kind and, for TLS, the
/// core's words (`plex_pin::tls`).
pub(crate) fn failed(source: ureq::Error, peer: &str) -> Error {
    use ureq::Error as U;
    if let Some(tls) = rustls_error(&source) {
        let words = plex_pin::tls::describe(tls, peer);
        return Error::transport(TransportErrorKind::Tls, UreqError::worded(words, source));
    }
    let kind = match &source {
        U::Timeout(_) => TransportErrorKind::Timeout,
        U::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        U::HostNotFound | U::ConnectionFailed | U::ConnectProxyFailed(_) => {
            TransportErrorKind::Connect
        }
        U::Io(io)
            if matches!(
                io.kind(),
                Io::ConnectionRefused
                    | Io::ConnectionReset
                    | Io::ConnectionAborted
                    | Io::UnexpectedEof
            ) =>
        {
            TransportErrorKind::Connect
        }
        U::Tls(_) | U::Pem(_) | U::TlsRequired => TransportErrorKind::Tls,
        _ => TransportErrorKind::Other,
    };
    Error::transport(kind, source.into())
}

/// A proxy setting the client cannot use, as a build error.
pub(crate) fn proxy_refused(error: plex_pin::proxy::ProxyError) -> Error {
    // A setting the client cannot use: the configuration's error, as for a bad base URL.
    Error::Plex(plex_pin::Error::Config(error.into()))
}

/// The rustls error inside ureq's: given as is when building the TLS configuration, or
/// inside an I/O error when the handshake or a record fails.
fn rustls_error(error: &ureq::Error) -> Option<&rustls::Error> {
    match error {
        ureq::Error::Rustls(tls) => Some(tls),
        ureq::Error::Io(io) => plex_pin::tls::rustls_error(io),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use rustls::CertificateError as Cert;

    use super::*;

    fn handshake_failure(error: rustls::Error) -> ureq::Error {
        ureq::Error::Io(std::io::Error::new(Io::InvalidData, error))
    }

    #[test]
    fn certificate_failures_are_tls_in_the_cores_words_with_ureqs_error_as_source() {
        for certificate in [Cert::UnknownIssuer, Cert::Expired] {
            let tls = rustls::Error::InvalidCertificate(certificate);
            let words = plex_pin::tls::describe(&tls, "plex.test");
            let error = failed(handshake_failure(tls), "plex.test");
            assert_eq!(error.kind(), Some(TransportErrorKind::Tls));
            assert_eq!(error.to_string(), format!("TLS failed: {words}"));
            let cause = error.source().unwrap();
            let ureq = cause.source().unwrap().downcast_ref::<ureq::Error>();
            assert!(matches!(ureq, Some(ureq::Error::Io(_))), "{ureq:?}");
        }
    }

    #[test]
    fn other_failures_keep_ureqs_text_and_kind() {
        let refused = failed(ureq::Error::Io(Io::ConnectionRefused.into()), "plex.test");
        assert_eq!(refused.kind(), Some(TransportErrorKind::Connect));
        let TransportError::Transport { source, .. } = &refused else {
            panic!("{refused:?}")
        };
        assert_eq!(source.to_string(), source.ureq().to_string());
        assert!(source.source().is_none(), "ureq's text is the message");
        let other = failed(ureq::Error::Io(Io::InvalidData.into()), "plex.test");
        assert_eq!(other.kind(), Some(TransportErrorKind::Other));
        let alert = failed(
            handshake_failure(rustls::Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure,
            )),
            "plex.test",
        );
        assert_eq!(alert.kind(), Some(TransportErrorKind::Tls));
        assert!(
            alert
                .to_string()
                .contains("plex.test ended the TLS handshake"),
            "{alert}"
        );
    }
}
