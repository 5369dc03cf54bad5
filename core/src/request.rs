//! Request builders: one function per plex.tv call, each returning a ready
//! [`Request`] that any HTTP client can send.
//!
//! Every request carries `Accept: application/json` and the identity headers of the
//! [`Config`]. The builders cannot fail: everything they use was validated earlier, in
//! [`ConfigBuilder::build`](crate::ConfigBuilder::build), [`Token::new`] and
//! [`ForwardUrl::parse`].

use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, ORIGIN};
use http::{Method, Uri};

use crate::config::Config;
use crate::field::ConfigError;
use crate::pin::PinKind;
use crate::token::Token;
use crate::web_url::WebUrl;

/// What the core hands a transport to send.
pub type Request = http::Request<Vec<u8>>;

/// Where the Auth App sends the browser after sign-in (the "forwarding" flow for web apps).
///
/// plex.tv checks the forward URL's host against the `Origin` the pin was created with, so
/// [`create_pin`] sends `Origin` derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardUrl {
    url: WebUrl,
    origin: HeaderValue,
}

impl ForwardUrl {
    /// Parses an absolute http(s) URL with a host.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let url = WebUrl::parse("forward URL", raw)?;
        let origin = HeaderValue::from_str(&url.origin()).map_err(|_| ConfigError::InvalidUrl {
            field: "forward URL",
            reason: "its origin is not a valid header value".to_owned(),
        })?;
        Ok(Self { url, origin })
    }

    /// The URL, as given.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// `scheme://host[:port]`, as sent in `Origin`.
    pub fn origin(&self) -> &str {
        // Built from an ASCII serialisation.
        self.origin.to_str().unwrap_or_default()
    }
}

/// The options of a pin creation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PinOptions {
    /// Strong (25 characters, Auth App link) or link (4 characters, plex.tv/link).
    pub kind: PinKind,
    /// Forwarding flow: where the Auth App sends the browser afterwards.
    pub forward_url: Option<ForwardUrl>,
}

impl PinOptions {
    /// A strong pin for the Auth App link (the default).
    pub fn strong() -> Self {
        Self::default()
    }

    /// A 4-character pin for plex.tv/link.
    pub fn link() -> Self {
        Self {
            kind: PinKind::Link,
            forward_url: None,
        }
    }

    /// Adds a forward URL (sends the matching `Origin` on creation).
    pub fn with_forward_url(mut self, forward_url: ForwardUrl) -> Self {
        self.forward_url = Some(forward_url);
        self
    }
}

fn build(config: &Config, method: Method, uri: Uri) -> Request {
    let mut request = Request::new(Vec::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    copy_config_headers(config, request.headers_mut());
    request
}

/// Gives a new request the configuration's headers: a clone of its map, which is a copy.
#[cfg(not(target_arch = "wasm32"))]
fn copy_config_headers(config: &Config, headers: &mut HeaderMap) {
    *headers = config.headers().clone();
}

/// Gives a new request the configuration's headers: in a browser build appended one by one,
/// so that the module carries one way to fill a map (size rule S5). Natively the clone
/// stays: it builds a request in 316 ns where appending took 518 (`cargo bench -p plex-pin
/// --bench roundtrip`).
#[cfg(target_arch = "wasm32")]
fn copy_config_headers(config: &Config, headers: &mut HeaderMap) {
    for (name, value) in config.headers() {
        headers.append(name.clone(), value.clone());
    }
}

/// The text of a header name the builders here set, such as `"x-plex-product"`; `None` for
/// any other name.
///
/// For transports that hand header names to JavaScript as text: `HeaderName::as_str` carries
/// http's table of every standard name where the core uses three (size rule S6).
///
/// ```
/// use plex_pin::{request, ClientId, Config, PinOptions};
///
/// let config = Config::builder("My App", ClientId::new("my-device-1")?).build()?;
/// for name in request::create_pin(&config, &PinOptions::strong()).headers().keys() {
///     assert_eq!(request::header_name(name), Some(name.as_str()));
/// }
/// assert_eq!(request::header_name(&plex_pin::http::header::COOKIE), None);
/// # Ok::<(), plex_pin::ConfigError>(())
/// ```
#[doc(hidden)] // plex-pin-wasm's: a transport detail, not part of the request API.
pub fn header_name(name: &HeaderName) -> Option<&'static str> {
    crate::header_names::SENT
        .into_iter()
        .find(|(_, sent)| sent == name)
        .map(|(text, _)| text)
}

