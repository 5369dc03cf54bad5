//! The `small-json` decoder: plex.tv's pin, account and error body as miniserde reads
//! them, then turned into the public types.
//!
//! miniserde drives one non-generic parser through `dyn` visitors: in the browser build it
//! costs about 12 KB gzipped where serde_json cost 34 KB (BENCHMARKS.md). The shapes here
//! accept what the serde derives in pin.rs and user.rs accept: missing or `null` fields
//! are empty, unknown fields are ignored, `postal_code` may be a number, a token must pass
//! `Token::new` (the tests below hold the two decoders to the same answers and name the
//! two differences). miniserde's errors carry no detail, so a failure names the type only.

use miniserde::de::Visitor;
use miniserde::{json, make_place, Deserialize};

use crate::decode::{ErrorBody, ErrorEntry, Failure};
use crate::{Location, Pin, Subscription, Token, User};

make_place!(Place);

pub(crate) fn pin(body: &[u8]) -> Result<Pin, Failure> {
    let wire: WirePin = decode(body, "a pin")?;
    Ok(Pin {
        id: wire.id,
        code: wire.code,
        product: wire.product.unwrap_or_default(),
        trusted: wire.trusted.unwrap_or_default(),
        qr: wire.qr,
        client_identifier: wire.client_identifier.unwrap_or_default(),
        location: wire.location.map(WireLocation::into_location),
        expires_in: wire.expires_in,
        created_at: wire.created_at,
        expires_at: wire.expires_at,
        auth_token: wire.auth_token.map(|t| t.0),
        new_registration: wire.new_registration,
    })
}

pub(crate) fn user(body: &[u8]) -> Result<User, Failure> {
    let wire: WireUser = decode(body, "an account")?;
    Ok(User {
        id: wire.id,
        uuid: wire.uuid,
        username: wire.username,
        email: wire.email,
        title: wire.title,
        thumb: wire.thumb,
        subscription: wire.subscription.map(|s| Subscription {
            active: s.active.unwrap_or_default(),
            status: s.status,
            plan: s.plan,
        }),
    })
}

pub(crate) fn error_body(body: &[u8]) -> Option<ErrorBody> {
    let wire: WireErrorBody = decode(body, "an error body").ok()?;
    Some(ErrorBody {
        errors: wire
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| ErrorEntry {
                code: e.code,
                message: e.message,
                status: e.status,
            })
            .collect(),
        error: wire.error,
    })
}

/// `what` names the expected value in the message: miniserde has nothing more to say.
fn decode<T: miniserde::Deserialize>(body: &[u8], what: &str) -> Result<T, Failure> {
    let failure = |why: &str| (".".to_owned(), format!("expected {what}: {why}"));
    let text = std::str::from_utf8(body).map_err(|_| failure("the body is not UTF-8"))?;
    json::from_str(text)
        .map_err(|_| failure("invalid JSON, a missing field or a field of the wrong type"))
}

#[derive(Deserialize)]
struct WirePin {
    id: u64,
    code: String,
    product: Option<String>,
    trusted: Option<bool>,
    qr: Option<String>,
    #[serde(rename = "clientIdentifier")]
    client_identifier: Option<String>,
    location: Option<WireLocation>,
    #[serde(rename = "expiresIn")]
    expires_in: Option<u64>,
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
    #[serde(rename = "expiresAt")]
    expires_at: Option<String>,
    #[serde(rename = "authToken")]
    auth_token: Option<WireToken>,
    #[serde(rename = "newRegistration")]
    new_registration: Option<bool>,
}

#[derive(Deserialize)]
struct WireLocation {
    code: Option<String>,
    continent_code: Option<String>,
    country: Option<String>,
    city: Option<String>,
    european_union_member: Option<bool>,
    time_zone: Option<String>,
    postal_code: Option<PostalCode>,
    in_privacy_restricted_country: Option<bool>,
    in_privacy_restricted_region: Option<bool>,
    subdivisions: Option<String>,
    coordinates: Option<String>,
}

