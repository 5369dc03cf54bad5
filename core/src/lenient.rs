//! serde helpers for the shapes plex.tv varies: a field that may be missing or `null`.
//! A leaf module: the types (`pin`, `user`) and the decoders (`decode`) all use it.

use serde::{Deserialize, Deserializer};

/// For `#[serde(deserialize_with)]`: a missing field and `null` both give the default.
/// (Optional fields are lenient this way throughout; the `js-json` walker does the same.)
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
