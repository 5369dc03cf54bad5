//! Request URIs: the base URL's scheme, authority and path, parsed once, and an API path
//! joined to them with one allocation per request.

use bytes::Bytes;
use http::uri::{self, Authority, PathAndQuery, Scheme};
use http::Uri;

use crate::field::ConfigError;
use crate::web_url::WebUrl;

/// Formats into a `String` of exactly the needed capacity, so that `Bytes::from` takes it
/// over as is instead of copying or reallocating.
fn exact_string(args: std::fmt::Arguments<'_>) -> String {
    struct Length(usize);
    impl std::fmt::Write for Length {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut length = Length(0);
    let _ = std::fmt::write(&mut length, args);
    let mut text = String::with_capacity(length.0);
    let _ = std::fmt::write(&mut text, args);
    text
}

/// Scheme, authority and path of the base URL, parsed once.
#[derive(Clone)]
pub(crate) struct EndpointBase {
    scheme: Scheme,
    authority: Authority,
    path: String,
}

impl EndpointBase {
    pub(crate) fn new(base: &WebUrl) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidUrl {
            field: "base URL",
            reason: "not usable as a request URI".to_owned(),
        };
        let uri = Uri::try_from(base.as_str()).map_err(|_| invalid())?;
        let parts = uri.into_parts();
        let this = Self {
            scheme: parts.scheme.ok_or_else(invalid)?,
            authority: parts.authority.ok_or_else(invalid)?,
            path: parts
                .path_and_query
                // The whole path and query: the base URL has no query (parse_base_url).
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        };
        // The longest path any request uses must form a valid URI with this base.
        let longest = format!("{}api/v2/pins/{}?strong=true", this.path, u64::MAX);
        PathAndQuery::try_from(longest).map_err(|_| invalid())?;
        Ok(this)
    }

    /// The request URI for an API path relative to the base, such as `api/v2/pins/7`.
    ///
    /// Scheme and authority are shared with the configuration (reference counted); only the
    /// path is new, so a request costs one allocation here.
    pub(crate) fn uri(&self, path: std::fmt::Arguments<'_>) -> Uri {
        // The base path always ends with '/' and has no query, checked in `new`'s caller.
        let path_and_query = exact_string(format_args!("{}{path}", self.path));
        let mut parts = uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        // Validated in `new` with the longest path used; the default (`/`) fallback
        // exists only to avoid a panic path.
        parts.path_and_query = PathAndQuery::from_maybe_shared(Bytes::from(path_and_query)).ok();
        Uri::from_parts(parts).unwrap_or_default()
    }
}
