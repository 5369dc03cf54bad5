//! What only an async transport has, checked once for each (hyper, reqwest): a login
//! stopped by dropping its future, and one client shared by many tasks. Each transport's
//! test file calls these with its client's constructor.

use std::time::Duration;

use plex_pin::drive::{self, SendTransport};
use plex_pin::{ClientId, Config, LoginOptions, PinLogin};
use plex_pin_emulator::{Emulator, Options};

/// A configuration pointed at `emulator` under `client_id`.
pub fn config_for(emulator: &Emulator, client_id: &str) -> Config {
    Config::builder("plex-pin async checks", ClientId::new(client_id).unwrap())
        .server(emulator.url())
        .build()
        .unwrap()
}

/// Polls every 50 ms.
pub fn fast_options() -> LoginOptions {
    LoginOptions::default().with_poll_interval(Duration::from_millis(50))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Dropping a login's future stops its polling at once.
pub fn dropping_the_login_future_stops_polling<T: SendTransport>(client: impl Fn(Config) -> T) {
    let emulator = Emulator::start(Options::default()).unwrap();
    let client = client(config_for(&emulator, "cancel"));
    runtime().block_on(async {
        let login = PinLogin::new(&config_for(&emulator, "cancel"), fast_options());
        let running = drive::run(&client, login, None, |_| {});
        assert!(tokio::time::timeout(Duration::from_millis(400), running)
            .await
            .is_err());
        let polls = emulator.stats().count("check_pin");
        assert!(polls >= 2, "it was polling: {polls}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            emulator.stats().count("check_pin"),
            polls,
            "no poll after the drop"
        );
    });
}

/// One client (cloned) serves 50 logins on as many tasks of a multi-threaded runtime.
pub fn one_client_serves_many_tasks<T>(client: impl Fn(Config) -> T)
where
    T: SendTransport + Clone + Send + 'static,
{
    let emulator =
        Emulator::start(Options::default().auto_approve(Duration::from_millis(100))).unwrap();
    let config = config_for(&emulator, "many");
    let client = client(config.clone());
    runtime().block_on(async {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (client, config) = (client.clone(), config.clone());
                tokio::spawn(async move {
                    let login = PinLogin::new(&config, fast_options());
                    drive::run(&client, login, None, |_| {}).await.is_ok()
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap());
        }
    });
    assert_eq!(emulator.stats().count("create_pin"), 50);
}
