//! `plex-pin`: sign in to Plex.tv with a PIN from the terminal.
//!
//! `TOKEN=$(plex-pin login)` works: everything for the person goes to stderr, only the
//! token (or `--json`) to stdout.

mod args;
mod exit;
mod prompt;
mod store;

use std::time::Duration;

use clap::Parser;
use plex_pin::{ClientId, Config, LoginOptions, PinOptions, Token};
use plex_pin_emulator::{Emulator, Options};
use plex_pin_ureq::Client;

use args::{Cli, Command, Identity, LinkArgs, LoginArgs, RefreshArgs, Server, WhoamiArgs};
use exit::Failure;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("plex-pin: {failure}");
            failure.exit_code()
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Login(args) => login(args),
        Command::Whoami(args) => whoami(args),
        Command::Refresh(args) => refresh(args),
        Command::Link(args) => link(args),
        Command::Emulator(args) => {
            let emulator = start_emulator(args.port, args.auto_approve, &args.fault)?;
            println!("{}", emulator.url());
            eprintln!(
                "plex-pin emulator on {} (Ctrl-C to stop); sign-in pages: {0}/auth, {0}/link",
                emulator.url()
            );
            loop {
                std::thread::park();
            }
        }
    }
}

fn start_emulator(
    port: u16,
    auto_approve: Option<f64>,
    faults: &[String],
) -> Result<Emulator, Failure> {
    let mut options = Options::default().port(port);
    if let Some(secs) = auto_approve {
        options = options.auto_approve(seconds("--auto-approve", secs)?);
    }
    for spec in faults {
        options = options.fault(spec.parse().map_err(Failure::usage)?);
    }
    Emulator::start(options)
        .map_err(|e| Failure::general(format!("cannot start the emulator: {e}")))
}

/// The server to talk to: the given base URL, or an emulator started in this process
/// (kept alive by the returned handle).
fn connect(identity: &Identity, server: &Server) -> Result<(Client, Option<Emulator>), Failure> {
    connect_to(identity, server, plex_pin::PLEX_TV)
}

/// [`connect`], with the host to use when neither --base-url nor --emulator is given.
fn connect_to(
    identity: &Identity,
    server: &Server,
    default_base: &str,
) -> Result<(Client, Option<Emulator>), Failure> {
    let client_id = match &identity.client_id {
        Some(id) => {
            ClientId::new(id.clone()).map_err(|e| Failure::usage(format!("--client-id: {e}")))?
        }
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
        Some(start_emulator(
            0,
            server.auto_approve,
            &server.emulator_fault,
        )?)
    } else {
        None
    };
    if let Some(emulator) = &emulator {
        builder = builder
            .base_url(emulator.url())
            .auth_app_url(format!("{}/auth", emulator.url()))
            .link_page_url(format!("{}/link", emulator.url()));
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
        .timeout(seconds("--request-timeout", server.request_timeout)?)
        .build();
    Ok((client, emulator))
}

/// A flag's seconds as a `Duration`, refusing negative, NaN and absurd values.
fn seconds(flag: &str, secs: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| *d <= Duration::from_secs(7 * 24 * 3600))
        .ok_or_else(|| Failure::usage(format!("{flag} {secs}: not a number of seconds")))
}

fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty() && !h.chars().any(char::is_control))
        .unwrap_or_else(|| "plex-pin CLI".to_owned())
}

fn login(args: LoginArgs) -> Result<(), Failure> {
    let default_base = if args.jwt {
        plex_pin::CLIENTS_PLEX_TV
    } else {
        plex_pin::PLEX_TV
    };
    let (client, _emulator) = connect_to(&args.identity, &args.server, default_base)?;
    let key = if args.jwt {
        Some(store::device_key()?)
    } else {
        None
    };
    let mut options = LoginOptions::default().with_pin(if args.link {
        PinOptions::link()
    } else {
        PinOptions::strong()
    });
    options = options.with_poll_interval(seconds("--poll-interval", args.poll_interval)?);
    if let Some(secs) = args.timeout {
        options = options.with_timeout(seconds("--timeout", secs)?);
    }
    let mut prompt = prompt::Prompt::new(!args.no_qr);
    ctrlc::set_handler(|| {
        eprintln!("\nplex-pin: cancelled; no token was issued");
        std::process::exit(exit::INTERRUPTED);
    })
    .map_err(|e| Failure::general(format!("cannot handle Ctrl-C: {e}")))?;
    let result = match &key {
        Some(key) => client.login_jwt(options, key, |pin, url| prompt.show(pin, url)),
        None => client.login(options, |pin, url| prompt.show(pin, url)),
    };
    prompt.finish();
    let token = result.map_err(Failure::from_transport)?;
    if args.json {
        let user = client.user(&token).map_err(Failure::from_transport)?;
        println!(
            "{}",
            serde_json::json!({"token": token.expose_secret(), "user": prompt::user_json(&user)})
        );
    } else {
        println!("{}", token.expose_secret());
    }
    Ok(())
}

fn whoami(args: WhoamiArgs) -> Result<(), Failure> {
    let raw = args
        .token
        .ok_or_else(|| Failure::usage("no token: pass --token or set PLEX_TOKEN".to_owned()))?;
    let token = Token::new(raw.trim()).map_err(|e| Failure::usage(e.to_string()))?;
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    match client.user(&token) {
        Ok(user) if args.json => println!("{}", prompt::user_json(&user)),
        Ok(user) => {
            println!("{}", user.display_name().unwrap_or("(no name)"));
            for (label, value) in [
                ("username", &user.username),
                ("email", &user.email),
                ("uuid", &user.uuid),
            ] {
                if let Some(value) = value {
                    println!("{label}: {value}");
                }
            }
            println!("id: {}", user.id);
        }
        Err(error) => return Err(Failure::from_token_check(error)),
    }
    Ok(())
}

fn refresh(args: RefreshArgs) -> Result<(), Failure> {
    let (client, _emulator) = connect_to(&args.identity, &args.server, plex_pin::CLIENTS_PLEX_TV)?;
    let key = store::device_key()?;
    match client.refresh(&key) {
        Ok(token) => {
            println!("{}", token.expose_secret());
            Ok(())
        }
        Err(plex_pin_ureq::Error::Plex(
            plex_pin::Error::SignatureRejected | plex_pin::Error::DeviceKeyUnknown,
        )) => Err(Failure::general(
            "plex.tv refused this device's signature: sign in with `plex-pin login --jwt` first"
                .to_owned(),
        )),
        Err(error) => Err(Failure::from_transport(error)),
    }
}

fn link(args: LinkArgs) -> Result<(), Failure> {
    let raw = args
        .token
        .ok_or_else(|| Failure::usage("no token: pass --token or set PLEX_TOKEN".to_owned()))?;
    let token = Token::new(raw.trim()).map_err(|e| Failure::usage(e.to_string()))?;
    let code = args.code.trim().to_uppercase();
    if code.chars().count() != 4 {
        return Err(Failure::usage(format!(
            "`{code}` is not a 4-character code (strong codes are approved in the browser)"
        )));
    }
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    client
        .link_pin(&token, &code)
        .map_err(|error| match error {
            plex_pin_ureq::Error::Plex(plex_pin::Error::PinExpired { .. }) => Failure::with_code(
                exit::PIN_EXPIRED,
                format!("no device is waiting with the code {code} (wrong or expired)"),
            ),
            other => Failure::from_token_check(other),
        })?;
    eprintln!("Linked {code}: the device signs in now.");
    Ok(())
}
