//! A "Sign in with Plex" web backend, as an example to copy: axum, plex-pin-hyper, and the
//! pending logins in a database, so that a login started before a restart, or on another
//! instance, still completes.
//!
//! - `POST /login` creates a plex.tv pin, stores it, and only then answers with the
//!   approval URL and a login id.
//! - A task per login polls plex.tv (plex-pin's loop) on the one instance that holds the
//!   login's lease, and writes how it ended; `GET /login/{id}` reads that.
//! - At start, and every half lease, an instance resumes the pending logins no live
//!   instance polls.
//! - The token stays on the server, as the session's: no answer and no log line holds it.
//!
//! An instance over a SQLite file; start another over the same file (here or on another
//! port) and they share the logins:
//!
//! ```
//! use plex_pin::{ClientId, Config};
//! use plex_pin_web_backend::store::{LoginStore, SqliteStore};
//! use plex_pin_web_backend::{Instance, Settings};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("logins.sqlite3");
//! # let emulator = plex_pin_emulator::Emulator::start(Default::default())?;
//! let store = SqliteStore::open(path)?;
//! // One client identifier for every instance over this store: the store keeps it.
//! let client_id = store.client_id(&ClientId::generate()).await?;
//! let config = Config::builder("My App", client_id)
//!     .server(emulator.url()) // a local plex.tv; leave it out for the real one
//!     .build()?;
//! let client = plex_pin_hyper::Client::new(config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let instance = Instance::start(store, client, Settings::default(), listener).await?;
//! println!("Sign in with Plex at http://{}", instance.addr());
//! instance.shutdown().await?; // hands its pending logins over to the other instances
//! # Ok(()) }
//! ```
//!
//! Modules, one concept each: [`store`] (the [`LoginStore`](store::LoginStore) trait,
//! leases, [`SqliteStore`](store::SqliteStore)), `login` (one login's task), `app` (what
//! an instance's handlers share: [`Settings`], starting and resuming logins), `routes`
//! (the HTTP API), `instance` (an [`Instance`]: start, stop). The README says how to run
//! it, and how to plug Postgres or Redis in.
#![deny(missing_docs)]

mod app;
mod instance;
mod login;
mod routes;
pub mod store;

pub use app::Settings;
pub use instance::{Instance, StartFailed};
pub use routes::MAX_BODY;
