//! The error of a transport's calls: the core's, or a request that got no answer.

use crate::error::Error;

use crate::transport_kind::TransportErrorKind;

/// What a transport's call or login can end in: the core's [`Error`] (plex.tv answered, or
/// the flow ended: deadline, cancel), or a request that got no answer, with its
/// [`TransportErrorKind`] and the HTTP client's own error `S` as its `source()`.
///
/// The native transports' `Error` is this type (`plex_pin_ureq::Error` is
/// `TransportError<plex_pin_ureq::UreqError>`), so every one reads alike: match [`TransportError::Plex`]
/// for plex.tv's answers, and branch on [`kind`](Self::kind) for the rest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError<S> {
    /// plex.tv answered and the core says what the answer means, or the flow ended.
    #[error(transparent)]
    Plex(#[from] Error),
    /// The request got no answer: `kind` says why, `source` is the client's error.
    #[error("{kind}: {source}")]
    Transport {
        /// Connect, timeout, body too large, TLS…
        kind: TransportErrorKind,
        /// The HTTP client's error.
        #[source]
        source: S,
    },
}

impl<S> TransportError<S> {
    /// A request that got no answer.
    pub fn transport(kind: TransportErrorKind, source: S) -> Self {
        TransportError::Transport { kind, source }
    }

    /// The core's error, if plex.tv answered or the flow ended.
    pub fn plex(&self) -> Option<&Error> {
        match self {
            TransportError::Plex(e) => Some(e),
            TransportError::Transport { .. } => None,
        }
    }

    /// The kind of transport failure, if the request got no answer (a cancelled flow is
    /// [`TransportErrorKind::Cancelled`]).
    pub fn kind(&self) -> Option<TransportErrorKind> {
        match self {
            TransportError::Transport { kind, .. } => Some(*kind),
            TransportError::Plex(Error::Cancelled) => Some(TransportErrorKind::Cancelled),
            TransportError::Plex(_) => None,
        }
    }
}
