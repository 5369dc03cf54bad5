//! `plex-pin-web-backend`: serves the "Sign in with Plex" example.
//!
//! ```text
//! cargo run -p plex-pin-web-backend -- --emulator           # a local plex.tv, approve by hand
//! cargo run -p plex-pin-web-backend -- --emulator --auto-approve 5
//! cargo run -p plex-pin-web-backend -- --server http://127.0.0.1:32400  # an emulator of its own
//! cargo run -p plex-pin-web-backend                         # the real plex.tv
//! ```
//!
//! Then open http://127.0.0.1:3000. Ctrl-C stops it cleanly (its pending logins are handed
//! over); start it again, or a second one with another `--listen`, over the same `--db`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use plex_pin::{ClientId, Config};
use plex_pin_emulator::{seconds_arg, Emulator, Options};
use plex_pin_web_backend::store::{LoginStore, SqliteStore};
use plex_pin_web_backend::{Instance, Settings};

/// What plex.tv shows the user in their Authorized Devices list.
const PRODUCT: &str = "plex-pin web backend example";

/// Serves a "Sign in with Plex" page and its API.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// The SQLite file holding the logins (created if missing). Instances sharing it share
    /// the logins.
    #[arg(long, default_value = "plex-pin-web-backend.sqlite3")]
    db: PathBuf,
    /// Sign in against a local plex.tv emulator started here, not the real plex.tv. Each
    /// start is a new emulator: logins still pending from an earlier run end as denied.
    #[arg(long, conflicts_with = "server")]
    emulator: bool,
    /// Sign in against this stand-in for plex.tv (a plex-pin-emulator running apart, which
    /// outlives restarts of this server), not the real plex.tv.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// With --emulator: approve every pin this many seconds after it is created.
    #[arg(long, value_name = "SECONDS", requires = "emulator")]
    auto_approve: Option<f64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plex-pin-web-backend: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let emulator = match args.emulator {
        true => {
            let mut options = Options::default();
            if let Some(secs) = args.auto_approve {
                options = options.auto_approve(seconds_arg("--auto-approve", secs)?);
            }
            Some(Emulator::start(options)?)
        }
        false => None,
    };
    let store = SqliteStore::open(&args.db)?;
    // Every instance over this store must use one client identifier: the store keeps it.
    let client_id = store.client_id(&ClientId::generate()).await?;
    let mut config = Config::builder(PRODUCT, client_id);
    if let Some(emulator) = &emulator {
        tracing::info!("plex.tv emulator at {}", emulator.url());
        config = config.server(emulator.url());
    }
    if let Some(url) = args.server {
        config = config.server(url);
    }
    let client = plex_pin_hyper::Client::new(config.build()?)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let instance = Instance::start(store, client, Settings::default(), listener).await?;
    tracing::info!("open http://{} to sign in with Plex", instance.addr());
    tokio::signal::ctrl_c().await?;
    instance.shutdown().await?;
    Ok(())
}
