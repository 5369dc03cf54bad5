//! `plex-pin-emulator`: run the local plex.tv until interrupted.

use clap::Parser;
use plex_pin_emulator::{Emulator, FaultRule, Options};

/// A local plex.tv for the PIN sign-in (pins, token check, approval pages, faults).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Approve every pin this many seconds after creation.
    #[arg(long, value_name = "SECONDS")]
    auto_approve: Option<f64>,
    /// Inject a fault on every API request: 429[:secs], 500, 502, malformed, oversized,
    /// slow:ms, drop, xml. Repeat to queue several; `FAULT*N` fires N times only.
    #[arg(long, value_name = "FAULT")]
    fault: Vec<String>,
    /// Refuse, as plex.tv may, what it serves with a warning by default: a pin created or
    /// polled without X-Plex-Product.
    #[arg(long)]
    strict: bool,
}

fn main() {
    let args = Args::parse();
    if let Err(message) = run(args) {
        eprintln!("plex-pin-emulator: {message}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut options = Options::default().port(args.port).strict(args.strict);
    if let Some(secs) = args.auto_approve {
        options = options.auto_approve(plex_pin_emulator::seconds_arg("--auto-approve", secs)?);
    }
    for spec in &args.fault {
        options = options.fault(spec.parse::<FaultRule>()?);
    }
    let emulator = Emulator::start(options).map_err(|e| format!("cannot start: {e}"))?;
    println!("{}", emulator.url());
    eprintln!(
        "plex-pin emulator listening on {} (Ctrl-C to stop)",
        emulator.url()
    );
    loop {
        std::thread::park();
    }
}
