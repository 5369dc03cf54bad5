//! The `js-json` decoder: plex.tv's pin, account and error body, parsed by the host's
//! `JSON.parse` and walked ([`js_reader`](super::js_reader)) straight into the public types.
//!
//! It accepts what the serde derives in pin.rs and user.rs accept: missing or `null`
//! optional fields are empty, unknown fields are skipped, `postal_code` may be an integer,
//! a token must pass `Token::new`. The tests below hold it to serde_json's answers and name
//! the differences.

use super::body::{ErrorBody, ErrorEntry, Failure};
use super::js_reader::{Invalid, Reader, Result, Slot};
use crate::pin::{Location, Pin};
use crate::token::Token;
use crate::user::{Subscription, User};

pub(crate) fn pin(body: &[u8]) -> std::result::Result<Pin, Failure> {
    let (mut id, mut code, mut product, mut trusted, mut qr, mut client_identifier) =
        (None, None, None, None, None, None);
    let (mut expires_in, mut created_at, mut expires_at, mut auth_token, mut new_registration) =
        (None, None, None, None, None);
    let mut location = None;
    read(
        body,
        &mut [
            ("id", Slot::U64(&mut id)),
            ("code", Slot::Str(&mut code)),
            ("product", Slot::Str(&mut product)),
            ("trusted", Slot::Bool(&mut trusted)),
            ("qr", Slot::Str(&mut qr)),
            ("clientIdentifier", Slot::Str(&mut client_identifier)),
            (
                "location",
                Slot::With(&mut |r| read_location(r, &mut location)),
            ),
            ("expiresIn", Slot::Seconds(&mut expires_in)),
            ("createdAt", Slot::Str(&mut created_at)),
            ("expiresAt", Slot::Str(&mut expires_at)),
            (
                "authToken",
                Slot::With(&mut |r| read_token(r, &mut auth_token)),
            ),
            ("newRegistration", Slot::Bool(&mut new_registration)),
        ],
    )?;
    Ok(Pin {
        id: required(id, "id")?,
        code: required(code, "code")?,
        product: product.unwrap_or_default(),
        trusted: trusted.unwrap_or_default(),
        qr,
        client_identifier: client_identifier.unwrap_or_default(),
        location,
        expires_in,
        created_at,
        expires_at,
        auth_token,
        new_registration,
    })
}

fn read_location(r: &mut Reader<'_>, out: &mut Option<Location>) -> Result<()> {
    let l = out.insert(Location::default());
    r.fields(&mut [
        ("code", Slot::Str(&mut l.code)),
        ("continent_code", Slot::Str(&mut l.continent_code)),
        ("country", Slot::Str(&mut l.country)),
        ("city", Slot::Str(&mut l.city)),
        (
            "european_union_member",
            Slot::Bool(&mut l.european_union_member),
        ),
        ("time_zone", Slot::Str(&mut l.time_zone)),
        ("postal_code", Slot::StrOrInt(&mut l.postal_code)),
        (
            "in_privacy_restricted_country",
            Slot::Bool(&mut l.in_privacy_restricted_country),
        ),
        (
            "in_privacy_restricted_region",
            Slot::Bool(&mut l.in_privacy_restricted_region),
        ),
        ("subdivisions", Slot::Str(&mut l.subdivisions)),
        ("coordinates", Slot::Str(&mut l.coordinates)),
    ])
}

/// A token, checked by `Token::new` as it is read.
fn read_token(r: &mut Reader<'_>, out: &mut Option<Token>) -> Result<()> {
    let at = r.invalid("not a valid token");
    // The message names the rule only: it must never echo the value.
    *out = Some(Token::new(r.string()?).map_err(|_| at)?);
    Ok(())
}

pub(crate) fn user(body: &[u8]) -> std::result::Result<User, Failure> {
    let (mut id, mut uuid, mut username, mut email, mut title, mut thumb) =
        (None, None, None, None, None, None);
    let mut subscription = None;
    read(
        body,
        &mut [
            ("id", Slot::U64(&mut id)),
            ("uuid", Slot::Str(&mut uuid)),
            ("username", Slot::Str(&mut username)),
            ("email", Slot::Str(&mut email)),
            ("title", Slot::Str(&mut title)),
            ("thumb", Slot::Str(&mut thumb)),
            (
                "subscription",
                Slot::With(&mut |r| read_subscription(r, &mut subscription)),
            ),
        ],
    )?;
    Ok(User {
        id: required(id, "id")?,
        uuid,
        username,
        email,
        title,
        thumb,
        subscription,
    })
}

