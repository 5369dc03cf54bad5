//! The client every command talks through: who this app is to plex.tv (`Identity`), and
//! where plex.tv is (`Server`: a base URL, or an emulator started in this process).

use std::time::Duration;

use plex_pin::{ClientId, Config};
use plex_pin_emulator::{Emulator, Options};
use plex_pin_ureq::Client;

use crate::args::{Identity, Server};
use crate::exit::Failure;
use crate::store;

/// The server to talk to: the given base URL, or an emulator started in this process
/// (kept alive by the returned handle).
pub fn connect(
    identity: &Identity,
    server: &Server,
) -> Result<(Client, Option<Emulator>), Failure> {
    connect_to(identity, server, plex_pin::PLEX_TV)
}

/// [`connect`], with the host to use when neither --base-url nor --emulator is given.
pub fn connect_to(
    identity: &Identity,
    server: &Server,
    default_base: &str,
) -> Result<(Client, Option<Emulator>), Failure> {
    let client_id = match &identity.client_id {
        // No whitespace is trimmed: a value with spaces around it is refused, named by
        // where it came from, rather than sent to plex.tv, which would refuse every login.
        Some(id) => ClientId::new(id.clone())
            .map_err(|e| Failure::usage(format!("{}: {e}", identity.client_id_origin())))?,
        None => store::client_id()?,
    };
    let mut builder = Config::builder(identity.product.clone(), client_id)
        .version(identity.app_version.clone())
        .platform(std::env::consts::OS)
        .device_name(
            identity
                .device_name
                .clone()
                .unwrap_or_else(default_device_name),
        );
    if let Some(device) = &identity.device {
        builder = builder.device(device.clone());
    }
    let emulator = if server.emulator {
        Some(start_emulator(server.auto_approve, &server.emulator_fault)?)
    } else {
        None
    };
    if let Some(emulator) = &emulator {
        builder = builder.server(emulator.url());
    } else {
        builder = builder.base_url(
            server
                .base_url
                .clone()
                .unwrap_or_else(|| default_base.to_owned()),
        );
    }
    let config = builder.build().map_err(|e| Failure::usage(e.to_string()))?;
    let client = Client::builder(config)
        .timeout(positive_seconds(
            "--request-timeout",
            server.request_timeout,
        )?)
        .build()
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok((client, emulator))
}

/// The emulator of `--emulator`, with `--auto-approve` and `--emulator-fault`.
fn start_emulator(auto_approve: Option<f64>, faults: &[String]) -> Result<Emulator, Failure> {
    let mut options = Options::default();
    if let Some(secs) = auto_approve {
        options = options.auto_approve(
            plex_pin_emulator::seconds_arg("--auto-approve", secs).map_err(Failure::usage)?,
        );
    }
    for spec in faults {
        options = options.fault(spec.parse().map_err(Failure::usage)?);
    }
    Emulator::start(options)
        .map_err(|e| Failure::general(format!("cannot start the emulator: {e}")))
}

/// A flag's seconds as a `Duration` above zero, refusing zero, negative, NaN and absurd
/// values (a zero timeout fails every request; see `plex_pin_emulator::seconds_arg`).
pub fn positive_seconds(flag: &str, secs: f64) -> Result<Duration, Failure> {
    let duration = plex_pin_emulator::seconds_arg(flag, secs).map_err(Failure::usage)?;
    if duration.is_zero() {
        return Err(Failure::usage(format!(
            "{flag} {secs}: must be more than zero"
        )));
    }
    Ok(duration)
}

/// The machine's host name (what Authorized Devices shows on its first line).
fn default_device_name() -> String {
    gethostname::gethostname()
        .into_string()
        .ok()
        .filter(|h| !h.trim().is_empty() && !h.chars().any(char::is_control))
        .unwrap_or_else(|| "plex-pin CLI".to_owned())
}
