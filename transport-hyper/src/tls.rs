//! The TLS configuration: which crypto provider, which roots.
//!
//! The provider is passed to rustls explicitly rather than taken from the process default,
//! so that another crate installing or enabling a different one cannot make the client
//! panic or change under it.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!(
    "plex-pin-hyper needs a TLS provider: enable its `aws-lc-rs` (default) or `ring` feature"
);

/// aws-lc-rs, whose default key exchange groups start with X25519MLKEM768 (post-quantum,
/// with the `prefer-post-quantum` feature this crate turns on).
#[cfg(feature = "aws-lc-rs")]
fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// *ring*: no post-quantum key exchange, which is why rustls 0.23.48 deprecated its
/// `default_provider`; it is this crate's opt-in for its faster build and smaller binary.
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
fn provider() -> CryptoProvider {
    #[allow(deprecated)]
    rustls::crypto::ring::default_provider()
}

/// A client configuration trusting the bundled Mozilla roots (webpki-roots) and `extra`.
pub(crate) fn config(
    extra: &[CertificateDer<'static>],
) -> Result<Arc<ClientConfig>, rustls::Error> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra {
        roots.add(cert.clone())?;
    }
    let config = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
