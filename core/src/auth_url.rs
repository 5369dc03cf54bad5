//! The link a user opens to approve a pin.

use crate::config::Config;
use crate::percent::{self, unreserved};
use crate::pin::{Pin, PinKind};
use crate::request::ForwardUrl;

/// Where the user approves `pin`: the Auth App URL ([`auth_url`]) for a strong code, the
/// link page ([`link_url`]) for a 4-character one. Every transport and UI shows this one
/// choice, so it is made here.
///
/// ```
/// use plex_pin::{approval_url, ClientId, Config, Pin};
///
/// let config = Config::builder("My App", ClientId::new("abc")?).build()?;
/// let pin: Pin = serde_json::from_str(r#"{"id":1,"code":"ABCD"}"#)?;
/// assert_eq!(approval_url(&config, &pin, None), "https://plex.tv/link/?pin=ABCD");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn approval_url(config: &Config, pin: &Pin, forward_url: Option<&ForwardUrl>) -> String {
    match pin.kind() {
        PinKind::Link => link_url(config, &pin.code),
        PinKind::Strong => auth_url(config, &pin.code, forward_url),
    }
}

/// The Auth App URL for a strong code:
/// `https://app.plex.tv/auth#?clientID=…&code=…&context%5Bdevice%5D%5Bproduct%5D=…`, with
/// the other `context[device]` fields that are set and an optional `forwardUrl`.
///
/// The parameters live in the fragment, so they never reach a server log. The base is
/// [`ConfigBuilder::auth_app_url`](crate::ConfigBuilder::auth_app_url) (the emulator serves
/// its own approval page).
///
/// ```
/// use plex_pin::{auth_url, ClientId, Config};
///
/// let config = Config::builder("My Cool App", ClientId::new("abc")?).build()?;
/// let url = auth_url(&config, "k2v9q0x7m4t1z8c3b6n5w0r2e", None);
/// assert_eq!(
///     url,
///     "https://app.plex.tv/auth#?clientID=abc&code=k2v9q0x7m4t1z8c3b6n5w0r2e\
///      &context%5Bdevice%5D%5Bproduct%5D=My%20Cool%20App"
/// );
/// # Ok::<(), plex_pin::ConfigError>(())
/// ```
pub fn auth_url(config: &Config, code: &str, forward_url: Option<&ForwardUrl>) -> String {
    let device = config.device();
    let context = [
        ("product", Some(config.product())),
        ("version", device.version.as_deref()),
        ("platform", device.platform.as_deref()),
        ("platformVersion", device.platform_version.as_deref()),
        ("device", device.device.as_deref()),
        ("deviceName", device.device_name.as_deref()),
        ("model", device.model.as_deref()),
    ];
    let base = config.auth_app_url();
    let mut url = String::with_capacity(base.len() + 256);
    url.push_str(base);
    url.push_str("#?");
    let mut first = true;
    // `key` is written as given (already encoded), `value` percent-encoded.
    let mut push = |key: &[&str], value: &str| {
        if !std::mem::take(&mut first) {
            url.push('&');
        }
        key.iter().for_each(|part| url.push_str(part));
        url.push('=');
        // Everything but RFC 3986 unreserved characters is escaped, so the nested
        // `context[device][product]` keys arrive as `context%5Bdevice%5D%5Bproduct%5D` and
        // spaces as `%20`, as in Plex's own example.
        percent::encode_into(&mut url, value, unreserved);
    };
    push(&["clientID"], config.client_id().as_str());
    push(&["code"], code);
    for (key, value) in context {
        if let Some(value) = value {
            // `context[device][key]`, with the brackets encoded as Plex's example has them.
            push(&["context%5Bdevice%5D%5B", key, "%5D"], value);
        }
    }
    if let Some(forward) = forward_url {
        push(&["forwardUrl"], forward.as_str());
    }
    url
}

/// The shortest Auth App URL that signs in: `clientID` and `code` only, without the
/// `context[device]` fields (which only label the sign-in page). For a QR code, where every
/// character costs modules: 102 characters for plex.tv instead of about 230, a code a
/// terminal can show at 80×24. Show [`auth_url`] as the text link where it fits.
///
/// ```
/// use plex_pin::{short_auth_url, ClientId, Config};
///
/// let config = Config::builder("My Cool App", ClientId::new("abc")?).build()?;
/// assert_eq!(
///     short_auth_url(&config, "k2v9q0x7m4t1z8c3b6n5w0r2e"),
///     "https://app.plex.tv/auth#?clientID=abc&code=k2v9q0x7m4t1z8c3b6n5w0r2e"
/// );
/// # Ok::<(), plex_pin::ConfigError>(())
/// ```
pub fn short_auth_url(config: &Config, code: &str) -> String {
    let client = percent::encode(config.client_id().as_str(), unreserved);
    let code = percent::encode(code, unreserved);
    format!("{}#?clientID={client}&code={code}", config.auth_app_url())
}

/// The page where a signed-in user types a 4-character code, prefilled:
/// `https://plex.tv/link/?pin=CODE` (base from
/// [`ConfigBuilder::link_page_url`](crate::ConfigBuilder::link_page_url)).
///
/// Strong codes are refused there; use [`auth_url`] for them.
pub fn link_url(config: &Config, code: &str) -> String {
    let page = config.link_page();
    let separator = if page.has_query() { '&' } else { '?' };
    let code = percent::encode(code, unreserved);
    format!("{}{separator}pin={code}", page.as_str())
}
