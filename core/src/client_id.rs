//! The `X-Plex-Client-Identifier` of one installation of the app.

use std::fmt;

use crate::field::{check_required, ConfigError};

/// The stable identifier of one installation of the app (`X-Plex-Client-Identifier`).
///
/// plex.tv ties a pin, and the device a token is issued to, to this value: polling a pin with
/// another identifier than the one that created it answers 404/1020 as if the pin had
/// expired. Generate it once with [`ClientId::generate`], store it, and reuse it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps an existing identifier, refusing an empty one, one with control characters,
    /// and one that starts or ends with white space (plex.tv compares it exactly: trim a
    /// value read from a file yourself if its format allows).
    pub fn new(value: impl Into<String>) -> Result<Self, ConfigError> {
        const FIELD: &str = "X-Plex-Client-Identifier";
        let value = value.into();
        check_required(FIELD, &value)?;
        let edges = [value.chars().next(), value.chars().next_back()];
        if edges.into_iter().flatten().any(char::is_whitespace) {
            return Err(ConfigError::SurroundingWhitespace { field: FIELD });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// plex.tv compares identifiers exactly: a stray space from a file or the environment
    /// is refused, not sent (every pin would be unknown to the client polling it).
    #[test]
    fn identifiers_with_surrounding_white_space_are_refused() {
        for bad in [" abc", "abc ", "\u{a0}abc", "abc\u{2003}", " "] {
            assert!(
                matches!(
                    ClientId::new(bad),
                    Err(ConfigError::SurroundingWhitespace { .. } | ConfigError::Empty { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            ClientId::new("abc\n"),
            Err(ConfigError::ControlCharacter { .. } | ConfigError::SurroundingWhitespace { .. })
        ));
        assert_eq!(ClientId::new("a b").unwrap().as_str(), "a b");
        assert_eq!(ClientId::new("abc").unwrap().as_str(), "abc");
    }
}
