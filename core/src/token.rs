//! The account token, kept out of logs.

use std::fmt;

use http::HeaderValue;

/// Longest token accepted. Legacy tokens are about 20 characters and Plex JWTs about 540;
/// the limit only bounds what a hostile server can make us keep.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// A Plex account token (a legacy opaque token or a Plex JWT).
///
/// Its `Debug` and `Display` print `Token(***)`, so it cannot leak through `{:?}`, an
/// error message or a log line by accident. Read the value with [`Token::expose_secret`]
/// only where it is meant to go.
///
/// ```
/// let token = plex_pin::Token::new("2ffLuB84dqLswk9skLos")?;
/// assert_eq!(format!("{token:?} {token}"), "Token(***) ***");
/// assert_eq!(token.expose_secret(), "2ffLuB84dqLswk9skLos");
/// # Ok::<(), plex_pin::InvalidToken>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(
    /// Kept as a header value marked sensitive: it is validated once and goes into
    /// `X-Plex-Token` without a second check (and `http` keeps it out of its own `Debug`).
    HeaderValue,
);

/// A string that cannot be a token: empty, too long, or not visible ASCII.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid token: must be 1 to {MAX_TOKEN_LEN} visible ASCII characters")]
pub struct InvalidToken;

impl Token {
    /// Wraps a token string, refusing anything that could not travel in a header.
    pub fn new(value: impl AsRef<str>) -> Result<Self, InvalidToken> {
        Self::checked(value.as_ref())
    }

    // Not generic: one copy in a module, however many string types call `new`.
    fn checked(value: &str) -> Result<Self, InvalidToken> {
        let visible = |b: &u8| (0x21..=0x7e).contains(b);
        if value.is_empty() || value.len() > MAX_TOKEN_LEN || !value.bytes().all(|b| visible(&b)) {
            return Err(InvalidToken);
        }
        let mut header = HeaderValue::from_str(value).map_err(|_| InvalidToken)?;
        header.set_sensitive(true);
        Ok(Self(header))
    }

    /// The token itself. Send it in `X-Plex-Token` or store it; do not log it.
    pub fn expose_secret(&self) -> &str {
        // `new` admits visible ASCII only, for which `to_str` cannot fail.
        self.0.to_str().unwrap_or_default()
    }

    pub(crate) fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> serde::Deserialize<'de> for Token {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor, not `String` or `Cow<str>` (serde always owns those): the text goes
        // straight from the body into the header value, one allocation in all.
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Token;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a token string")
            }

            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Token, E> {
                // The message names the rule only: it must never echo the value.
                Token::new(raw).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_cannot_be_a_header() {
        for bad in [
            "",
            "a b",
            "tok\r\nX: y",
            "é",
            &"a".repeat(MAX_TOKEN_LEN + 1),
        ] {
            assert_eq!(Token::new(bad), Err(InvalidToken), "{bad:?}");
        }
    }

    #[test]
    fn header_is_sensitive_and_redacted() {
        let token = Token::new("secret-value").unwrap();
        assert!(token.header_value().is_sensitive());
        assert!(!format!("{token:?}{token}").contains("secret"));
    }

    #[test]
    fn bad_token_in_json_does_not_echo_it() {
        let err = serde_json::from_str::<Token>("\"has space secret\"").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
