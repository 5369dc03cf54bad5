//! The login state machine fed arbitrary sequences of responses, transport failures and
//! clock moves: it never panics, never asks to wait in the past, hands out at most one
//! token (and only after an approved poll), and ends within a bounded number of steps.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plex_pin::{AfterFailure, ClientId, Config, Instant, LoginOptions, PinLogin, PinOptions, Step};

#[derive(Arbitrary, Debug)]
enum Reply {
    Pin { token: bool, expires_in: Option<u16> },
    Status { status: u16, retry_after: Option<u8> },
    Garbage(Vec<u8>),
    TransportFailure,
}

#[derive(Arbitrary, Debug)]
struct Input {
    link: bool,
    poll_ms: u16,
    timeout_s: Option<u16>,
    max_failures: u8,
    replies: Vec<Reply>,
}

fn reply(r: &Reply) -> Option<http::Response<Vec<u8>>> {
    let json = |status: u16, body: String| {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.into_bytes())
            .ok()
    };
    match r {
        Reply::Pin { token, expires_in } => {
            let token = if *token { "\"FUZZTOKEN\"" } else { "null" };
            let expires = expires_in.map_or("null".to_owned(), |e| e.to_string());
            json(200, format!(r#"{{"id":7,"code":"ABCD","expiresIn":{expires},"authToken":{token}}}"#))
        }
        Reply::Status { status, retry_after } => {
            let mut response = json(100 + status % 500, r#"{"errors":[{"code":1020}]}"#.to_owned())?;
            if let Some(s) = retry_after {
                response.headers_mut().insert("retry-after", http::HeaderValue::from(u16::from(*s)));
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
        .with_poll_interval(Duration::from_millis(u64::from(input.poll_ms.max(1))))
        .with_max_consecutive_failures(u32::from(input.max_failures.max(1)));
    if let Some(t) = input.timeout_s {
        options = options.with_timeout(Duration::from_secs(u64::from(t)));
    }
    let mut login = PinLogin::new(&config, options);
    let mut now = Instant::now();
    let mut replies = input.replies.iter();
    let mut approved = false;
    for _ in 0..10_000 {
        match login.poll(now) {
            Err(_) => {
                assert!(login.is_finished(), "an error must end the login");
                return;
            }
            Ok(Step::Send(_)) => {
                let Some(next) = replies.next() else { return };
                approved = matches!(next, Reply::Pin { token: true, .. });
                match reply(next) {
                    Some(response) => {
                        if login.handle_response(now, response).is_err() {
                            assert!(login.is_finished());
                            return;
                        }
                    }
                    None => {
                        if login.transport_failed(now) == AfterFailure::GiveUp {
                            assert!(login.is_finished());
                            return;
                        }
                    }
                }
            }
            Ok(Step::PinReady(pin)) => assert!(pin.auth_token.is_none()),
            Ok(Step::WaitUntil(t)) => {
                assert!(t > now, "asked to wait for the past");
                now = t;
            }
            Ok(Step::Done(token)) => {
                assert!(approved, "a token without an approved poll");
                assert_eq!(token.expose_secret(), "FUZZTOKEN");
                assert!(login.poll(now).is_err(), "a second step after Done");
                return;
            }
            Ok(_) => unreachable!("no other steps exist"),
        }
    }
    panic!("the login did not end within 10,000 steps");
});
