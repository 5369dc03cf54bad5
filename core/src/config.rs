//! Who the app is: the `X-Plex-*` identity and the plex.tv base URL.
//!
//! Everything here is validated once, in [`ConfigBuilder::build`], so that a bad value is
//! reported to the caller with a typed [`ConfigError`] before anything reaches the wire, and
//! so that the request builders afterwards cannot fail.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, ACCEPT};
use http::uri::{self, Authority, PathAndQuery, Scheme};
use http::Uri;
use std::fmt;

use crate::web_url::WebUrl;

/// The production host of the pin API, `https://plex.tv`.
pub const PLEX_TV: &str = "https://plex.tv";
/// The host Plex's JWT documentation uses; it serves the same pin routes.
pub const CLIENTS_PLEX_TV: &str = "https://clients.plex.tv";
/// Plex's Auth App, where a user approves a strong code.
pub const AUTH_APP: &str = "https://app.plex.tv/auth";
/// Plex's page for typing a 4-character code.
pub const LINK_PAGE: &str = "https://plex.tv/link/";

/// Longest value accepted for any identity field, in bytes. plex.tv documents no limit; this
/// one only keeps a header from growing without bound.
pub const MAX_FIELD_LEN: usize = 256;

/// A value the caller gave was refused before any request was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required field (`product` or `client identifier`) was empty or only whitespace.
    #[error("{field} must not be empty")]
    Empty {
        /// Which field, e.g. `"X-Plex-Product"`.
        field: &'static str,
    },
    /// A field holds a control character (CR, LF, tab, NUL, …), which could split or
    /// corrupt the HTTP header it is sent in.
    #[error("{field} contains a control character; header values must be visible text")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
    },
    /// A field is longer than [`MAX_FIELD_LEN`] bytes.
    #[error("{field} is longer than {max} bytes")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// The base URL or forward URL does not parse, or has a shape the API cannot use
    /// (no host, a query, a fragment, credentials, a scheme other than http/https).
    #[error("invalid {field}: {reason}")]
    InvalidUrl {
        /// Which URL.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The base URL is plain `http` to a host that is not loopback: tokens would cross the
    /// network in clear text.
    #[error("base URL must use https unless the host is loopback (got http://{host})")]
    InsecureBaseUrl {
        /// The refused host.
        host: String,
    },
}

/// Checks one identity value: not too long, no control characters (which would allow header
/// injection). Non-ASCII text is allowed: plex.tv takes device names as UTF-8.
pub(crate) fn check_field(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.len() > MAX_FIELD_LEN {
        return Err(ConfigError::TooLong {
            field,
            max: MAX_FIELD_LEN,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(ConfigError::ControlCharacter { field });
    }
    Ok(())
}

fn check_required(field: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::Empty { field });
    }
    check_field(field, value)
}

/// The stable identifier of one installation of the app (`X-Plex-Client-Identifier`).
///
/// plex.tv ties a pin, and the device a token is issued to, to this value: polling a pin with
/// another identifier than the one that created it answers 404/1020 as if the pin had
/// expired. Generate it once with [`ClientId::generate`], store it, and reuse it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps an existing identifier, refusing an empty one or one with control characters.
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        let value = value.into();
        check_required("X-Plex-Client-Identifier", &value)?;
        Ok(Self(value))
    }

    /// A fresh random UUID v4 identifier. Call it once per installation and store the result.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The identifier as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientId").field(&self.0).finish()
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identity of the app and where plex.tv is. Build it with [`Config::builder`].
///
/// | seeds' SDK name (GetPin / GetTokenByPinId) | here | header |
/// |---|---|---|
/// | `ClientID`, `xPlexClientIdentifier` | [`ClientId`] | `X-Plex-Client-Identifier` |
/// | `ClientName` | `product` | `X-Plex-Product` |
/// | `ClientVersion` | [`ConfigBuilder::version`] | `X-Plex-Version` |
/// | `Platform` | [`ConfigBuilder::platform`] | `X-Plex-Platform` |
/// | `DeviceNickname` | [`ConfigBuilder::device_name`] | `X-Plex-Device-Name` |
/// | server URL override | [`ConfigBuilder::base_url`] | — |
///
/// ```
/// use plex_pin::{ClientId, Config};
///
/// let config = Config::builder("My Cool App", ClientId::generate())
///     .version("1.2.0")
///     .device_name("Living Room")
///     .build()?;
/// assert_eq!(config.product(), "My Cool App");
/// # Ok::<(), plex_pin::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config {
    client_id: ClientId,
    product: String,
    device: DeviceFields,
    base_url: WebUrl,
    /// The base split for building request URIs without re-parsing it each time.
    endpoint_base: EndpointBase,
    auth_app_url: WebUrl,
    link_page_url: WebUrl,
    /// `Accept` plus every `X-Plex-*` identity header, built once and cloned per request.
    headers: HeaderMap,
}