impl WireLocation {
    fn into_location(self) -> Location {
        Location {
            code: self.code,
            continent_code: self.continent_code,
            country: self.country,
            city: self.city,
            european_union_member: self.european_union_member,
            time_zone: self.time_zone,
            postal_code: self.postal_code.map(|p| p.0),
            in_privacy_restricted_country: self.in_privacy_restricted_country,
            in_privacy_restricted_region: self.in_privacy_restricted_region,
            subdivisions: self.subdivisions,
            coordinates: self.coordinates,
        }
    }
}

#[derive(Deserialize)]
struct WireUser {
    id: u64,
    uuid: Option<String>,
    username: Option<String>,
    email: Option<String>,
    title: Option<String>,
    thumb: Option<String>,
    subscription: Option<WireSubscription>,
}

#[derive(Deserialize)]
struct WireSubscription {
    active: Option<bool>,
    status: Option<String>,
    plan: Option<String>,
}

#[derive(Deserialize)]
struct WireErrorBody {
    errors: Option<Vec<WireErrorEntry>>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct WireErrorEntry {
    code: Option<i64>,
    message: Option<String>,
    status: Option<u16>,
}

/// A token, checked by `Token::new` as it is read; the text never sits in a `String`.
struct WireToken(Token);

impl Visitor for Place<WireToken> {
    fn string(&mut self, s: &str) -> miniserde::Result<()> {
        self.out = Some(WireToken(Token::new(s).map_err(|_| miniserde::Error)?));
        Ok(())
    }
}

impl miniserde::Deserialize for WireToken {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        Place::new(out)
    }
}

/// `postal_code` as plex.tv sends it (a string) or as old examples do (an integer).
struct PostalCode(String);

impl Visitor for Place<PostalCode> {
    fn string(&mut self, s: &str) -> miniserde::Result<()> {
        self.out = Some(PostalCode(s.to_owned()));
        Ok(())
    }

    fn nonnegative(&mut self, n: u64) -> miniserde::Result<()> {
        self.out = Some(PostalCode(n.to_string()));
        Ok(())
    }

    fn negative(&mut self, n: i64) -> miniserde::Result<()> {
        self.out = Some(PostalCode(n.to_string()));
        Ok(())
    }
}

impl miniserde::Deserialize for PostalCode {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        Place::new(out)
    }
}

