//! Who the app is: the `X-Plex-*` identity and the plex.tv base URL.
//!
//! Everything here is validated once, in [`ConfigBuilder::build`], so that a bad value is
//! reported to the caller with a typed [`ConfigError`] before anything reaches the wire, and
//! so that the request builders afterwards cannot fail.

use std::fmt;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderValue, ACCEPT};
use http::Uri;

pub use crate::client_id::ClientId;
use crate::endpoint::EndpointBase;
pub use crate::field::ConfigError;
#[cfg(test)]
use crate::field::MAX_FIELD_LEN;
use crate::field::{check_field, check_required, header_value};
use crate::header_names as names;
use crate::web_url::WebUrl;

/// The production host of the pin API, `https://plex.tv`.
pub const PLEX_TV: &str = "https://plex.tv";
/// The host Plex's JWT documentation uses; it serves the same pin routes.
pub const CLIENTS_PLEX_TV: &str = "https://clients.plex.tv";
/// Plex's Auth App, where a user approves a strong code.
pub const AUTH_APP: &str = "https://app.plex.tv/auth";
/// Plex's page for typing a 4-character code.
pub const LINK_PAGE: &str = "https://plex.tv/link/";

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
///
/// Cloning is cheap (one reference count): every login and client shares one copy.
#[derive(Clone)]
pub struct Config(Arc<Fields>);

/// What a [`Config`] shares between its clones.
struct Fields {
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
            .field("client_id", &self.0.client_id)
            .field("product", &self.0.product)
            .field("device", &self.0.device)
            .field("base_url", &self.0.base_url.as_str())
            .field("auth_app_url", &self.0.auth_app_url.as_str())
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
        &self.0.client_id
    }

    /// The product name sent as `X-Plex-Product`.
    pub fn product(&self) -> &str {
        &self.0.product
    }

    /// The base URL requests go to (ends with `/`).
    pub fn base_url(&self) -> &str {
        self.0.base_url.as_str()
    }

    /// `Accept: application/json` and the identity headers every request carries.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The Auth App page [`auth_url`](crate::auth_url) points to.
    pub fn auth_app_url(&self) -> &str {
        self.0.auth_app_url.as_str()
    }

    /// The code-entry page [`link_url`](crate::link_url) points to.
    pub fn link_page_url(&self) -> &str {
        self.0.link_page_url.as_str()
    }

    pub(crate) fn link_page(&self) -> &WebUrl {
        &self.0.link_page_url
    }

    pub(crate) fn device(&self) -> &DeviceFields {
        &self.0.device
    }

    /// The request URI for an API path relative to the base, such as `api/v2/pins/7`.
    ///
    /// Scheme and authority are shared with the configuration (reference counted); only the
    /// path is new, so a request costs one allocation here.
    pub(crate) fn endpoint(&self, path: std::fmt::Arguments<'_>) -> Uri {
        self.0.endpoint_base.uri(path)
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

    /// Points everything at one server that plays all of plex.tv's parts, such as the
    /// plex-pin emulator or a test double: the API at `url`, the Auth App at `{url}/auth`
    /// and the link page at `{url}/link` (setting only [`base_url`](Self::base_url) would
    /// still send users to app.plex.tv).
    ///
    /// ```
    /// use plex_pin::{auth_url, ClientId, Config};
    ///
    /// let config = Config::builder("My App", ClientId::new("abc")?)
    ///     .server("http://127.0.0.1:32400")
    ///     .build()?;
    /// assert_eq!(config.base_url(), "http://127.0.0.1:32400/");
    /// assert!(auth_url(&config, "code", None).starts_with("http://127.0.0.1:32400/auth#?"));
    /// assert_eq!(config.link_page_url(), "http://127.0.0.1:32400/link");
    /// # Ok::<(), plex_pin::ConfigError>(())
    /// ```
    pub fn server(self, url: impl Into<String>) -> Self {
        let url = url.into();
        let root = url.trim_end_matches('/');
        let (auth, link) = (format!("{root}/auth"), format!("{root}/link"));
        self.base_url(url).auth_app_url(auth).link_page_url(link)
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
        // `append` throughout the core, never `insert`: every name is set once (size rule S5).
        let mut headers = HeaderMap::with_capacity(2 + optional.len());
        headers.append(ACCEPT, HeaderValue::from_static("application/json"));
        headers.append(
            names::CLIENT_IDENTIFIER,
            header_value("X-Plex-Client-Identifier", self.client_id.as_str())?,
        );
        headers.append(
            names::PRODUCT,
            header_value("X-Plex-Product", &self.product)?,
        );
        for (name, header, value) in optional {
            if let Some(value) = value {
                check_field(name, value)?;
                headers.append(header, header_value(name, value)?);
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
        Ok(Config(Arc::new(Fields {
            client_id: self.client_id,
            product: self.product,
            device: self.device,
            base_url,
            endpoint_base,
            auth_app_url,
            link_page_url,
            headers,
        })))
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
        assert_eq!(ok("https://localhost").unwrap(), "https://localhost/");
        assert!(matches!(
            ok("http://localhost"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
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
