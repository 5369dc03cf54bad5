//! Property tests: the parsers never panic, whatever the bytes, and the builders only ever
//! produce requests with valid headers (or refuse the input with a typed error).
#![cfg(not(target_arch = "wasm32"))]

use plex_pin::{request, response, ClientId, Config, PinOptions, Token};
use proptest::prelude::*;

fn any_response() -> impl Strategy<Value = http::Response<Vec<u8>>> {
    let status = prop_oneof![
        Just(200u16),
        Just(201),
        Just(400),
        Just(401),
        Just(404),
        Just(422),
        Just(429),
        100u16..=599
    ];
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/xml")),
        Just(Some("text/html")),
        "[ -~]{0,20}".prop_map(|s| Some(Box::leak(s.into_boxed_str()) as &str)),
    ];
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        // Bytes that look like the real thing, to reach deeper into the decoders.
        r#"\{"(id|code|authToken|errors|location|expiresIn)":.{0,40}\}"#.prop_map(String::into_bytes),
        "<errors><error( code=\"[0-9]{0,5}\")?( message=\"[^\"]{0,20}\")?>.{0,30}(</error>)?</errors>"
            .prop_map(String::into_bytes),
    ];
    let retry_after = proptest::option::of("[ -~]{0,30}");
    (status, content_type, body, retry_after).prop_map(|(status, ct, body, retry_after)| {
        let mut builder = http::Response::builder().status(status);
        // Printable ASCII is always a valid header value: nothing generated is dropped (an
        // invalid one would fail `body` below, loudly).
        if let Some(ct) = ct {
            builder = builder.header("content-type", ct);
        }
        if let Some(value) = retry_after {
            builder = builder
                .header("retry-after", value)
                .header("date", "Wed, 21 Oct 2026 07:28:00 GMT");
        }
        builder.body(body).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(response in any_response()) {
        let pin = response::pin(&response);
        let user = response::user(&response);
        // Errors render, bounded.
        for text in [pin.err().map(|e| e.to_string()), user.err().map(|e| e.to_string())].into_iter().flatten() {
            prop_assert!(text.len() < 2048, "{} bytes", text.len());
        }
    }

    #[test]
    fn builders_emit_valid_headers_or_refuse(
        product in "\\PC{0,40}|.{0,10}[\r\n\t\0].{0,10}",
        id in "\\PC{0,40}|.{0,10}[\r\n].{0,10}",
        device_name in proptest::option::of("\\PC{0,300}"),
        base in prop_oneof![Just("https://plex.tv".to_owned()), Just("http://127.0.0.1:5".to_owned()), "[ -~]{0,30}"],
        pin_id in any::<u64>(),
        token in "[ -~]{0,40}",
    ) {
        let Ok(client_id) = ClientId::new(id) else { return Ok(()) };
        let mut builder = Config::builder(product, client_id).base_url(base);
        if let Some(name) = device_name {
            builder = builder.device_name(name);
        }
        let Ok(config) = builder.build() else { return Ok(()) };
        let mut requests = vec![
            request::create_pin(&config, &PinOptions::strong()),
            request::create_pin(&config, &PinOptions::link()),
            request::check_pin(&config, pin_id),
        ];
        if let Ok(token) = Token::new(&token) {
            requests.push(request::user(&config, &token));
        }
        for req in requests {
            prop_assert!(req.uri().scheme().is_some(), "absolute URI: {}", req.uri());
            prop_assert!(req.uri().host().is_some());
            prop_assert_eq!(&req.headers()["accept"], "application/json");
            for (name, value) in req.headers() {
                prop_assert!(!value.as_bytes().iter().any(|b| b.is_ascii_control()), "{name}: {value:?}");
            }
        }
    }
}

/// Everything but RFC 3986's unreserved characters, as the core escapes URL components.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

proptest! {
    /// The core's own percent-encoding (written out to keep a table out of the .wasm) says
    /// what the percent-encoding crate says, for any text, in the Auth App URL, the link
    /// page URL and the link form body.
    #[test]
    fn urls_escape_as_the_percent_encoding_crate_does(code in any::<String>()) {
        let config = Config::builder("App", ClientId::new("c").unwrap()).build().unwrap();
        let expected = percent_encoding::utf8_percent_encode(&code, UNRESERVED).to_string();
        let short = plex_pin::short_auth_url(&config, &code);
        prop_assert!(short.ends_with(&format!("&code={expected}")), "{short}");
        let link = plex_pin::link_url(&config, &code);
        prop_assert!(link.ends_with(&format!("pin={expected}")), "{link}");
        let form = percent_encoding::utf8_percent_encode(&code, percent_encoding::NON_ALPHANUMERIC);
        let token = Token::new("t").unwrap();
        let request = request::link_pin(&config, &token, &code);
        let body = format!("code={form}");
        prop_assert_eq!(request.body().as_slice(), body.as_bytes());
    }
}
