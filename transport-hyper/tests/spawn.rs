//! Generic code can spawn the core's loop over this client on tokio's multi-threaded
//! runtime: `Client` implements `SendTransport`, whose futures are `Send`. Over a bound on
//! `AsyncTransport` alone, the same function does not compile (E0277: the future returned
//! by `send` cannot be sent between threads).

use std::sync::Arc;
use std::time::Duration;

use plex_pin::drive::{self, SendTransport};
use plex_pin::proxy::Proxy;
use plex_pin::{ClientId, Config, LoginOptions, PinLogin, Token};
use plex_pin_emulator::{Emulator, Options};

/// What a library generic over the transport writes.
fn spawn_login<T>(
    transport: Arc<T>,
    login: PinLogin,
) -> tokio::task::JoinHandle<Result<Token, T::Error>>
where
    T: SendTransport + Send + Sync + 'static,
{
    tokio::spawn(async move { drive::run(&*transport, login, None, |_| {}).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generic_function_spawns_the_login() {
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(100))).unwrap();
    let config = Config::builder("plex-pin hyper spawn", ClientId::new("spawn").unwrap())
        .base_url(emulator.url())
        .build()
        .unwrap();
    let client = plex_pin_hyper::Client::builder(config.clone())
        .proxy(Proxy::none())
        .build()
        .unwrap();
    let options = LoginOptions::default().with_poll_interval(Duration::from_millis(50));
    let login = PinLogin::new(&config, options);
    let token = spawn_login(Arc::new(client), login).await.unwrap().unwrap();
    assert!(!token.expose_secret().is_empty());
    assert_eq!(emulator.stats().count("create_pin"), 1);
}
