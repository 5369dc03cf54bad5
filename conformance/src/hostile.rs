//! The hostile-server suite: every scenario of a raw-socket server that answers wrong on
//! purpose ([`server`]: huge numbers, bodies that never end, echoed tokens…) must end in a
//! token or a typed error, within the login's deadline, with memory bounded.
//!
//! Natively, [`hostile!`](crate::hostile!) (or [`in_process`]) starts the server in the
//! test's process and runs every scenario over a rig's transport. Elsewhere (a wasm test in
//! node), start the `plex-pin-hostile-server` binary beside the test and pass its URL to
//! [`survives_a_hostile_server`]: the server lists its scenarios at `GET /scenarios`, so
//! every target runs the same list.

use std::time::Duration;

use plex_pin::drive::AsyncTransport;
use plex_pin::{Call, ClientId, Config, Error, Instant, LoginOptions, PinLogin, Token};

use crate::{Failure, Rig};

#[cfg(not(target_arch = "wasm32"))]
pub mod server;

/// The token a scenario hands out when it approves: seeing it means the login succeeded.
pub const TOKEN: &str = "hostile-approved-token";
/// The login's deadline in every scenario.
pub const DEADLINE: Duration = Duration::from_secs(2);
/// What a transport may take beyond [`DEADLINE`] to wind down.
pub const MARGIN: Duration = Duration::from_millis(1500);
/// The per-request timeout the clients get: far past [`DEADLINE`], so that only the login's
/// deadline can end a request that never completes.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The most memory may grow during one scenario (the 64 KiB body cap, buffers, runtime):
/// 400 MB was seen before bodies were copied into one buffer.
pub const MEMORY_BOUND: usize = 2 * 1024 * 1024;

/// One scenario as the server lists it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its path segment.
    pub name: String,
    /// A token check (the server echoes the token) rather than a login.
    pub token_check: bool,
    /// The login must end with [`TOKEN`] (the oddity is harmless), not an error.
    pub expect_token: bool,
    /// A JWT sign-in whose Plex JWT is forged: it must end in [`Error::InvalidJwt`].
    pub jwt: bool,
}

fn config(base_url: &str) -> Config {
    Config::builder(
        "plex-pin hostile suite",
        ClientId::new("hostile-client").unwrap(),
    )
    .base_url(base_url)
    .build()
    .unwrap()
}

/// The server's scenarios, from its `/scenarios`.
pub async fn scenarios<R: Rig>(rig: &R, server: &str) -> Vec<Scenario> {
    let transport = rig.transport(config(server), REQUEST_TIMEOUT);
    let request = http::Request::get(format!("{server}/scenarios"))
        .body(Vec::new())
        .unwrap();
    let Ok(response) = transport.send(request, REQUEST_TIMEOUT).await else {
        panic!("the hostile server lists no scenarios at {server}/scenarios");
    };
    let list: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    let text =
        |entry: &serde_json::Value, key: &str| entry[key].as_str().unwrap_or_default().to_owned();
    list.as_array()
        .unwrap()
        .iter()
        .map(|entry| Scenario {
            name: text(entry, "name"),
            token_check: text(entry, "kind") == "token-check",
            expect_token: text(entry, "expect") == "token",
            jwt: text(entry, "kind") == "jwt-login",
        })
        .collect()
}

