//! The names of the headers the core sets on requests: the `X-Plex-*` ones as constants, and
//! every one with its text ([`SENT`]).
//!
//! Constants, because `HeaderName::from_static` evaluated at run time would pull http's
//! whole header-name table into every wasm build; the texts, because `HeaderName::as_str`
//! would too (see [`crate::request::header_name`]).

use http::header::{self, HeaderName};

macro_rules! plex_headers {
    ($($name:ident = $text:literal),* $(,)?) => {
        $(pub const $name: HeaderName = HeaderName::from_static($text);)*

        /// Every header name the core sets on a request, with its text: the three standard
        /// ones it uses and its own. A `const` (each use a fresh array): a `HeaderName`
        /// cannot be in a `static`.
        pub(crate) const SENT: [(&str, HeaderName); 3 + [$($text),*].len()] = [
            ("accept", header::ACCEPT),
            ("content-type", header::CONTENT_TYPE),
            ("origin", header::ORIGIN),
            $(($text, $name),)*
        ];
    };
}

plex_headers! {
    CLIENT_IDENTIFIER = "x-plex-client-identifier",
    PRODUCT = "x-plex-product",
    VERSION = "x-plex-version",
    PLATFORM = "x-plex-platform",
    PLATFORM_VERSION = "x-plex-platform-version",
    DEVICE = "x-plex-device",
    DEVICE_NAME = "x-plex-device-name",
    MODEL = "x-plex-model",
    TOKEN = "x-plex-token",
}
