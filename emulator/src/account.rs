//! The signed-in account as `GET /api/v2/user` shows it, in JSON and XML.
//!
//! Modelled on plex.tv's answer as the clients that read it expect it: python-plexapi's
//! `MyPlexAccount` reads some 30 attributes of the XML `<user>` and needs `scrobbleTypes`,
//! a `<subscription>` and a `<profile>` element; the community spec's `UserPlexAccount`
//! lists the JSON fields. Values are those of a fresh free account.

use serde_json::{json, Value};

use crate::routes::escape;
use crate::state::Account;

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

/// A JSON scalar as an XML attribute value (booleans `1`/`0`, as plex.tv writes them).
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".into(),
        Value::Bool(false) => "0".into(),
        other => other.to_string(),
    }
}