fn read_subscription(r: &mut Reader<'_>, out: &mut Option<Subscription>) -> Result<()> {
    let mut active = None;
    let s = out.insert(Subscription::default());
    r.fields(&mut [
        ("active", Slot::Bool(&mut active)),
        ("status", Slot::Str(&mut s.status)),
        ("plan", Slot::Str(&mut s.plan)),
    ])?;
    s.active = active.unwrap_or_default();
    Ok(())
}

pub(crate) fn error_body(body: &[u8]) -> Option<ErrorBody> {
    let mut errors = Vec::new();
    let mut error = None;
    let mut read_errors = |r: &mut Reader<'_>| {
        r.array(&mut |r| {
            let mut e = ErrorEntry {
                code: None,
                message: None,
                status: None,
            };
            r.fields(&mut [
                ("code", Slot::I64(&mut e.code)),
                ("message", Slot::Str(&mut e.message)),
                ("status", Slot::U16(&mut e.status)),
            ])?;
            errors.push(e);
            Ok(())
        })
    };
    read(
        body,
        &mut [
            ("errors", Slot::With(&mut read_errors)),
            ("error", Slot::Str(&mut error)),
        ],
    )
    .ok()?;
    Some(ErrorBody { errors, error })
}

/// Reads `body` as one JSON object into `slots`.
fn read<'a>(
    body: &'a [u8],
    slots: &mut [(&str, Slot<'_, 'a>)],
) -> std::result::Result<(), Failure> {
    let text = std::str::from_utf8(body).map_err(|e| {
        (
            ".".to_owned(),
            format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    Reader::document(text, slots).map_err(|e: Invalid| {
        let message = e.message();
        let path = if e.path.is_empty() {
            ".".to_owned()
        } else {
            e.path
        };
        (path, message)
    })
}

/// A field without a default: missing and `null` are both errors.
fn required<T>(value: Option<T>, key: &str) -> std::result::Result<T, Failure> {
    value.ok_or_else(|| (key.to_owned(), "missing or null".to_owned()))
}

/// The two decoders must agree: every body either decodes to the same value with both or
/// fails with both. Fixtures, plus the edge cases where hand-written shapes could drift.
// serde_json is the reference: the tests need the `json` feature beside `js-json`.
#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    // They run under wasm-bindgen-test, in node.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const PINS: &[&[u8]] = &[
        include_bytes!("../../tests/fixtures/pin-approved.json"),
        include_bytes!("../../tests/fixtures/pin-bad-id.json"),
        include_bytes!("../../tests/fixtures/pin-bad-location.json"),
        include_bytes!("../../tests/fixtures/pin-minimal-nulls.json"),
        include_bytes!("../../tests/fixtures/pin-truncated.json"),
        include_bytes!("../../tests/fixtures/seed-pin.json"),
        include_bytes!("../../tests/fixtures/spec-pin-example.json"),
        include_bytes!("../../tests/fixtures/strong-pin-created.json"),
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
        br#"{"id":1,"code":"ABCD","expiresIn":18446744073709551615}"#,
        br#"{"id":-0,"code":"ABCD"}"#,
        br#"{"id":1e2,"code":"ABCD"}"#,
        br#"{"id":01,"code":"ABCD"}"#,
        br#"{"id":null,"code":"ABCD"}"#,
        br#"{"id":1,"code":null}"#,
        br#"{"id":1,"code":"\ud83d\ude00 \u00e9\n\"\\\/\b\f\r\t"}"#,
        br#"{"id":1,"code":"\ud800"}"#,
        br#"{"id":1,"code":"\udc00"}"#,
        br#"{"id":1,"code":"\ud800\u0041"}"#,
        br#"{"id":1,"code":"\x"}"#,
        b"{\"id\":1,\"code\":\"tab\there\"}",
        br#"{"id":1,"code":"ABCD","trusted":1}"#,
        br#"{"id":1,"code":"ABCD","x":[1,-2.5e+3,0.1E-2,"s",true,false,null,{"b":[]},{}]}"#,
        br#"{"id":1,"code":"ABCD","x":[1,]}"#,
        br#"{"id":1,"code":"ABCD","x":.5}"#,
        br#"{"id":1,"code":"ABCD","x":tru}"#,
        br#"{"id":1,"code":"ABCD",}"#,
        br#" {"id" : 1 , "code" : "ABCD" } "#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":1e3}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":-9223372036854775808}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":18446744073709551615}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":18446744073709551616}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":"\u0031"}}"#,
        br#"{"id":1,"code":"ABCD"} trailing"#,
        b"",
        b"\xff\xfe",
    ];

    const USERS: &[&[u8]] = &[
        include_bytes!("../../tests/fixtures/user.json"),
        br#"{"id":7}"#,
        br#"{"id":7,"subscription":{"active":true,"status":"Active","plan":"lifetime"}}"#,
        br#"{"id":7,"subscription":{}}"#,
        br#"{"id":7,"subscription":null,"title":null}"#,
        br#"{"id":7,"subscription":{"active":"yes"}}"#,
        br#"{"id":7,"subscription":{"active":null}}"#,
        br#"{"uuid":"x"}"#,
    ];

    /// Where `JSON.parse` and serde disagree: JavaScript's numbers (`-0`, `1.0` and `1e2`
    /// are integers; no integer beyond 2^53 − 1, but seconds saturate) and lone surrogates
    /// (read as U+FFFD).
    /// `the_js_reader_differs_only_where_listed` checks each.
    const JS_ACCEPTS: &[&[u8]] = &[
        br#"{"id":-0,"code":"ABCD"}"#,
        br#"{"id":1.0,"code":"ABCD"}"#,
        br#"{"id":1e2,"code":"ABCD"}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":1e3}}"#,
        br#"{"id":1,"code":"ABCD","expiresIn":18446744073709551616}"#,
        br#"{"id":1,"code":"\ud800"}"#,
        br#"{"id":1,"code":"\udc00"}"#,
        br#"{"id":1,"code":"\ud800\u0041"}"#,
        br#"{"errors":[{"code":-0}]}"#,
    ];
    const JS_REFUSES: &[&[u8]] = &[
        br#"{"id":1,"code":"ABCD","location":{"postal_code":-9223372036854775808}}"#,
        br#"{"id":1,"code":"ABCD","location":{"postal_code":18446744073709551615}}"#,
        br#"{"errors":[{"code":-9223372036854775808,"status":65535}]}"#,
        br#"{"errors":[{"code":9223372036854775807}]}"#,
    ];

    /// A listed difference of the `JSON.parse` reader.
    fn known_js_difference(body: &[u8]) -> bool {
        JS_ACCEPTS
            .iter()
            .chain(JS_REFUSES)
            .any(|known| *known == body)
    }

    /// Both decoders succeed with equal values, or both fail.
    fn assert_alike<T>(bodies: &[&[u8]], mini: fn(&[u8]) -> std::result::Result<T, Failure>)
    where
        T: PartialEq + std::fmt::Debug + serde::de::DeserializeOwned,
    {
        for body in bodies {
            if known_js_difference(body) {
                continue;
            }
            let shown = String::from_utf8_lossy(body);
            match (mini(body), crate::decode::serde::serde::<T>(body)) {
                (Ok(mini), Ok(serde)) => assert_eq!(mini, serde, "{shown}"),
                (Err(_), Err(_)) => {}
                (mini, serde) => panic!("{shown}: JSON.parse walker {mini:?}, serde {serde:?}"),
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
            include_bytes!("../../tests/fixtures/error-400-1000.json"),
            include_bytes!("../../tests/fixtures/error-401-1001.json"),
            include_bytes!("../../tests/fixtures/error-404-1020.json"),
            include_bytes!("../../tests/fixtures/error-429-1003.json"),
            include_bytes!("../../tests/fixtures/error-single.json"),
            br#"{"errors":[{"code":"x"}]}"#,
            br#"{"errors":null,"error":"x"}"#,
            br#"{"errors":[{"code":-1,"status":65536}]}"#,
            br#"{"errors":[{"code":-9223372036854775808,"status":65535}]}"#,
            br#"{"errors":[{"code":-9223372036854775809}]}"#,
            br#"{"errors":[{"code":9223372036854775807}]}"#,
            br#"{"errors":[{"code":9223372036854775808}]}"#,
            br#"{"errors":[{"code":-0}]}"#,
            br#"{"errors":[{"status":-1}]}"#,
            br#"{"errors":[{"code":-1,"status":500},{"message":null}]}"#,
            br#"{"errors":[1]}"#,
            br#"{}"#,
            b"<html>",
        ];
        assert_error_bodies_alike(bodies);
    }

    /// Both decoders read the same error entries, or neither reads the body.
    fn assert_error_bodies_alike(bodies: &[&[u8]]) {
        let entries = |body: ErrorBody| {
            let list: Vec<_> = body
                .errors
                .into_iter()
                .map(|e| (e.code, e.message, e.status))
                .collect();
            (list, body.error)
        };
        for body in bodies {
            if known_js_difference(body) {
                continue;
            }
            let shown = String::from_utf8_lossy(body);
            let serde: Option<ErrorBody> = serde_json::from_slice(body).ok();
            assert_eq!(error_body(body).map(entries), serde.map(entries), "{shown}");
        }
    }

    /// The known differences, all on bodies plex.tv does not send: serde's derive also
    /// reads a struct from an array of its fields and refuses a repeated key; this decoder
    /// refuses the array and keeps the last of the repeated keys. serde_json takes invalid
    /// UTF-8 inside a value it skips; this decoder refuses a body that is not UTF-8.
    #[test]
    fn known_differences() {
        let skipped_latin1 = b"{\"id\":1,\"code\":\"ABCD\",\"x\":\"caf\xe9\"}";
        assert!(crate::decode::serde::serde::<Pin>(skipped_latin1).is_ok());
        assert!(pin(skipped_latin1).is_err());
        let array = br#"[1,"ABCD"]"#;
        assert!(crate::decode::serde::serde::<Pin>(array).is_ok());
        assert!(pin(array).is_err());
        let location = br#"{"id":1,"code":"ABCD","location":[]}"#;
        assert!(crate::decode::serde::serde::<Pin>(location).is_ok());
        assert!(pin(location).is_err());
        let repeated = br#"{"id":1,"id":2,"code":"ABCD"}"#;
        assert!(crate::decode::serde::serde::<Pin>(repeated).is_err());
        assert_eq!(pin(repeated).unwrap().id, 2);
    }

    #[test]
    fn a_failure_names_the_field() {
        assert_eq!(
            pin(br#"{"id":"7","code":"ABCD"}"#).unwrap_err(),
            ("id".to_owned(), "expected an unsigned integer".to_owned())
        );
        let (path, message) = pin(br#"{"id":1,"code":"ABCD","location":{"city":7}}"#).unwrap_err();
        assert_eq!(path, "location.city");
        assert_eq!(message, "expected a string");
        assert_eq!(pin(br#"{"code":"ABCD"}"#).unwrap_err().0, "id");
        assert_eq!(pin(b"{").unwrap_err().0, ".");
        let (_, message) = user(b"\xff").unwrap_err();
        assert!(message.contains("not UTF-8"), "{message}");
        let (path, message) =
            pin(br#"{"id":1,"code":"ABCD","authToken":"s3cret token"}"#).unwrap_err();
        assert_eq!(path, "authToken");
        assert!(!message.contains("s3cret"), "{message}");
    }

    /// Each listed difference is real and goes the way the list says; and values the
    /// reader does not ask for are not walked, however deep.
    #[test]
    fn the_js_reader_differs_only_where_listed() {
        let serde_pin = |body| crate::decode::serde::serde::<Pin>(body).is_ok();
        let serde_errors = |body| serde_json::from_slice::<ErrorBody>(body).is_ok();
        for (bodies, accepts) in [(JS_ACCEPTS, true), (JS_REFUSES, false)] {
            for body in bodies {
                let shown = String::from_utf8_lossy(body);
                let (js, serde) = if body.starts_with(br#"{"errors""#) {
                    (error_body(body).is_some(), serde_errors(body))
                } else {
                    (pin(body).is_ok(), serde_pin(body))
                };
                assert!(
                    js == accepts && serde != accepts,
                    "{shown}: JSON.parse reader {js}, serde {serde}"
                );
            }
        }
        // A number past 2^53 is refused, not rounded.
        let big = br#"{"id":9007199254740993,"code":"ABCD"}"#;
        assert_eq!(pin(big).unwrap_err().0, "id");
        assert_eq!(
            pin(br#"{"id":9007199254740991,"code":"ABCD"}"#).unwrap().id,
            (1 << 53) - 1
        );
        let deep = format!(
            r#"{{"id":1,"code":"ABCD","x":{}{}}}"#,
            "[".repeat(20_000),
            "]".repeat(20_000)
        );
        assert!(pin(deep.as_bytes()).is_ok());
        assert_eq!(
            pin(b"{").unwrap_err(),
            (".".to_owned(), "not JSON".to_owned())
        );
    }

    /// Keys a page added to `Object.prototype` are not read as the document's.
    #[test]
    fn only_a_documents_own_keys_are_read() {
        use wasm_bindgen::JsValue;
        let prototype = js_sys::Object::get_prototype_of(&js_sys::Object::new().into());
        let key = JsValue::from_str("code");
        js_sys::Reflect::set(&prototype, &key, &JsValue::from_str("EVIL")).unwrap();
        let read = pin(br#"{"id":1}"#);
        js_sys::Reflect::delete_property(&prototype, &key).unwrap();
        assert_eq!(read.unwrap_err().0, "code");
    }
}