/// The optional `X-Plex-*` fields; they also feed the auth URL's `context[device]`.
#[derive(Clone, Default, Debug)]
pub(crate) struct DeviceFields {
    pub(crate) version: Option<String>,
    pub(crate) platform: Option<String>,
    pub(crate) platform_version: Option<String>,
    pub(crate) device: Option<String>,
    pub(crate) device_name: Option<String>,
    pub(crate) model: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("product", &self.product)
            .field("device", &self.device)
            .field("base_url", &self.base_url.as_str())
            .field("auth_app_url", &self.auth_app_url.as_str())
            .finish()
    }
}

impl Config {
    /// Starts a configuration with the two values plex.tv requires: the product name
    /// (shown to the user in their Authorized Devices list) and the client identifier.
    pub fn builder(product: impl Into<String>, client_id: ClientId) -> ConfigBuilder {
        ConfigBuilder {
            client_id,
            product: product.into(),
            device: DeviceFields::default(),
            base_url: None,
            auth_app_url: None,
            link_page_url: None,
        }
    }

    /// The client identifier sent as `X-Plex-Client-Identifier`.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The product name sent as `X-Plex-Product`.
    pub fn product(&self) -> &str {
        &self.product
    }

    /// The base URL requests go to (ends with `/`).
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// `Accept: application/json` and the identity headers every request carries.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The Auth App page [`auth_url`](crate::auth_url) points to.
    pub fn auth_app_url(&self) -> &str {
        self.auth_app_url.as_str()
    }

    /// The code-entry page [`link_url`](crate::link_url) points to.
    pub fn link_page_url(&self) -> &str {
        self.link_page_url.as_str()
    }

    pub(crate) fn link_page(&self) -> &WebUrl {
        &self.link_page_url
    }

    pub(crate) fn device(&self) -> &DeviceFields {
        &self.device
    }

    /// The request URI for an API path relative to the base, such as `api/v2/pins/7`.
    ///
    /// Scheme and authority are shared with the configuration (reference counted); only the
    /// path is new, so a request costs one allocation here.
    pub(crate) fn endpoint(&self, path: std::fmt::Arguments<'_>) -> Uri {
        let base = &self.endpoint_base;
        // The base path always ends with '/' and has no query, checked in `build`.
        let path_and_query = exact_string(format_args!("{}{path}", base.path));
        let mut parts = uri::Parts::default();
        parts.scheme = Some(base.scheme.clone());
        parts.authority = Some(base.authority.clone());
        // Validated at build time with the longest path used; the default (`/`) fallback
        // exists only to avoid a panic path.
        parts.path_and_query = PathAndQuery::from_maybe_shared(Bytes::from(path_and_query)).ok();
        Uri::from_parts(parts).unwrap_or_default()
    }
}

/// Collects and validates a [`Config`]. Every setter takes the value as is; [`build`]
/// checks them all and reports the first problem.
///
/// [`build`]: ConfigBuilder::build
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    client_id: ClientId,
    product: String,
    device: DeviceFields,
    base_url: Option<String>,
    auth_app_url: Option<String>,
    link_page_url: Option<String>,
}

macro_rules! optional_field {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.device.$name = Some(value.into());
            self
        }
    };
}

impl ConfigBuilder {
    optional_field!(
        /// The app's version, `X-Plex-Version` (e.g. `2.4.1`).
        version
    );
    optional_field!(
        /// The platform, `X-Plex-Platform` (e.g. `Linux`, `Chrome`).
        platform
    );
    optional_field!(
        /// The platform's version, `X-Plex-Platform-Version`.
        platform_version
    );
    optional_field!(
        /// A friendly device type, `X-Plex-Device` (e.g. `Roku 3`).
        device
    );
    optional_field!(
        /// A friendly name for this device, `X-Plex-Device-Name` (e.g. `Living Room TV`).
        /// Shown first in the user's Authorized Devices list. UTF-8 is allowed.
        device_name
    );
    optional_field!(
        /// A model identifier, `X-Plex-Model`.
        model
    );

    /// Overrides the base URL (default [`PLEX_TV`]): [`CLIENTS_PLEX_TV`], or a local
    /// emulator such as `http://127.0.0.1:32400`. Plain `http` is allowed only for loopback
    /// hosts.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Overrides the Auth App page (default [`AUTH_APP`]), e.g. the emulator's `/auth`.
    pub fn auth_app_url(mut self, url: impl Into<String>) -> Self {
        self.auth_app_url = Some(url.into());
        self
    }

    /// Overrides the code-entry page (default [`LINK_PAGE`]), e.g. the emulator's `/link`.
    pub fn link_page_url(mut self, url: impl Into<String>) -> Self {
        self.link_page_url = Some(url.into());
        self
    }

