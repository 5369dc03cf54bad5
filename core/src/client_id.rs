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
