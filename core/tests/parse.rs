//! Table-driven parsing over the fixtures in tests/fixtures: every response shape plex.tv
//! is known to send (spec examples, the seed example, approved pins, every error form).

// On wasm32 these run under wasm-bindgen-test: its attribute stands in for `#[test]`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::time::Duration;

use http::StatusCode;
use plex_pin::{response, Error, ExpiredBy, Pin};

/// The fixtures, compiled in so the tests also run where there is no file system (wasm32).
fn fixture(name: &str) -> Vec<u8> {
    let bytes: &[u8] = match name {
        "error-400-1000.json" => include_bytes!("fixtures/error-400-1000.json"),
        "error-401-1001.json" => include_bytes!("fixtures/error-401-1001.json"),
        "error-404-1020.json" => include_bytes!("fixtures/error-404-1020.json"),
        "error-404-1020.xml" => include_bytes!("fixtures/error-404-1020.xml"),
        "error-422-invalid-token.xml" => include_bytes!("fixtures/error-422-invalid-token.xml"),
        "error-429-1003.json" => include_bytes!("fixtures/error-429-1003.json"),
        "error-single.json" => include_bytes!("fixtures/error-single.json"),
        "html-502.html" => include_bytes!("fixtures/html-502.html"),
        "pin-approved.json" => include_bytes!("fixtures/pin-approved.json"),
        "pin-bad-id.json" => include_bytes!("fixtures/pin-bad-id.json"),
        "pin-bad-location.json" => include_bytes!("fixtures/pin-bad-location.json"),
        "pin-minimal-nulls.json" => include_bytes!("fixtures/pin-minimal-nulls.json"),
        "pin-truncated.json" => include_bytes!("fixtures/pin-truncated.json"),
        "pin.xml" => include_bytes!("fixtures/pin.xml"),
        "seed-pin.json" => include_bytes!("fixtures/seed-pin.json"),
        "spec-pin-example.json" => include_bytes!("fixtures/spec-pin-example.json"),
        "strong-pin-created.json" => include_bytes!("fixtures/strong-pin-created.json"),
        "user.json" => include_bytes!("fixtures/user.json"),
        other => panic!("no fixture {other}"),
    };
    bytes.to_vec()
}

fn resp(status: u16, content_type: Option<&str>, body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(body).unwrap()
}

/// Where a decode error says the JSON failed: the field path with the `field-path` feature
/// (default) and with the `JSON.parse` walker (`js-json` on wasm32), serde_json's position
/// without either.
fn field_path(path: &'static str, position: &'static str) -> &'static str {
    if cfg!(any(
        feature = "field-path",
        all(feature = "js-json", target_arch = "wasm32")
    )) {
        path
    } else {
        position
    }
}

const JSON: Option<&str> = Some("application/json; charset=utf-8");
const XML: Option<&str> = Some("application/xml");

type Check = fn(Result<Pin, Error>);

