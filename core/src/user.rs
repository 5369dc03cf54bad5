//! The account behind a token, from `GET /api/v2/user`.

use serde::Deserialize;

/// The signed-in account: what a caller needs to greet the user and tell accounts apart.
/// Unknown fields are ignored; all but `id` are optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// Numeric account id.
    pub id: u64,
    /// Stable account UUID (hex).
    #[serde(default)]
    pub uuid: Option<String>,
    /// User name.
    #[serde(default)]
    pub username: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Display name.
    #[serde(default)]
    pub title: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub thumb: Option<String>,
    /// Plex Pass state.
    #[serde(default)]
    pub subscription: Option<Subscription>,
}

impl User {
    /// The best name to show: title, else username, else the e-mail address.
    pub fn display_name(&self) -> Option<&str> {
        self.title
            .as_deref()
            .or(self.username.as_deref())
            .or(self.email.as_deref())
    }
}

/// Plex Pass subscription state.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct Subscription {
    /// Whether a subscription is active.
    #[serde(default, deserialize_with = "crate::lenient::null_as_default")]
    pub active: bool,
    /// Status text, e.g. `Active` or `Inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// Plan name, e.g. `monthly` or `lifetime`.
    #[serde(default)]
    pub plan: Option<String>,
}
