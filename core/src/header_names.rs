//! The `X-Plex-*` header names, as constants: `HeaderName::from_static` evaluated at run
//! time would pull http's whole header-name table into every wasm build.

use http::HeaderName;

pub const CLIENT_IDENTIFIER: HeaderName = HeaderName::from_static("x-plex-client-identifier");
pub const PRODUCT: HeaderName = HeaderName::from_static("x-plex-product");
pub const VERSION: HeaderName = HeaderName::from_static("x-plex-version");
pub const PLATFORM: HeaderName = HeaderName::from_static("x-plex-platform");
pub const PLATFORM_VERSION: HeaderName = HeaderName::from_static("x-plex-platform-version");
pub const DEVICE: HeaderName = HeaderName::from_static("x-plex-device");
pub const DEVICE_NAME: HeaderName = HeaderName::from_static("x-plex-device-name");
pub const MODEL: HeaderName = HeaderName::from_static("x-plex-model");
pub const TOKEN: HeaderName = HeaderName::from_static("x-plex-token");
