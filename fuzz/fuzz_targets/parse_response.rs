//! The response parsers on arbitrary responses: no panic, bounded error text, and a parsed
//! pin's Debug never shows its token. `Retry-After` also comes as full-range seconds and as
//! dates in any year, which arbitrary text would almost never reach.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plex_pin::response;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    status: u16,
    content_type: u8,
    retry_after: Option<&'a str>,
    /// When set, replaces `retry_after`: u64 seconds, or a year for an HTTP date.
    retry_after_number: Option<(bool, u64)>,
    date: Option<&'a str>,
    body: &'a [u8],
}

const TYPES: [Option<&str>; 6] = [
    None,
    Some("application/json"),
    Some("application/xml"),
    Some("text/html"),
    Some("text/json; charset=utf-8"),
    Some("text/xml"),
];

fuzz_target!(|input: Input<'_>| {
    let status = 100 + input.status % 500;
    let mut builder = http::Response::builder().status(status);
    if let Some(ct) = TYPES[usize::from(input.content_type) % TYPES.len()] {
        builder = builder.header("content-type", ct);
    }
    let numeric = input.retry_after_number.map(|(date, n)| {
        if date {
            format!("Fri, 31 Dec {:04} 23:59:59 GMT", n % 100_000)
        } else {
            n.to_string()
        }
    });
    let retry_after = numeric.as_deref().or(input.retry_after);
    for (name, value) in [("retry-after", retry_after), ("date", input.date)] {
        if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(v).ok()) {
            builder = builder.header(name, v);
        }
    }
    let Ok(response) = builder.body(input.body) else { return };
    for error in [response::pin(&response).err(), response::user(&response).err()]
        .into_iter()
        .flatten()
    {
        let _ = error.retry_after();
        let shown = format!("{error} {error:?}");
        assert!(shown.len() < 4096, "error text grew to {} bytes", shown.len());
    }
    if let Ok(pin) = response::pin(&response) {
        let shown = format!("{pin:?}");
        if let Some(token) = &pin.auth_token {
            assert!(!shown.contains(token.expose_secret()) || token.expose_secret().len() < 4);
        }
    }
});
