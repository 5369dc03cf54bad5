//! The command line.

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use plex_pin::Token;
pub use plex_pin_emulator::EmulatorArgs;

use crate::exit::Failure;

/// The command line, with where `--client-id` came from noted (clap exits on bad usage).
pub fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| {
        e.format(&mut Cli::command()).exit();
    });
    if let (Some((_, matches)), Some(identity)) = (matches.subcommand(), cli.command.identity()) {
        identity.client_id_from_env =
            matches.value_source("client_id") == Some(ValueSource::EnvVariable);
    }
    cli
}

/// Sign in to Plex.tv with a PIN, check tokens, or run a local plex.tv emulator.
#[derive(Parser, Debug)]
#[command(name = "plex-pin", version, propagate_version = true, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success (whoami: the token is valid)
  1  failed: server unreachable, rate limited, unexpected answer
  2  bad command line
  3  whoami, link: the token is invalid (401, or 422 for a revoked token)
  4  whoami: validity unknown (unreachable, or an unexpected answer)
  5  login: the pin expired or the sign-in was denied; link: no such code waiting
  6  login: --timeout passed
  7  standard output is closed or failed: no token was written
  129, 130, 143  login: ended by SIGHUP, SIGINT (Ctrl-C) or SIGTERM (128 + the signal).
     Before approval, no token was received. After it, the token is printed on stdout
     all the same (--json: \"user\": null) and the code says the account was not read.

login --json prints {\"token\": …, \"user\": null} with a warning on stderr (exit 0) when the
account cannot be read after the sign-in.";

impl Command {
    /// The command's identity flags, if it talks to plex.tv.
    fn identity(&mut self) -> Option<&mut Identity> {
        match self {
            Command::Login(args) => Some(&mut args.identity),
            Command::Whoami(args) => Some(&mut args.identity),
            Command::Refresh(args) => Some(&mut args.identity),
            Command::Link(args) => Some(&mut args.identity),
            Command::Emulator(_) => None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a pin, show the code, link and QR code, wait for approval, print the token.
    Login(LoginArgs),
    /// Check a token against /api/v2/user and print the account.
    Whoami(WhoamiArgs),
    /// Get a new Plex JWT for this device (after `login --jwt`): print it.
    Refresh(RefreshArgs),
    /// Approve another device's 4-character code from this signed-in account.
    Link(LinkArgs),
    /// Run the local plex.tv emulator until interrupted (prints its URL on stdout).
    Emulator(EmulatorArgs),
}

/// Who this app is to plex.tv.
#[derive(Args, Debug)]
pub struct Identity {
    /// X-Plex-Client-Identifier; default: one generated once and kept in the config directory.
    #[arg(long, env = "PLEX_PIN_CLIENT_ID")]
    pub client_id: Option<String>,
    /// X-Plex-Product: the app name shown in the user's Authorized Devices.
    #[arg(long, default_value = "plex-pin CLI")]
    pub product: String,
    /// X-Plex-Version.
    #[arg(long, value_name = "VERSION", default_value = env!("CARGO_PKG_VERSION"))]
    pub app_version: String,
    /// X-Plex-Device-Name (default: the host name).
    #[arg(long)]
    pub device_name: Option<String>,
    /// X-Plex-Device.
    #[arg(long)]
    pub device: Option<String>,
    /// Whether `client_id` came from the environment rather than the flag.
    #[arg(skip)]
    client_id_from_env: bool,
}

impl Identity {
    /// Where `client_id` came from, to name in an error.
    pub fn client_id_origin(&self) -> &'static str {
        if self.client_id_from_env {
            "PLEX_PIN_CLIENT_ID"
        } else {
            "--client-id"
        }
    }
}

/// Where plex.tv is.
#[derive(Args, Debug)]
pub struct Server {
    /// Start the embedded emulator on a free loopback port and use it instead of plex.tv.
    #[arg(long)]
    pub emulator: bool,
    /// With --emulator: approve the pin by itself after this many seconds.
    #[arg(long, value_name = "SECONDS", requires = "emulator")]
    pub auto_approve: Option<f64>,
    /// With --emulator: inject a fault (429[:secs], 500, 502, malformed, oversized,
    /// slow:ms, drop, xml; FAULT*N for N times).
    #[arg(long, value_name = "FAULT", requires = "emulator")]
    pub emulator_fault: Vec<String>,
    /// Base URL of the API (default https://plex.tv); plain http only for loopback.
    #[arg(long, value_name = "URL", conflicts_with = "emulator")]
    pub base_url: Option<String>,
    /// Timeout of each HTTP request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    pub request_timeout: f64,
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    pub identity: Identity,
    #[command(flatten)]
    pub server: Server,
    /// A 4-character code for plex.tv/link instead of the app.plex.tv sign-in link.
    #[arg(long)]
    pub link: bool,
    /// Give up after this many seconds (the pin's own lifetime is 15 or 30 minutes).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Seconds between two checks of the pin (plex.tv asks for 1).
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0, hide = true)]
    pub poll_interval: f64,
    /// Print {"token": …, "user": {…}} instead of the bare token.
    #[arg(long)]
    pub json: bool,
    /// Do not draw the QR code.
    #[arg(long)]
    pub no_qr: bool,
    /// Sign in with Plex's JWT flow: a device key (kept beside the client identifier) signs
    /// every poll, and the token is a Plex JWT valid 7 days (`plex-pin refresh` renews it).
    /// Talks to clients.plex.tv unless --base-url or --emulator says otherwise.
    #[arg(long)]
    pub jwt: bool,
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub identity: Identity,
    #[command(flatten)]
    pub server: Server,
}

#[derive(Args, Debug)]
pub struct LinkArgs {
    /// The 4-character code the other device shows.
    pub code: String,
    /// The token of the account that approves (`-` reads it from standard input).
    #[arg(long, env = "PLEX_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub identity: Identity,
    #[command(flatten)]
    pub server: Server,
}

#[derive(Args, Debug)]
pub struct WhoamiArgs {
    /// The token to check (`-` reads it from standard input, out of sight of `ps`).
    #[arg(long, env = "PLEX_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub identity: Identity,
    #[command(flatten)]
    pub server: Server,
    /// Print the account as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The token to check or use: `--token`/`PLEX_TOKEN`, or a line of standard input for
/// `--token -` (so that it shows in no process list).
pub fn token(raw: Option<String>) -> Result<Token, Failure> {
    let raw = raw.ok_or_else(|| {
        Failure::usage("no token: pass --token (- reads stdin) or set PLEX_TOKEN".to_owned())
    })?;
    let raw = if raw == "-" {
        use std::io::Read;
        let mut line = String::new();
        // A token is short: read a little more than the longest, never without bound.
        std::io::stdin()
            .take(plex_pin::limits::MAX_TOKEN_LEN as u64 + 2)
            .read_to_string(&mut line)
            .map_err(|e| Failure::usage(format!("--token -: cannot read standard input: {e}")))?;
        line
    } else {
        raw
    };
    Token::new(raw.trim()).map_err(|e| Failure::usage(format!("--token: {e}")))
}