#[test]
fn pin_fixtures() {
    let table: &[(&str, u16, Option<&str>, Check)] = &[
        ("seed-pin.json", 201, JSON, |r| {
            let pin = r.unwrap();
            assert_eq!(
                (pin.id, pin.code.as_str(), pin.product.as_str()),
                (308667304, "7RQZ", "0")
            );
            assert_eq!(pin.location.unwrap().postal_code.as_deref(), Some("802"));
            assert_eq!(pin.expires_in, Some(876));
            assert!(pin.auth_token.is_none());
            assert_eq!(pin.new_registration, None);
        }),
        ("seed-pin.json", 200, None, |r| {
            assert_eq!(r.unwrap().id, 308667304)
        }),
        ("spec-pin-example.json", 201, JSON, |r| {
            let pin = r.unwrap();
            let location = pin.location.unwrap();
            assert_eq!(location.postal_code.as_deref(), Some("4814"));
            assert_eq!(location.city.as_deref(), Some("Breda"));
            assert_eq!(location.in_privacy_restricted_region, Some(true));
            assert_eq!(pin.client_identifier, "9klpwueublnfbvlx95w83ah9");
            assert_eq!(
                pin.qr.as_deref(),
                Some("https://plex.tv/api/v2/pins/qr/7RQZ")
            );
        }),
        ("strong-pin-created.json", 201, Some("text/json"), |r| {
            let pin = r.unwrap();
            assert_eq!(pin.code.len(), 25);
            assert_eq!(pin.kind(), plex_pin::PinKind::Strong);
            assert_eq!(pin.expires_in, Some(1800));
            assert_eq!(pin.expires_at.as_deref(), Some("2026-03-01T12:30:00Z"));
        }),
        ("pin-approved.json", 200, JSON, |r| {
            let pin = r.unwrap();
            assert_eq!(
                pin.auth_token.unwrap().expose_secret(),
                "2ffLuB84dqLswk9skLos"
            );
            assert_eq!(pin.new_registration, Some(false));
        }),
        ("pin-minimal-nulls.json", 200, JSON, |r| {
            let pin = r.unwrap();
            assert_eq!(pin.id, 2055769123);
            assert_eq!(pin.kind(), plex_pin::PinKind::Link);
            assert_eq!((pin.product.as_str(), pin.trusted), ("", false));
            assert_eq!((pin.location, pin.expires_in, pin.qr), (None, None, None));
        }),
        ("pin-bad-id.json", 200, JSON, |r| match r.unwrap_err() {
            Error::Decode { path, status, .. } => {
                assert_eq!(path, field_path("id", "line 1 column 20"));
                assert_eq!(status, StatusCode::OK);
            }
            other => panic!("{other:?}"),
        }),
        ("pin-bad-location.json", 200, JSON, |r| {
            let err = r.unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("leaky-secret-token"), "{shown}");
            match err {
                Error::Decode { path, body, .. } => {
                    assert_eq!(path, field_path("location.city", "line 1 column 42"));
                    assert!(body.as_str().contains(r#""authToken":"***""#), "{body}");
                }
                other => panic!("{other:?}"),
            }
        }),
        ("pin-truncated.json", 200, JSON, |r| {
            assert!(matches!(r, Err(Error::Decode { .. })), "{r:?}")
        }),
        ("pin.xml", 200, XML, |r| match r.unwrap_err() {
            Error::NotJson {
                content_type,
                message,
                ..
            } => {
                assert_eq!(content_type, "application/xml");
                assert_eq!(message, None);
            }
            other => panic!("{other:?}"),
        }),
        ("error-404-1020.json", 404, JSON, |r| {
            assert_eq!(
                r.unwrap_err(),
                Error::PinExpired {
                    by: ExpiredBy::Server
                }
            )
        }),
        ("error-404-1020.xml", 404, XML, |r| {
            // XML error bodies are read with the `xml` feature (default); without it the
            // status alone cannot tell an expired pin from any other 404.
            if cfg!(feature = "xml") {
                assert_eq!(
                    r.unwrap_err(),
                    Error::PinExpired {
                        by: ExpiredBy::Server
                    }
                )
            } else {
                assert!(matches!(r, Err(Error::UnexpectedStatus { .. })), "{r:?}")
            }
        }),
        ("error-400-1000.json", 400, JSON, |r| {
            assert_eq!(r.unwrap_err(), Error::MissingClientIdentifier)
        }),
        ("error-401-1001.json", 401, JSON, |r| {
            assert_eq!(
                r.unwrap_err(),
                Error::Unauthorized {
                    status: StatusCode::UNAUTHORIZED
                }
            )
        }),
        (
            "error-422-invalid-token.xml",
            422,
            Some("text/xml;charset=utf-8"),
            |r| {
                assert_eq!(
                    r.unwrap_err(),
                    Error::Unauthorized {
                        status: StatusCode::UNPROCESSABLE_ENTITY
                    }
                )
            },
        ),
        ("error-429-1003.json", 429, JSON, |r| {
            assert_eq!(r.unwrap_err(), Error::RateLimited { retry_after: None })
        }),
        ("error-single.json", 500, JSON, |r| match r.unwrap_err() {
            Error::UnexpectedStatus { status, errors, .. } => {
                assert_eq!(status, 500);
                assert_eq!(errors[0].message, "something broke");
                assert_eq!(errors[0].code, None);
            }
            other => panic!("{other:?}"),
        }),
        ("html-502.html", 502, Some("text/html"), |r| {
            let err = r.unwrap_err();
            assert!(err.is_transient());
            match err {
                Error::UnexpectedStatus {
                    status,
                    errors,
                    body,
                    ..
                } => {
                    assert_eq!(status, 502);
                    assert!(errors.is_empty());
                    assert!(body.as_str().starts_with("<html>"));
                }
                other => panic!("{other:?}"),
            }
        }),
        // A 404 without plex.tv's 1020 code (e.g. a proxy's page) is not "expired".
        ("html-502.html", 404, Some("text/html"), |r| {
            assert!(matches!(r, Err(Error::UnexpectedStatus { .. })), "{r:?}")
        }),
    ];
    for (name, status, content_type, check) in table {
        let response = resp(*status, *content_type, fixture(name));
        let result = response::pin(&response);
        let shown = format!("{name} {status}: {result:?}");
        // Run the check; on failure, say which row failed.
        let outcome = std::panic::catch_unwind(|| check(result));
        assert!(outcome.is_ok(), "row failed: {shown}");
    }
}

#[test]
fn user_fixture_and_token_check_outcomes() {
    let user = response::user(&resp(200, JSON, fixture("user.json"))).unwrap();
    assert_eq!(user.id, 12345678);
    assert_eq!(user.username.as_deref(), Some("jdoe"));
    assert_eq!(user.display_name(), Some("Jane Doe"));
    assert!(user.subscription.unwrap().active);

    let invalid = response::user(&resp(401, JSON, fixture("error-401-1001.json")));
    assert!(matches!(invalid, Err(Error::Unauthorized { .. })));
    let unknown = response::user(&resp(503, None, Vec::new()));
    assert!(matches!(unknown, Err(Error::UnexpectedStatus { .. })));
}

#[test]
fn retry_after_seconds_and_http_date() {
    let with = |headers: &[(&str, &str)]| {
        let mut builder = http::Response::builder().status(429);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        response::check_status(&builder.body(Vec::new()).unwrap()).unwrap_err()
    };
    assert_eq!(
        with(&[("retry-after", "7")]),
        Error::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    let as_date = with(&[
        ("retry-after", "Wed, 21 Oct 2026 07:28:30 GMT"),
        ("date", "Wed, 21 Oct 2026 07:28:00 GMT"),
    ]);
    // Only the `http-date` feature (default) reads dates; without it, backoff applies.
    let expected = cfg!(feature = "http-date").then_some(Duration::from_secs(30));
    assert_eq!(
        as_date,
        Error::RateLimited {
            retry_after: expected
        }
    );
    // A date without the server's own Date cannot be measured: fall back to backoff.
    assert_eq!(
        with(&[("retry-after", "Wed, 21 Oct 2026 07:28:30 GMT")]),
        Error::RateLimited { retry_after: None }
    );
    assert_eq!(
        with(&[("retry-after", "soon")]),
        Error::RateLimited { retry_after: None }
    );
}

#[test]
fn error_messages_are_bounded() {
    let long = format!(
        r#"{{"errors":[{{"code":1,"message":"{}"}}]}}"#,
        "x".repeat(100_000)
    );
    match response::pin(&resp(418, JSON, long.into_bytes())).unwrap_err() {
        Error::UnexpectedStatus { errors, body, .. } => {
            assert_eq!(errors[0].message.len(), plex_pin::limits::MAX_EXCERPT);
            assert!(body.as_str().len() <= plex_pin::limits::MAX_EXCERPT);
        }
        other => panic!("{other:?}"),
    }
    let many = format!(
        r#"{{"errors":[{}]}}"#,
        vec![r#"{"code":1}"#; 1000].join(",")
    );
    match response::pin(&resp(418, JSON, many.into_bytes())).unwrap_err() {
        Error::UnexpectedStatus { errors, .. } => {
            assert_eq!(errors.len(), plex_pin::limits::MAX_API_ERRORS)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn jwt_error_statuses() {
    let check =
        |status: u16, body: &str| response::accepted(&resp(status, JSON, body.as_bytes().to_vec()));
    assert_eq!(check(498, "{}"), Err(Error::JwtExpired));
    assert_eq!(
        check(
            422,
            r#"{"errors":[{"message":"Signature Verification Failed"}]}"#
        ),
        Err(Error::SignatureRejected)
    );
    assert_eq!(
        check(
            422,
            r#"{"errors":[{"message":"Thumbprint Already Taken"}]}"#
        ),
        Err(Error::ThumbprintTaken)
    );
    assert_eq!(
        check(
            422,
            r#"{"errors":[{"code":1097,"message":"jwk missing. no public key to verify jwt request"}]}"#
        ),
        Err(Error::DeviceKeyUnknown)
    );
    assert_eq!(check(204, ""), Ok(()));
    assert_eq!(check(201, ""), Ok(()));
}

#[test]
fn link_pin_request() {
    let config = plex_pin::Config::builder("App", plex_pin::ClientId::new("c").unwrap())
        .build()
        .unwrap();
    let token = plex_pin::Token::new("secret-token").unwrap();
    let req = plex_pin::request::link_pin(&config, &token, "AB C");
    assert_eq!(req.method(), "PUT");
    assert_eq!(req.uri(), "https://plex.tv/api/v2/pins/link");
    assert_eq!(req.body(), b"code=AB%20C");
    assert_eq!(
        req.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert!(req.headers()["x-plex-token"].is_sensitive());
}

#[cfg(feature = "jwt")]
#[test]
fn jwt_requests_and_parsers() {
    use plex_pin::jwt::{DeviceClaims, DeviceKey};
    use plex_pin::request;

    let id = plex_pin::ClientId::new("c").unwrap();
    let config = plex_pin::Config::builder("App", id.clone())
        .base_url(plex_pin::CLIENTS_PLEX_TV)
        .build()
        .unwrap();
    let key = DeviceKey::from_seed([5; 32]);
    let token = plex_pin::Token::new("legacy").unwrap();

    let register = request::register_key(&config, &token, key.jwk());
    assert_eq!(
        (register.method().as_str(), register.uri().path()),
        ("POST", "/api/v2/auth/jwk")
    );
    let body: serde_json::Value = serde_json::from_slice(register.body()).unwrap();
    assert_eq!(body["jwk"]["x"], key.jwk().x.as_str());
    assert_eq!(body["jwk"]["use"], "sig");
    assert_eq!(body["jwk"]["alg"], "EdDSA");

    let nonce = request::nonce(&config);
    assert_eq!(nonce.uri(), "https://clients.plex.tv/api/v2/auth/nonce");
    let jwt = key.device_jwt(&DeviceClaims::new(&id, "n", 1));
    let exchange = request::exchange_jwt(&config, &jwt);
    assert_eq!(exchange.uri().path(), "/api/v2/auth/token");
    let body: serde_json::Value = serde_json::from_slice(exchange.body()).unwrap();
    assert_eq!(body["jwt"], jwt.as_str());
    assert_eq!(
        request::plex_keys(&config).uri().path(),
        "/api/v2/auth/keys"
    );

    assert_eq!(
        response::nonce(&resp(200, JSON, br#"{"nonce":"abc-123"}"#.to_vec())).unwrap(),
        "abc-123"
    );
    let issued =
        response::auth_token(&resp(200, JSON, br#"{"auth_token":"eyJ.a.b"}"#.to_vec())).unwrap();
    assert_eq!(issued.expose_secret(), "eyJ.a.b");
    let keys = format!(
        r#"{{"keys":[{},{{"kty":"RSA","crv":"","x":""}}]}}"#,
        serde_json::to_string(key.jwk()).unwrap()
    );
    let keys = response::plex_keys(&resp(200, JSON, keys.into_bytes())).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(&keys[0], key.jwk());
    assert!(matches!(
        response::nonce(&resp(429, JSON, Vec::new())),
        Err(Error::RateLimited { .. })
    ));
}
