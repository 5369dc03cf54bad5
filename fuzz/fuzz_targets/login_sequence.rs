//! The login state machine fed arbitrary sequences of responses, transport failures and
//! clock moves, with every number at full range (ids, `expiresIn`, `Retry-After` seconds
//! and dates, the caller's own durations): it never panics, never asks to wait in the past
//! or past the pin's expiry, hands out at most one token (and only from an approved poll of
//! the pin it created), and ends within a bounded number of steps.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plex_pin::{AfterFailure, ClientId, Config, Instant, LoginOptions, PinLogin, PinOptions, Step};

/// A JSON number (or not) as a hostile server might send it.
#[derive(Arbitrary, Debug)]
enum Number {
    Unsigned(u64),
    Negative(i64),
    Float(f64),
    Text(String),
}

impl Number {
    fn json(&self) -> String {
        match self {
            Number::Unsigned(n) => n.to_string(),
            Number::Negative(n) => n.to_string(),
            Number::Float(f) if f.is_finite() => format!("{f:e}"),
            Number::Float(_) => "1e400".to_owned(),
            Number::Text(t) => format!("{t:?}"),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum RetryAfter {
    Seconds(u64),
    Negative(i64),
    /// An HTTP date in this year (mod 100,000), against a `Date` in 2026.
    Year(u32),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Reply {
    Pin {
        token: bool,
        /// `None`: the created pin's own id.
        id: Option<Number>,
        expires_in: Option<Number>,
        /// `None`: the created pin's own code.
        code: Option<String>,
    },
    Status {
        status: u16,
        retry_after: Option<RetryAfter>,
    },
    Garbage(Vec<u8>),
    TransportFailure,
}

#[derive(Arbitrary, Debug)]
struct Input {
    link: bool,
    poll_ms: u64,
    timeout_s: Option<u64>,
    max_backoff_ms: Option<u64>,
    max_retry_after_s: Option<u64>,
    max_failures: u32,
    replies: Vec<Reply>,
}

const ID: u64 = 7;

fn reply(r: &Reply) -> Option<http::Response<Vec<u8>>> {
    let json = |status: u16, body: String| {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("date", "Tue, 01 Dec 2026 12:00:00 GMT")
            .body(body.into_bytes())
            .ok()
    };
    match r {
        Reply::Pin { token, id, expires_in, code } => {
            let token = if *token { "\"FUZZTOKEN\"" } else { "null" };
            let id = id.as_ref().map_or(ID.to_string(), Number::json);
            let expires = expires_in.as_ref().map_or("null".to_owned(), Number::json);
            let code = code.as_deref().unwrap_or("ABCD");
            json(
                200,
                format!(r#"{{"id":{id},"code":{code:?},"expiresIn":{expires},"authToken":{token}}}"#),
            )
        }
        Reply::Status { status, retry_after } => {
            let mut response = json(100 + status % 500, r#"{"errors":[{"code":1020}]}"#.to_owned())?;
            let value = match retry_after {
                None => None,
                Some(RetryAfter::Seconds(s)) => Some(s.to_string()),
                Some(RetryAfter::Negative(s)) => Some(s.to_string()),
                Some(RetryAfter::Year(y)) => Some(format!("Fri, 31 Dec {:04} 23:59:59 GMT", y % 100_000)),
                Some(RetryAfter::Text(t)) => Some(t.clone()),
            };
            if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert("retry-after", v);
            }
            Some(response)
        }
        Reply::Garbage(bytes) => http::Response::builder().status(200).body(bytes.clone()).ok(),
        Reply::TransportFailure => None,
    }
}

fuzz_target!(|input: Input| {
    let config = Config::builder("fuzz", ClientId::new("fuzz").unwrap()).build().unwrap();
    let mut options = LoginOptions::default()
        .with_pin(if input.link { PinOptions::link() } else { PinOptions::strong() })
        .with_poll_interval(Duration::from_millis(input.poll_ms))
        .with_max_consecutive_failures(input.max_failures);
    if let Some(t) = input.timeout_s {
        options = options.with_timeout(Duration::from_secs(t));
    }
    if let Some(ms) = input.max_backoff_ms {
        options = options.with_max_backoff(Duration::from_millis(ms));
    }
    if let Some(s) = input.max_retry_after_s {
        options = options.with_max_retry_after(Duration::from_secs(s));
    }
    let mut login = PinLogin::new(&config, options);
    let mut now = Instant::now();
    let mut replies = input.replies.iter();
    let mut approved = false;
    // The pin the login announced: (id, code).
    let mut created: Option<(u64, String)> = None;
    for _ in 0..10_000 {
        match login.poll(now) {
            Err(_) => {
                assert!(login.is_finished(), "an error must end the login");
                return;
            }
            Ok(Step::Send(_)) => {
                let timeout = login.request_timeout(now, Duration::from_secs(15));
                assert!(timeout > Duration::ZERO && timeout <= Duration::from_secs(15));
                let Some(next) = replies.next() else { return };
                // Only a poll of the created pin (same id and code) may approve.
                approved = match (next, &created) {
                    (Reply::Pin { token: true, id, code, .. }, Some((pin_id, pin_code))) => {
                        // By the text sent: `Negative` holds any i64, positive ones too.
                        let same_id = match id {
                            None => *pin_id == ID,
                            Some(n) => n.json() == pin_id.to_string(),
                        };
                        same_id && code.as_deref().unwrap_or("ABCD") == pin_code
                    }
                    _ => false,
                };
                match reply(next) {
                    Some(response) => {
                        if login.handle_response(now, response).is_err() {
                            assert!(login.is_finished());
                            return;
                        }
                    }
                    None => {
                        let kind = plex_pin::TransportErrorKind::Connect;
                        if login.transport_failed(now, kind) == AfterFailure::GiveUp {
                            assert!(login.is_finished());
                            return;
                        }
                    }
                }
            }
            Ok(Step::PinReady { pin, url, expires_at, saved }) => {
                assert_eq!(Some(url), login.approval_url());
                assert_eq!(Some(expires_at), login.pin_expires_at());
                assert_eq!((saved.id, saved.code.as_str()), (pin.id, pin.code.as_str()));
                assert!(pin.auth_token.is_none());
                assert!(!pin.code.is_empty() && pin.code.bytes().all(|b| b.is_ascii_alphanumeric()));
                let expires = login.pin_expires_at().expect("a pin has an expiry");
                assert!(expires - now <= plex_pin::limits::MAX_PIN_LIFETIME, "the lifetime is clamped");
                created = Some((pin.id, pin.code.clone()));
            }
            Ok(Step::WaitUntil(t)) => {
                assert!(t > now, "asked to wait for the past");
                if let Some(expires) = login.pin_expires_at() {
                    assert!(t <= expires, "asked to wait past the pin's expiry");
                }
                if let Some(deadline) = login.deadline() {
                    assert!(t <= deadline, "asked to wait past the caller's deadline");
                }
                now = t;
            }
            Ok(Step::Done(token)) => {
                assert!(approved, "a token without an approved poll of the created pin");
                assert_eq!(token.expose_secret(), "FUZZTOKEN");
                assert!(login.poll(now).is_err(), "a second step after Done");
                return;
            }
        }
    }
    panic!("the login did not end within 10,000 steps");
});
