//! `plex-pin`: sign in to Plex.tv with a PIN from the terminal.
//!
//! `TOKEN=$(plex-pin login)` works: everything for the person goes to stderr, only the
//! token (or `--json`) to stdout.

mod args;
mod drive;
mod exit;
mod output;
mod prompt;
mod store;
mod terminal;

use std::time::Duration;

use clap::Parser;
use plex_pin::drive::Clock;
use plex_pin::{Call, ClientId, Config, LoginOptions, PinLogin, PinOptions, Token};
use plex_pin_emulator::{Emulator, Options};
use plex_pin_ureq::Client;

use args::{Cli, Command, Identity, LinkArgs, LoginArgs, RefreshArgs, Server, WhoamiArgs};
use exit::Failure;
use output::Stdout;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(failure) => {
            // Error text can carry what a server said: never raw to the terminal.
            eprintln!("plex-pin: {}", terminal::safe(&failure.to_string()));
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
            let mut stdout = Stdout::open()?;
            let options = args.options().map_err(Failure::usage)?;
            let emulator = Emulator::start(options)
                .map_err(|e| Failure::general(format!("cannot start the emulator: {e}")))?;
            stdout.line(emulator.url())?;
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

/// A flag's seconds as a `Duration` above zero, refusing zero, negative, NaN and absurd
/// values (a zero timeout fails every request; see `plex_pin_emulator::seconds_arg`).
fn positive_seconds(flag: &str, secs: f64) -> Result<Duration, Failure> {
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

fn login(args: LoginArgs) -> Result<(), Failure> {
    // Before plex.tv is asked for anything: a token it issues must have somewhere to go.
    let mut stdout = Stdout::for_token()?;
    let default_base = if args.jwt {
        plex_pin::CLIENTS_PLEX_TV
    } else {
        plex_pin::PLEX_TV
    };
    let (client, _emulator) = connect_to(&args.identity, &args.server, default_base)?;
    let mut options = LoginOptions::default().with_pin(if args.link {
        PinOptions::link()
    } else {
        PinOptions::strong()
    });
    let interval = positive_seconds("--poll-interval", args.poll_interval)?;
    if interval < plex_pin::MIN_POLL_INTERVAL {
        return Err(Failure::usage(format!(
            "--poll-interval {}: at least {} s (plex.tv asks for 1)",
            args.poll_interval,
            plex_pin::MIN_POLL_INTERVAL.as_secs_f64()
        )));
    }
    options = options.with_poll_interval(interval);
    if let Some(secs) = args.timeout {
        options = options.with_timeout(positive_seconds("--timeout", secs)?);
    }
    let login = if args.jwt {
        let key = store::device_key()?;
        PinLogin::with_device_key(client.config(), options, key, client.unix_now())
    } else {
        PinLogin::new(client.config(), options)
    };
    let mut prompt = prompt::Prompt::new(!args.no_qr);
    ctrlc::set_handler(|| {
        eprintln!("\nplex-pin: cancelled; no token was issued");
        std::process::exit(exit::INTERRUPTED);
    })
    .map_err(|e| Failure::general(format!("cannot handle Ctrl-C: {e}")))?;
    let result = drive::login(&client, login, &mut prompt);
    prompt.finish();
    let token = result.map_err(Failure::from_transport)?;
    // The token is issued: it is printed whatever happens to the account lookup, which
    // also says who signed in.
    let user = match client.call(Call::user(client.config(), &token)) {
        Ok(user) => {
            eprintln!(
                "Signed in as {}",
                terminal::safe(user.display_name().unwrap_or("(no name)"))
            );
            prompt::user_json(&user)
        }
        Err(error) => {
            eprintln!(
                "plex-pin: warning: signed in, but the account could not be read: {}",
                terminal::safe(&error.to_string())
            );
            serde_json::Value::Null
        }
    };
    if !args.json {
        return stdout
            .line(token.expose_secret())
            .map_err(Failure::token_lost);
    }
    let json = serde_json::json!({"token": token.expose_secret(), "user": user});
    stdout.line(&json.to_string()).map_err(Failure::token_lost)
}

/// The token to check or use: `--token`/`PLEX_TOKEN`, or a line of standard input for
/// `--token -` (so that it shows in no process list).
fn token_arg(raw: Option<String>) -> Result<Token, Failure> {
    let raw = raw.ok_or_else(|| {
        Failure::usage("no token: pass --token (- reads stdin) or set PLEX_TOKEN".to_owned())
    })?;
    let raw = if raw == "-" {
        use std::io::Read;
        let mut line = String::new();
        // A token is short: read a little more than the longest, never without bound.
        std::io::stdin()
            .take(plex_pin::MAX_TOKEN_LEN as u64 + 2)
            .read_to_string(&mut line)
            .map_err(|e| Failure::usage(format!("--token -: cannot read standard input: {e}")))?;
        line
    } else {
        raw
    };
    Token::new(raw.trim()).map_err(|e| Failure::usage(format!("--token: {e}")))
}

fn whoami(args: WhoamiArgs) -> Result<(), Failure> {
    let token = token_arg(args.token)?;
    let mut stdout = Stdout::open()?;
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    let user = client
        .call(Call::user(client.config(), &token))
        .map_err(Failure::from_token_check)?;
    if args.json {
        return stdout.line(&prompt::user_json(&user).to_string());
    }
    // Every field came from the server: escaped before it reaches the terminal.
    stdout.line(&terminal::safe(user.display_name().unwrap_or("(no name)")))?;
    for (label, value) in [
        ("username", &user.username),
        ("email", &user.email),
        ("uuid", &user.uuid),
    ] {
        if let Some(value) = value {
            stdout.line(&format!("{label}: {}", terminal::safe(value)))?;
        }
    }
    stdout.line(&format!("id: {}", user.id))
}

fn refresh(args: RefreshArgs) -> Result<(), Failure> {
    let (client, _emulator) = connect_to(&args.identity, &args.server, plex_pin::CLIENTS_PLEX_TV)?;
    let mut stdout = Stdout::for_token()?;
    let key = store::device_key()?;
    match client.refresh(&key) {
        Ok(token) => stdout
            .line(token.expose_secret())
            .map_err(Failure::token_lost),
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
    let token = token_arg(args.token)?;
    let code = args.code.trim().to_uppercase();
    if code.chars().count() != 4 {
        return Err(Failure::usage(format!(
            "`{code}` is not a 4-character code (strong codes are approved in the browser)"
        )));
    }
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    client
        .call(Call::link_pin(client.config(), &token, &code))
        .map_err(|error| match error {
            plex_pin_ureq::Error::Plex(plex_pin::Error::PinExpired { .. }) => Failure::with_code(
                exit::PIN_EXPIRED,
                format!(
                    "no device is waiting with the code {} (wrong or expired)",
                    terminal::safe(&code)
                ),
            ),
            other => Failure::from_token_check(other),
        })?;
    eprintln!("Linked {code}: the device signs in now.");
    Ok(())
}
