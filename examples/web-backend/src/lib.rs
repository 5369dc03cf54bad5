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
//! Modules, one concept each: [`store`] (the [`LoginStore`](store::LoginStore) trait,
//! leases, [`SqliteStore`](store::SqliteStore)), `login` (one login's task), `routes` (the
//! HTTP API), [`app`] (an [`Instance`](app::Instance): start, resume, stop). The README
//! says how to run it, and how to plug Postgres or Redis in.
#![deny(missing_docs)]

pub mod app;
mod login;
mod routes;
pub mod store;

pub use app::{Instance, Settings, StartFailed};
pub use routes::MAX_BODY;