/// The two decoders must agree: every body either decodes to the same value with both or
/// fails with both. Fixtures, plus the edge cases where hand-written shapes could drift.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode;
    // On wasm32 (the target this decoder is for) they run under wasm-bindgen-test, in node.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const PINS: &[&[u8]] = &[
        include_bytes!("../tests/fixtures/pin-approved.json"),
        include_bytes!("../tests/fixtures/pin-bad-id.json"),
        include_bytes!("../tests/fixtures/pin-bad-location.json"),
        include_bytes!("../tests/fixtures/pin-minimal-nulls.json"),
        include_bytes!("../tests/fixtures/pin-truncated.json"),
        include_bytes!("../tests/fixtures/seed-pin.json"),
        include_bytes!("../tests/fixtures/spec-pin-example.json"),
        include_bytes!("../tests/fixtures/strong-pin-created.json"),
        br#"{"id":1,"code":"ABCD","location":{"postal_code":802}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":-1}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":1.5}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":null}}"#,
        br#"{"id":1,"code":"ABCD","location":{}}"#,
        br#"{"id":1,"code":"ABCD","location":null,"product":null,"trusted":null}"#,
        br#"{"id":1,"code":"A\u0042CD","authToken":"tok\/en","extra":{"nested":[1,{"a":null}]}}"#,
        br#"{"id":1,"code":"ABCD","authToken":"has space"}"#,
        br#"{"id":1,"code":"ABCD","authToken":""}"#,
        br#"{"id":1,"code":"ABCD","authToken":7}"#,
        br#"{"id":-1,"code":"ABCD"}"#,
        br#"{"id":1.0,"code":"ABCD"}"#,
        br#"{"id":"1","code":"ABCD"}"#,
        br#"{"id":18446744073709551616,"code":"ABCD"}"#,
        br#"{"code":"ABCD"}"#,
        br#"{"id":1,"code":"ABCD","expiresIn":-5}"#,
        br#"{"id":1,"code":"ABCD"} trailing"#,
        b"",
        b"\xff\xfe",
    ];

    const USERS: &[&[u8]] = &[
        include_bytes!("../tests/fixtures/user.json"),
        br#"{"id":7}"#,
        br#"{"id":7,"subscription":{"active":true,"status":"Active","plan":"lifetime"}}"#,
        br#"{"id":7,"subscription":{}}"#,
        br#"{"id":7,"subscription":null,"title":null}"#,
        br#"{"id":7,"subscription":{"active":"yes"}}"#,
        br#"{"uuid":"x"}"#,
    ];

    /// Both decoders succeed with equal values, or both fail.
    fn assert_alike<T>(bodies: &[&[u8]], mini: fn(&[u8]) -> Result<T, Failure>)
    where
        T: PartialEq + std::fmt::Debug + serde::de::DeserializeOwned,
    {
        for body in bodies {
            let shown = String::from_utf8_lossy(body);
            match (mini(body), decode::serde::<T>(body)) {
                (Ok(mini), Ok(serde)) => assert_eq!(mini, serde, "{shown}"),
                (Err(_), Err(_)) => {}
                (mini, serde) => panic!("{shown}: miniserde {mini:?}, serde {serde:?}"),
            }
        }
    }

    #[test]
    fn pins_decode_alike() {
        assert_alike(PINS, pin);
    }

    #[test]
    fn users_decode_alike() {
        assert_alike(USERS, user);
    }

    #[test]
    fn error_bodies_decode_alike() {
        let bodies: &[&[u8]] = &[
            include_bytes!("../tests/fixtures/error-400-1000.json"),
            include_bytes!("../tests/fixtures/error-401-1001.json"),
            include_bytes!("../tests/fixtures/error-404-1020.json"),
            include_bytes!("../tests/fixtures/error-429-1003.json"),
            include_bytes!("../tests/fixtures/error-single.json"),
            br#"{"errors":[{"code":"x"}]}"#,
            br#"{}"#,
            b"<html>",
        ];
        let entries = |body: ErrorBody| {
            let list: Vec<_> = body
                .errors
                .into_iter()
                .map(|e| (e.code, e.message, e.status))
                .collect();
            (list, body.error)
        };
        for body in bodies {
            let shown = String::from_utf8_lossy(body);
            let serde: Option<ErrorBody> = serde_json::from_slice(body).ok();
            assert_eq!(error_body(body).map(entries), serde.map(entries), "{shown}");
        }
    }

    /// The two known differences, both on shapes plex.tv does not send: serde's derive
    /// also reads a struct from an array of its fields and refuses a repeated key;
    /// miniserde refuses the array and keeps the last of the repeated keys.
    #[test]
    fn known_differences() {
        let array = br#"[1,"ABCD"]"#;
        assert!(decode::serde::<Pin>(array).is_ok());
        assert!(pin(array).is_err());
        let repeated = br#"{"id":1,"id":2,"code":"ABCD"}"#;
        assert!(decode::serde::<Pin>(repeated).is_err());
        assert_eq!(pin(repeated).unwrap().id, 2);
    }

    /// miniserde keeps its nesting on the heap, with no depth limit: a body as deep as the
    /// transports' 64 KiB cap allows must decode without exhausting the stack.
    #[test]
    fn nesting_as_deep_as_the_body_cap_allows() {
        let depth = 32 * 1024 - 64;
        let body = format!(
            r#"{{"id":1,"code":"ABCD","x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(body.len() <= 64 * 1024);
        assert_eq!(pin(body.as_bytes()).unwrap().code, "ABCD");
        let unclosed = format!(r#"{{"id":1,"code":"ABCD","x":{}"#, "[".repeat(depth));
        assert!(pin(unclosed.as_bytes()).is_err());
    }

    #[test]
    fn a_failure_names_what_was_expected() {
        let (path, message) = pin(b"{").unwrap_err();
        assert_eq!(path, ".");
        assert!(message.starts_with("expected a pin"), "{message}");
        let (_, message) = user(b"\xff").unwrap_err();
        assert!(message.contains("not UTF-8"), "{message}");
    }
}
