//! The pin object plex.tv returns from `POST /api/v2/pins` and `GET /api/v2/pins/{id}`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::token::Token;

/// The longest pin lifetime a login believes. plex.tv's longest-lived pins last 30 minutes;
/// an `expiresIn` above this (a hostile or broken server) is cut to it.
pub const MAX_PIN_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest pin code accepted. plex.tv's are 4 or 25 characters.
pub const MAX_CODE_LEN: usize = 64;

/// Which kind of code to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PinKind {
    /// A 25-character code (`?strong=true`), lives about 30 minutes, for the
    /// `https://app.plex.tv/auth#?…` link built by [`auth_url`](crate::auth_url).
    #[default]
    Strong,
    /// A 4-character code, lives about 15 minutes, typed by the user at
    /// `https://plex.tv/link` (see [`link_url`](crate::link_url)).
    Link,
}

impl PinKind {
    /// The lifetime plex.tv gives this kind, used when a response lacks `expiresIn`.
    pub fn default_lifetime_secs(self) -> u64 {
        match self {
            PinKind::Strong => 1800,
            PinKind::Link => 900,
        }
    }

    pub(crate) fn default_lifetime(self) -> Duration {
        Duration::from_secs(self.default_lifetime_secs())
    }
}

/// Whether `code` can be a plex.tv pin code: 1 to [`MAX_CODE_LEN`] ASCII letters and
/// digits. Anything else (control characters, markup, a megabyte of text) is refused when
/// the pin is parsed, so a code is always safe to print or put in a URL.
pub(crate) fn is_valid_code(code: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A pin as plex.tv describes it. Parsed leniently: unknown fields are ignored and every
/// field but `id` and `code` may be missing or null.
///
/// `auth_token` stays `None` until the user approves the sign-in.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Pin {
    /// The pin id to poll (`GET /api/v2/pins/{id}`). plex.tv ids come close to 2^31.
    pub id: u64,
    /// The code to show the user: 4 uppercase characters, or 25 lowercase for strong pins.
    /// Always 1 to [`MAX_CODE_LEN`] ASCII letters and digits: the parser refuses others.
    pub code: String,
    /// The `X-Plex-Product` the pin was created with (`"0"` has been seen too).
    #[serde(default, deserialize_with = "crate::lenient::null_as_default")]
    pub product: String,
    /// Undocumented; `false` in every known response.
    #[serde(default, deserialize_with = "crate::lenient::null_as_default")]
    pub trusted: bool,
    /// URL of a QR image for the code (useful for 4-character codes).
    #[serde(default)]
    pub qr: Option<String>,
    /// The `X-Plex-Client-Identifier` that created the pin.
    #[serde(default, deserialize_with = "crate::lenient::null_as_default")]
    pub client_identifier: String,
    /// GeoIP data about the caller.
    #[serde(default)]
    pub location: Option<Location>,
    /// Seconds left when plex.tv produced the response. It counts down between polls.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Creation time as RFC 3339 text, for display.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Expiry time as RFC 3339 text, for display only: deadlines are computed from
    /// `expires_in` on the caller's monotonic clock, which clock skew cannot fool.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// The account token, once the user has approved. Never serialised: a saved pin holds
    /// no secret.
    #[serde(default, skip_serializing)]
    pub auth_token: Option<Token>,
    /// `true` when the user created an account while signing in; `null` until approved.
    #[serde(default)]
    pub new_registration: Option<bool>,
}

/// A pin saved to resume its login later, in another request, process or machine (a web
/// backend that creates the pin on one request and polls on the next, a page reloaded
/// mid-login): what [`PinLogin::resume`](crate::PinLogin::resume) needs, serialisable with
/// serde, and no secret.
///
/// The expiry is absolute (Unix seconds): the monotonic clock it was counted on does not
/// survive a process.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SavedPin {
    /// The pin's id.
    pub id: u64,
    /// Its code.
    pub code: String,
    /// The client identifier that created it: plex.tv answers polls with another as if the
    /// pin did not exist.
    pub client_identifier: String,
    /// When it expires, in Unix seconds on the saving machine's clock; `0` if unknown (the
    /// resumed login then waits at most [`MAX_PIN_LIFETIME`], and plex.tv's 404 ends it).
    pub expires_at: u64,
}

