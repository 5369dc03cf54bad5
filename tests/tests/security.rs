//! Secrets and hostile input, across the crates: the token never shows in any Debug or
//! Display output or error; header injection and clear-text remote base URLs are refused.

use std::time::Duration;

use plex_pin::http;
use plex_pin::{
    request, response, Call, ClientId, Config, ConfigError, Error, LoginOptions, Token,
};
use plex_pin_emulator::{Emulator, Options};

fn config_for(emulator: &Emulator, client_id: &str) -> Config {
    Config::builder("plex-pin security", ClientId::new(client_id).unwrap())
        .server(emulator.url())
        .build()
        .unwrap()
}

/// Every way a token could be printed by accident, after a real login.
#[test]
fn the_token_never_shows_in_debug_display_or_errors() {
    let emulator = Emulator::start(Options::default().auto_approve(Duration::ZERO)).unwrap();
    let config = config_for(&emulator, "security");
    let client = plex_pin_ureq::Client::new(config.clone()).unwrap();
    let options = LoginOptions::default().with_poll_interval(Duration::from_millis(20));
    let mut shown_pin = String::new();
    let token = client
        .login(options, |pin, url| shown_pin = format!("{pin:?} {url}"))
        .unwrap();
    let secret = token.expose_secret().to_owned();
    assert_eq!(secret.len(), 20);

    let pin_id = emulator.stats().recent.iter().find_map(|r| {
        r.path
            .strip_prefix("/api/v2/pins/")
            .and_then(|id| id.parse::<u64>().ok())
    });
    let approved_pin = client
        .call(Call::check_pin(&config, pin_id.unwrap()))
        .unwrap();
    assert_eq!(
        approved_pin.auth_token.as_ref().unwrap().expose_secret(),
        secret
    );

    let user_request = request::user(&config, &token);
    emulator.revoke(&secret);
    let revoked = client.call(Call::user(&config, &token)).unwrap_err();

    // A body that carries the token, refused for another reason, keeps it out of the error.
    let leaky = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(format!(r#"{{"id":"x","authToken":"{secret}"}}"#).into_bytes())
        .unwrap();
    let decode_error = response::pin(&leaky).unwrap_err();

    let outputs = [
        format!("{token:?}"),
        format!("{token}"),
        shown_pin,
        format!("{approved_pin:?}"),
        format!("{user_request:?}"),
        format!("{revoked} {revoked:?}"),
        format!("{decode_error} {decode_error:?}"),
        format!("{config:?}"),
        format!("{:?}", emulator.stats()),
    ];
    for text in outputs {
        assert!(!text.contains(&secret), "token leaked into: {text}");
    }
}

#[test]
fn header_injection_is_refused_before_the_wire() {
    for bad in [
        "App\r\nX-Plex-Token: stolen",
        "App\nX: y",
        "App\0",
        "App\u{85}",
    ] {
        let refused = Config::builder(bad, ClientId::generate()).build();
        assert!(
            matches!(refused, Err(ConfigError::ControlCharacter { .. })),
            "{bad:?}"
        );
        assert!(ClientId::new(bad).is_err(), "{bad:?}");
    }
    assert!(Token::new("abc\r\nX-Evil: 1").is_err());
}

#[test]
fn clear_text_base_urls_are_refused_unless_loopback() {
    for remote in [
        "http://plex.tv",
        "http://192.168.1.2:32400",
        "http://[2001:db8::1]/",
        // A name is only as local as the resolver says.
        "http://localhost:2",
        "http://localhost.",
    ] {
        let refused = Config::builder("App", ClientId::generate())
            .base_url(remote)
            .build();
        assert!(
            matches!(refused, Err(ConfigError::InsecureBaseUrl { .. })),
            "{remote}"
        );
    }
    for local in ["http://127.0.0.1:1", "http://127.8.0.1:2", "http://[::1]:3"] {
        assert!(Config::builder("App", ClientId::generate())
            .base_url(local)
            .build()
            .is_ok());
    }
}

#[test]
fn error_messages_name_no_secret_even_for_unauthorized() {
    let error = Error::Unauthorized {
        status: http::StatusCode::UNAUTHORIZED,
    };
    assert_eq!(
        error.to_string(),
        "the token was refused by plex.tv (HTTP 401)"
    );
}