/// Runs every scenario of the server at `server` and fails with the list of those that
/// did not end as they must.
pub async fn survives_a_hostile_server<R: Rig>(rig: &R, server: &str) {
    let list = scenarios(rig, server).await;
    assert!(list.len() >= 38, "the server lists its scenarios");
    let mut failures = Vec::new();
    for scenario in &list {
        if let Err(failure) = run(rig, server, scenario).await {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One scenario: a login (or a token check) against `{server}/{name}`.
pub async fn run<R: Rig>(rig: &R, server: &str, scenario: &Scenario) -> Result<(), String> {
    let name = &scenario.name;
    let base = format!("{server}/{name}");
    let transport = rig.transport(config(&base), REQUEST_TIMEOUT);
    rig.reset_memory_peak();
    let start = Instant::now();
    let (ended, shown) = if scenario.token_check {
        let secret = "hostile-secret-token-0123456789";
        let token = Token::new(secret).unwrap();
        let outcome = crate::call::<R, _>(&transport, Call::user(&config(&base), &token)).await;
        let shown = format!(
            "{outcome:?} {}",
            match &outcome {
                Err(Failure::Plex(e)) => e.to_string(),
                _ => String::new(),
            }
        );
        if shown.contains(&secret[..12]) {
            return Err(format!("{name}: the token reached the error: {shown}"));
        }
        (matches!(outcome, Err(Failure::Plex(_))), shown)
    } else {
        let options = LoginOptions::default()
            .with_poll_interval(Duration::from_millis(50))
            .with_max_consecutive_failures(3)
            .with_timeout(DEADLINE);
        let login = if scenario.jwt {
            let key = plex_pin::jwt::DeviceKey::from_seed([0x44; 32]);
            PinLogin::with_device_key(&config(&base), options, key)
        } else {
            PinLogin::new(&config(&base), options)
        };
        let outcome = rig.run(&transport, login, None, |_| {}).await;
        let ended = match &outcome {
            Err(Failure::Plex(Error::InvalidJwt(_))) => scenario.jwt,
            _ if scenario.jwt => false,
            Ok(token) => scenario.expect_token && token.expose_secret() == TOKEN,
            Err(Failure::Plex(Error::OutOfOrder(_))) => false,
            Err(_) => !scenario.expect_token,
        };
        (ended, format!("{outcome:?}"))
    };
    let took = start.elapsed();
    if !ended {
        let expected = if scenario.jwt {
            "Error::InvalidJwt: the forged JWT refused"
        } else if scenario.expect_token {
            "the token"
        } else {
            "a typed error"
        };
        return Err(format!("{name}: expected {expected}, got {shown}"));
    }
    if took > DEADLINE + MARGIN {
        return Err(format!(
            "{name}: took {took:?}, past the {DEADLINE:?} deadline ({shown})"
        ));
    }
    match rig.memory_peak_growth() {
        Some(grew) if grew > MEMORY_BOUND => {
            Err(format!("{name}: memory grew by {grew} bytes ({shown})"))
        }
        _ => Ok(()),
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::in_process;

/// What needs the server in this process: native targets only.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Duration;

    use plex_pin::drive::{Cancel, Flow};
    use plex_pin::{Config, Token};

    use super::{server, survives_a_hostile_server};
    use crate::{Failure, Report, Rig, TransportError};

    /// Starts the hostile server in this process and runs every scenario over `rig`'s
    /// transport: what [`hostile!`](crate::hostile!) generates. The server's allocations would
    /// count as the client's, so the rig's memory figures are not checked here; run the server
    /// as a process of its own ([`server::ServerProcess`]) and call
    /// [`survives_a_hostile_server`] to check them too.
    pub async fn in_process<R: Rig>(rig: &R) {
        let server = server::HostileServer::start().expect("the hostile server starts");
        survives_a_hostile_server(&WithoutMemory(rig), &server.url()).await;
    }

    /// A rig as it is, but for its memory figures.
    struct WithoutMemory<'a, R>(&'a R);

    impl<R: Rig> Rig for WithoutMemory<'_, R> {
        type Transport = R::Transport;

        fn url(&self) -> &str {
            self.0.url()
        }

        fn transport(&self, config: Config, timeout: Duration) -> R::Transport {
            self.0.transport(config, timeout)
        }

        fn failure(error: &TransportError<R>) -> Failure {
            R::failure(error)
        }

        fn run<F: Flow + Send + 'static>(
            &self,
            transport: &R::Transport,
            flow: F,
            cancel: Option<&Cancel>,
            observe: impl FnMut(Report),
        ) -> impl std::future::Future<Output = Result<Token, Failure>> {
            self.0.run(transport, flow, cancel, observe)
        }
    }
}