impl SavedPin {
    /// A pin to resume, made from what an app stored about it: its `id`, its `code` (empty
    /// if unknown: the first poll's answer then fixes it), the client identifier that
    /// created it, and its expiry in Unix seconds (`0` if unknown: plex.tv's 404 ends it,
    /// or [`MAX_PIN_LIFETIME`] from the resume).
    pub fn new(
        id: u64,
        code: impl Into<String>,
        client_id: &crate::client_id::ClientId,
        expires_at: u64,
    ) -> Self {
        Self {
            id,
            code: code.into(),
            client_identifier: client_id.as_str().to_owned(),
            expires_at,
        }
    }
}

impl Pin {
    /// How long the pin lives from its creation: `expiresIn`, held to
    /// [`MAX_PIN_LIFETIME`] (it comes from the network), or its kind's usual life when the
    /// answer has none. The one rule every login and saved pin counts its expiry by.
    pub fn lifetime(&self) -> Duration {
        self.expires_in
            .map_or(self.kind().default_lifetime(), |secs| {
                Duration::from_secs(secs).min(MAX_PIN_LIFETIME)
            })
    }

    /// The kind of code this is, told by its length (at most 8 characters: a link code).
    pub fn kind(&self) -> PinKind {
        // Not `chars().count()` (size rule S10).
        if self.code.chars().nth(8).is_none() {
            PinKind::Link
        } else {
            PinKind::Strong
        }
    }
}

/// GeoIP data in a pin (`location`). Every field is optional.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub code: Option<String>,
    /// Continent code (`EU`, `NA`, …).
    #[serde(default)]
    pub continent_code: Option<String>,
    /// Country name.
    #[serde(default)]
    pub country: Option<String>,
    /// City name.
    #[serde(default)]
    pub city: Option<String>,
    /// Whether the country is in the EU.
    #[serde(default)]
    pub european_union_member: Option<bool>,
    /// IANA time zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Postal code. plex.tv sends a string; old examples send a number, accepted too.
    #[serde(default, deserialize_with = "string_or_number")]
    pub postal_code: Option<String>,
    /// Whether the country has privacy restrictions.
    #[serde(default)]
    pub in_privacy_restricted_country: Option<bool>,
    /// Whether the region has privacy restrictions.
    #[serde(default)]
    pub in_privacy_restricted_region: Option<bool>,
    /// Primary subdivision(s), possibly comma-joined.
    #[serde(default)]
    pub subdivisions: Option<String>,
    /// `"lat, lon"`.
    #[serde(default)]
    pub coordinates: Option<String>,
}

/// `postal_code` as plex.tv sends it (a string) or as old examples do (a number), decoded
/// without buffering the value.
fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    struct Visitor;

    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string, an integer or null")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postal(json: &str) -> Result<Option<String>, serde_json::Error> {
        serde_json::from_str::<Location>(&format!(r#"{{"postal_code":{json}}}"#))
            .map(|l| l.postal_code)
    }

    #[test]
    fn postal_code_is_a_string_or_an_integer() {
        assert_eq!(postal(r#""4814""#).unwrap().as_deref(), Some("4814"));
        assert_eq!(postal("802").unwrap().as_deref(), Some("802"));
        assert_eq!(postal("-1").unwrap().as_deref(), Some("-1"));
        assert_eq!(postal("null").unwrap(), None);
        assert!(
            postal("8.5").is_err(),
            "a fractional postal code is not one"
        );
        assert!(postal("[]").is_err());
        assert_eq!(
            serde_json::from_str::<Location>("{}").unwrap().postal_code,
            None
        );
    }
}
