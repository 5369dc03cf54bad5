//! ureq's errors, sorted into the core's kinds and put in words where ureq's are not.

use std::borrow::Cow;
use std::fmt;
use std::io::ErrorKind as Io;

use plex_pin::drive::TransportError;
use plex_pin::TransportErrorKind;
use rustls::CertificateError as Cert;

/// What can go wrong: the core's error unchanged, or a request that got no answer (its
/// [`kind`](TransportError::kind), and a [`UreqError`] as its source). No variant holds a
/// token: requests carrying one are never part of a message.
pub type Error = TransportError<UreqError>;

/// Why a request got no answer, below its [`TransportErrorKind`]: ureq's error, in words
/// where ureq's own text is not written for people.
///
/// A certificate rustls refused reads "the server's certificate is not trusted (unknown
/// issuer)" rather than `io: invalid peer certificate: UnknownIssuer`, with ureq's error as
/// its [`source`](std::error::Error::source); every other error shows ureq's text.
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

/// ureq's error, with its kind and, for TLS, its words.
pub(crate) fn failed(source: ureq::Error) -> Error {
    use ureq::Error as U;
    if let Some(tls) = rustls_error(&source) {
        let words = tls_words(tls);
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
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// What went wrong, for a person: which certificate problem, or the handshake's.
fn tls_words(error: &rustls::Error) -> Cow<'static, str> {
    let certificate = match error {
        rustls::Error::InvalidCertificate(certificate) => certificate,
        rustls::Error::NoCertificatesPresented => {
            return "the server presented no certificate".into()
        }
        other => return format!("the TLS handshake failed ({other})").into(),
    };
    let problem = match certificate {
        Cert::UnknownIssuer => "is not trusted (unknown issuer)",
        Cert::NotValidForName | Cert::NotValidForNameContext { .. } => "is for another host name",
        Cert::Expired | Cert::ExpiredContext { .. } => "has expired",
        Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
            "is not valid yet (is this machine's clock right?)"
        }
        Cert::Revoked => "has been revoked",
        Cert::BadEncoding => "is malformed",
        Cert::BadSignature
        | Cert::UnsupportedSignatureAlgorithmContext { .. }
        | Cert::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "has a signature that cannot be verified"
        }
        Cert::InvalidPurpose | Cert::InvalidPurposeContext { .. } => {
            "is not meant for a TLS server"
        }
        Cert::UnhandledCriticalExtension => "has a critical extension this client cannot check",
        Cert::UnknownRevocationStatus
        | Cert::ExpiredRevocationList
        | Cert::ExpiredRevocationListContext { .. } => "has a revocation status that is unknown",
        _ => return format!("the server's certificate was refused ({certificate})").into(),
    };
    format!("the server's certificate {problem}").into()
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn handshake_failure(error: rustls::Error) -> ureq::Error {
        ureq::Error::Io(std::io::Error::new(Io::InvalidData, error))
    }

    #[test]
    fn certificate_failures_are_tls_in_words_with_ureqs_error_as_source() {
        for (certificate, words) in [
            (
                Cert::UnknownIssuer,
                "the server's certificate is not trusted (unknown issuer)",
            ),
            (
                Cert::NotValidForName,
                "the server's certificate is for another host name",
            ),
            (Cert::Expired, "the server's certificate has expired"),
            (Cert::Revoked, "the server's certificate has been revoked"),
        ] {
            let error = failed(handshake_failure(rustls::Error::InvalidCertificate(
                certificate,
            )));
            assert_eq!(error.kind(), Some(TransportErrorKind::Tls));
            assert_eq!(error.to_string(), format!("TLS failed: {words}"));
            let cause = error.source().unwrap();
            let ureq = cause.source().unwrap().downcast_ref::<ureq::Error>();
            assert!(matches!(ureq, Some(ureq::Error::Io(_))), "{ureq:?}");
        }
    }

    #[test]
    fn other_failures_keep_ureqs_text_and_kind() {
        let refused = failed(ureq::Error::Io(Io::ConnectionRefused.into()));
        assert_eq!(refused.kind(), Some(TransportErrorKind::Connect));
        let TransportError::Transport { source, .. } = &refused else {
            panic!("{refused:?}")
        };
        assert_eq!(source.to_string(), source.ureq().to_string());
        assert!(source.source().is_none(), "ureq's text is the message");
        let other = failed(ureq::Error::Io(Io::InvalidData.into()));
        assert_eq!(other.kind(), Some(TransportErrorKind::Other));
        let alert = failed(handshake_failure(rustls::Error::AlertReceived(
            rustls::AlertDescription::HandshakeFailure,
        )));
        assert_eq!(alert.kind(), Some(TransportErrorKind::Tls));
        assert!(alert.to_string().contains("handshake failed"), "{alert}");
    }
}