/// `POST /api/v2/pins[?strong=true]`: asks plex.tv for a new pin.
///
/// ```
/// use plex_pin::{request, ClientId, Config, PinOptions};
///
/// let config = Config::builder("My App", ClientId::new("my-device-1")?).build()?;
/// let req = request::create_pin(&config, &PinOptions::strong());
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.uri(), "https://plex.tv/api/v2/pins?strong=true");
/// assert_eq!(req.headers()["x-plex-client-identifier"], "my-device-1");
/// assert_eq!(req.headers()["accept"], "application/json");
/// # Ok::<(), plex_pin::ConfigError>(())
/// ```
pub fn create_pin(config: &Config, options: &PinOptions) -> Request {
    let uri = match options.kind {
        PinKind::Strong => config.endpoint(format_args!("api/v2/pins?strong=true")),
        _ => config.endpoint(format_args!("api/v2/pins")),
    };
    let mut request = build(config, Method::POST, uri);
    if let Some(forward) = &options.forward_url {
        request.headers_mut().append(ORIGIN, forward.origin.clone());
    }
    request
}

/// `GET /api/v2/pins/{id}`: reads a pin; its `authToken` is set once the user approved.
pub fn check_pin(config: &Config, pin_id: u64) -> Request {
    build(config, Method::GET, check_pin_uri(config, pin_id))
}

/// The URI [`check_pin`] requests, for callers that poll the same pin many times.
pub(crate) fn check_pin_uri(config: &Config, pin_id: u64) -> Uri {
    config.endpoint(format_args!("api/v2/pins/{pin_id}"))
}

/// [`check_pin`] with its URI built already (cloning a `Uri` only counts references).
pub(crate) fn check_pin_at(config: &Config, uri: Uri) -> Request {
    build(config, Method::GET, uri)
}

/// `GET /api/v2/user` with `X-Plex-Token`: checks a token and returns the account.
///
/// The token header is marked sensitive, so `http`'s own `Debug` hides it.
pub fn user(config: &Config, token: &Token) -> Request {
    let mut request = build(
        config,
        Method::GET,
        config.endpoint(format_args!("api/v2/user")),
    );
    request
        .headers_mut()
        .append(crate::header_names::TOKEN, token.header_value());
    request
}

