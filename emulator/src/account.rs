//! The signed-in account as `GET /api/v2/user` shows it, in JSON and XML.
//!
//! Modelled on plex.tv's answer as the clients that read it expect it: python-plexapi's
//! `MyPlexAccount` reads some 30 attributes of the XML `<user>` and needs `scrobbleTypes`,
//! a `<subscription>` and a `<profile>` element; the community spec's `UserPlexAccount`
//! lists the JSON fields. Values are those of a fresh free account.

use serde_json::{json, Value};

use crate::xml::{escape, scalar};

/// The account every approval signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// Numeric id.
    pub id: u64,
    /// Account UUID.
    pub uuid: String,
    /// User name.
    pub username: String,
    /// Display name.
    pub title: String,
    /// E-mail address.
    pub email: String,
}

impl Account {
    /// The emulator's default account.
    pub fn default_user() -> Self {
        Self {
            id: 4_242_424,
            uuid: "5f1f2d3c4b5a69788796a5b4c3d2e1f0".to_owned(),
            username: "emulated-user".to_owned(),
            title: "Emulated User".to_owned(),
            email: "emulated-user@example.invalid".to_owned(),
        }
    }
}

/// The account in plex.tv's JSON shape; `token` is the one it was asked with.
pub(crate) fn json(account: &Account, token: &str, base_url: &str) -> Value {
    json!({
        "id": account.id,
        "uuid": account.uuid,
        "username": account.username,
        "title": account.title,
        "email": account.email,
        "friendlyName": account.title,
        "locale": null,
        "confirmed": true,
        "joinedAt": JOINED_AT,
        "emailOnlyAuth": false,
        "hasPassword": true,
        "protected": false,
        "thumb": thumb(account, base_url),
        "authToken": token,
        "mailingListStatus": "unsubscribed",
        "mailingListActive": false,
        "scrobbleTypes": "",
        "country": "NL",
        "subscription": {
            "active": false,
            "subscribedAt": null,
            "status": "Inactive",
            "paymentService": null,
            "plan": null,
            "features": [],
        },
        "subscriptionDescription": null,
        "restricted": false,
        "anonymous": null,
        "home": false,
        "guest": false,
        "homeSize": 1,
        "homeAdmin": false,
        "maxHomeSize": 15,
        "rememberExpiresAt": REMEMBER_EXPIRES_AT,
        "profile": {
            "autoSelectAudio": true,
            "defaultAudioLanguage": "en",
            "defaultSubtitleLanguage": "en",
            "autoSelectSubtitle": 0,
            "defaultSubtitleAccessibility": 0,
            "defaultSubtitleForces": 0,
            "watchedIndicator": 1,
            "mediaReviewsVisibility": 0,
        },
        "entitlements": [],
        "roles": [],
        "services": [],
        "adsConsent": null,
        "adsConsentSetAt": null,
        "adsConsentReminderAt": null,
        "experimentalFeatures": false,
        "twoFactorEnabled": false,
        "backupCodesCreated": false,
    })
}

/// The same account as plex.tv's XML `<user>`: scalars as attributes (booleans `1`/`0`,
/// nulls left out), `subscription` and `profile` as child elements.
pub(crate) fn xml(account: &Account, token: &str, base_url: &str) -> String {
    let value = json(account, token, base_url);
    let mut attrs = String::new();
    let mut children = String::new();
    if let Value::Object(map) = &value {
        for (key, v) in map {
            match v {
                Value::Null | Value::Array(_) => {}
                Value::Object(inner) => {
                    children.push_str(&format!("\n  <{key}"));
                    for (k, v) in inner {
                        if !matches!(v, Value::Null | Value::Array(_)) {
                            children.push_str(&format!(" {k}=\"{}\"", escape(&scalar(v))));
                        }
                    }
                    children.push_str("/>");
                }
                v => attrs.push_str(&format!(" {key}=\"{}\"", escape(&scalar(v)))),
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user{attrs}>{children}\n  <entitlements/>\n  <roles/>\n  <services/>\n</user>\n"
    )
}

/// Joined on 2020-01-01 (Unix seconds, as plex.tv gives `joinedAt`).
const JOINED_AT: u64 = 1_577_836_800;
/// A `rememberExpiresAt` far enough ahead.
const REMEMBER_EXPIRES_AT: u64 = 4_102_444_800;

fn thumb(account: &Account, base_url: &str) -> String {
    format!("{base_url}/users/{}/avatar", account.uuid)
}