    /// Validates every value and builds the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        check_required("X-Plex-Product", &self.product)?;
        // ClientId was validated when it was made.
        let d = &self.device;
        let optional = [
            ("X-Plex-Version", names::VERSION, &d.version),
            ("X-Plex-Platform", names::PLATFORM, &d.platform),
            (
                "X-Plex-Platform-Version",
                names::PLATFORM_VERSION,
                &d.platform_version,
            ),
            ("X-Plex-Device", names::DEVICE, &d.device),
            ("X-Plex-Device-Name", names::DEVICE_NAME, &d.device_name),
            ("X-Plex-Model", names::MODEL, &d.model),
        ];
        let mut headers = HeaderMap::with_capacity(2 + optional.len());
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            names::CLIENT_IDENTIFIER,
            header_value("X-Plex-Client-Identifier", self.client_id.as_str())?,
        );
        headers.insert(
            names::PRODUCT,
            header_value("X-Plex-Product", &self.product)?,
        );
        for (name, header, value) in optional {
            if let Some(value) = value {
                check_field(name, value)?;
                headers.insert(header, header_value(name, value)?);
            }
        }
        let base_url = parse_base_url(self.base_url.as_deref().unwrap_or(PLEX_TV))?;
        let endpoint_base = EndpointBase::new(&base_url)?;
        let auth_app_url = WebUrl::parse(
            "auth app URL",
            self.auth_app_url.as_deref().unwrap_or(AUTH_APP),
        )?;
        let link_page_url = WebUrl::parse(
            "link page URL",
            self.link_page_url.as_deref().unwrap_or(LINK_PAGE),
        )?;
        Ok(Config {
            client_id: self.client_id,
            product: self.product,
            device: self.device,
            base_url,
            endpoint_base,
            auth_app_url,
            link_page_url,
            headers,
        })
    }
}

/// The `X-Plex-*` header names, as constants: `HeaderName::from_static` evaluated at run
/// time would pull http's whole header-name table into every wasm build.
pub(crate) mod names {
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
}

fn header_value(field: &'static str, value: &str) -> Result<HeaderValue, ConfigError> {
    HeaderValue::from_str(value).map_err(|_| ConfigError::ControlCharacter { field })
}

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
struct EndpointBase {
    scheme: Scheme,
    authority: Authority,
    path: String,
}

impl EndpointBase {
    fn new(base: &WebUrl) -> Result<Self, ConfigError> {
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
}

fn parse_base_url(raw: &str) -> Result<WebUrl, ConfigError> {
    let field = "base URL";
    let url = WebUrl::parse(field, raw)?;
    if url.has_query() {
        return Err(ConfigError::InvalidUrl {
            field,
            reason: "a query is not allowed".to_owned(),
        });
    }
    if !url.is_https() && !url.is_loopback() {
        return Err(ConfigError::InsecureBaseUrl {
            host: url.host().to_owned(),
        });
    }
    if url.as_str().ends_with('/') {
        return Ok(url);
    }
    WebUrl::parse(field, &format!("{}/", url.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ConfigBuilder {
        Config::builder("App", ClientId::new("id-1").unwrap())
    }

    #[test]
    fn refuses_empty_and_injected_values() {
        assert_eq!(
            Config::builder("  ", ClientId::generate())
                .build()
                .unwrap_err(),
            ConfigError::Empty {
                field: "X-Plex-Product"
            }
        );
        assert!(matches!(ClientId::new(""), Err(ConfigError::Empty { .. })));
        assert!(matches!(
            ClientId::new("a\r\nX-Evil: 1"),
            Err(ConfigError::ControlCharacter { .. })
        ));
        assert_eq!(
            builder()
                .device_name("tv\nX-Plex-Token: x")
                .build()
                .unwrap_err(),
            ConfigError::ControlCharacter {
                field: "X-Plex-Device-Name"
            }
        );
        assert!(matches!(
            builder().version("x".repeat(MAX_FIELD_LEN + 1)).build(),
            Err(ConfigError::TooLong { .. })
        ));
    }

    #[test]
    fn utf8_device_names_are_allowed() {
        let config = builder()
            .device_name("Wohnzimmer-Fernseher ü")
            .build()
            .unwrap();
        assert_eq!(
            config.headers()["x-plex-device-name"].as_bytes(),
            "Wohnzimmer-Fernseher ü".as_bytes()
        );
    }

    #[test]
    fn base_url_rules() {
        let ok = |u: &str| {
            builder()
                .base_url(u)
                .build()
                .map(|c| c.base_url().to_string())
        };
        assert_eq!(ok("https://plex.tv").unwrap(), "https://plex.tv/");
        assert_eq!(
            ok("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            ok("http://[::1]:9/prefix").unwrap(),
            "http://[::1]:9/prefix/"
        );
        assert_eq!(ok("http://localhost").unwrap(), "http://localhost/");
        assert_eq!(ok("https://plex.tv/api/").unwrap(), "https://plex.tv/api/");
        assert!(matches!(
            ok("http://plex.tv"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        assert!(matches!(
            ok("http://10.0.0.1"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        for bad in [
            "ftp://plex.tv",
            "plex.tv",
            "https://u:p@plex.tv",
            "https://plex.tv/?a=1",
        ] {
            assert!(
                matches!(ok(bad), Err(ConfigError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn endpoint_keeps_a_path_prefix() {
        let config = builder()
            .base_url("http://127.0.0.1:1/mock")
            .build()
            .unwrap();
        assert_eq!(
            config.endpoint(format_args!("api/v2/pins")),
            "http://127.0.0.1:1/mock/api/v2/pins"
        );
    }
}