/// `PUT /api/v2/pins/link` with the form field `code`: an account that is signed in (its
/// `token`) approves a 4-character code, as plex.tv/link does. plex.tv answers 204;
/// read it with [`response::accepted`](crate::response::accepted).
pub fn link_pin(config: &Config, token: &Token, code: &str) -> Request {
    let mut request = user_request(config, Method::PUT, format_args!("api/v2/pins/link"), token);
    let code = crate::percent::encode(code, |b| b.is_ascii_alphanumeric());
    *request.body_mut() = format!("code={code}").into_bytes();
    request.headers_mut().append(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    request
}

/// A request carrying `X-Plex-Token`.
fn user_request(
    config: &Config,
    method: Method,
    path: std::fmt::Arguments<'_>,
    token: &Token,
) -> Request {
    let mut request = build(config, method, config.endpoint(path));
    request
        .headers_mut()
        .append(crate::header_names::TOKEN, token.header_value());
    request
}

#[cfg(feature = "jwt")]
fn with_json(mut request: Request, body: &serde_json::Value) -> Request {
    *request.body_mut() = body.to_string().into_bytes();
    request
        .headers_mut()
        .append(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    request
}

/// `POST /api/v2/pins` carrying the device's JWK in a JSON body (`{"jwk":…,"strong":true}`):
/// the pin sign-in that ends with a Plex JWT instead of a legacy token. Plex documents it on
/// [`CLIENTS_PLEX_TV`](crate::CLIENTS_PLEX_TV).
#[cfg(feature = "jwt")]
pub fn create_pin_with_key(
    config: &Config,
    options: &PinOptions,
    jwk: &crate::jwt::Jwk,
) -> Request {
    let mut body = serde_json::json!({ "jwk": jwk });
    if options.kind == PinKind::Strong {
        body["strong"] = serde_json::Value::Bool(true);
    }
    let mut request = with_json(
        build(
            config,
            Method::POST,
            config.endpoint(format_args!("api/v2/pins")),
        ),
        &body,
    );
    if let Some(forward) = &options.forward_url {
        request.headers_mut().append(ORIGIN, forward.origin.clone());
    }
    request
}

/// `GET /api/v2/pins/{id}?deviceJWT=…`: polls a pin created with a key; once approved its
/// `authToken` is a Plex JWT.
#[cfg(feature = "jwt")]
pub fn check_pin_with_jwt(config: &Config, pin_id: u64, jwt: &crate::jwt::DeviceJwt) -> Request {
    // A compact JWT is base64url and dots: nothing to escape in a query.
    let uri = config.endpoint(format_args!(
        "api/v2/pins/{pin_id}?deviceJWT={}",
        jwt.as_str()
    ));
    build(config, Method::GET, uri)
}

/// `GET /api/v2/auth/nonce`: a single-use nonce for the next device JWT (valid 5 minutes).
#[cfg(feature = "jwt")]
pub fn nonce(config: &Config) -> Request {
    build(
        config,
        Method::GET,
        config.endpoint(format_args!("api/v2/auth/nonce")),
    )
}

/// `POST /api/v2/auth/jwk` with `{"jwk":…}`: registers the device key using an existing
/// (legacy) token. plex.tv answers 201.
#[cfg(feature = "jwt")]
pub fn register_key(config: &Config, token: &Token, jwk: &crate::jwt::Jwk) -> Request {
    let request = user_request(config, Method::POST, format_args!("api/v2/auth/jwk"), token);
    with_json(request, &serde_json::json!({ "jwk": jwk }))
}

/// `POST /api/v2/auth/token` with `{"jwt":…}`: exchanges a device JWT for a Plex JWT (the
/// refresh, every ≤ 7 days or after a 498).
#[cfg(feature = "jwt")]
pub fn exchange_jwt(config: &Config, jwt: &crate::jwt::DeviceJwt) -> Request {
    let request = build(
        config,
        Method::POST,
        config.endpoint(format_args!("api/v2/auth/token")),
    );
    with_json(request, &serde_json::json!({ "jwt": jwt.as_str() }))
}

/// The refresh's second step: a device JWT over `nonce` (from [`nonce`]), signed by `key`
/// at `unix_now`, sent to `POST /api/v2/auth/token`. Read the answer with
/// [`response::auth_token`](crate::response::auth_token).
#[cfg(feature = "jwt")]
pub fn refresh_with_nonce(
    config: &Config,
    key: &crate::jwt::DeviceKey,
    nonce: &str,
    unix_now: u64,
) -> Request {
    let claims = crate::jwt::DeviceClaims::new(config.client_id(), nonce, unix_now);
    exchange_jwt(config, &key.device_jwt(&claims))
}

/// `GET /api/v2/auth/keys`: Plex's public keys, to verify Plex JWTs with.
#[cfg(feature = "jwt")]
pub fn plex_keys(config: &Config) -> Request {
    build(
        config,
        Method::GET,
        config.endpoint(format_args!("api/v2/auth/keys")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_id::ClientId;

    /// Every request any builder makes, with every optional header set.
    fn every_request() -> Vec<Request> {
        let config = Config::builder("App", ClientId::new("id-1").unwrap())
            .version("1")
            .platform("Web")
            .platform_version("2")
            .device("Browser")
            .device_name("Desk")
            .model("m")
            .build()
            .unwrap();
        let forward = PinOptions::strong()
            .with_forward_url(ForwardUrl::parse("https://app.example/back").unwrap());
        let token = Token::new("token-1").unwrap();
        #[allow(unused_mut)]
        let mut all = vec![
            create_pin(&config, &PinOptions::strong()),
            create_pin(&config, &PinOptions::link()),
            create_pin(&config, &forward),
            check_pin(&config, 7),
            user(&config, &token),
            link_pin(&config, &token, "ABCD"),
        ];
        #[cfg(feature = "jwt")]
        {
            let key = crate::jwt::DeviceKey::from_seed([7; 32]);
            let jwt = key.device_jwt(&crate::jwt::DeviceClaims::new(config.client_id(), "n", 1));
            all.extend([
                create_pin_with_key(&config, &forward, key.jwk()),
                check_pin_with_jwt(&config, 7, &jwt),
                nonce(&config),
                register_key(&config, &token, key.jwk()),
                exchange_jwt(&config, &jwt),
                refresh_with_nonce(&config, &key, "n", 1),
                plex_keys(&config),
            ]);
        }
        all
    }

    #[test]
    fn header_name_names_every_header_the_builders_set() {
        let mut seen = std::collections::BTreeSet::new();
        for request in every_request() {
            for name in request.headers().keys() {
                assert_eq!(header_name(name), Some(name.as_str()), "{name}");
                seen.insert(name.as_str().to_owned());
            }
        }
        // Every listed name is right, and the requests above reach all but the ones only
        // the JWT builders set.
        for (text, name) in crate::header_names::SENT {
            assert_eq!(text, name.as_str());
            assert!(seen.contains(text) || (text == "content-type" && !cfg!(feature = "jwt")));
        }
        assert_eq!(header_name(&http::header::COOKIE), None);
        assert_eq!(header_name(&HeaderName::from_static("x-plex-other")), None);
    }
}
