//! `plex-pin-emulator`: run the local plex.tv until interrupted.

use clap::Parser;
use plex_pin_emulator::{Emulator, EmulatorArgs};

/// A local plex.tv for the PIN sign-in (pins, token check, approval pages, faults).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    emulator: EmulatorArgs,
}

fn main() {
    let cli = Cli::parse();
    if let Err(message) = run(&cli.emulator) {
        eprintln!("plex-pin-emulator: {message}");
        std::process::exit(2);
    }
}

fn run(args: &EmulatorArgs) -> Result<(), String> {
    let emulator = Emulator::start(args.options()?).map_err(|e| format!("cannot start: {e}"))?;
    println!("{}", emulator.url());
    eprintln!(
        "plex-pin emulator listening on {} (Ctrl-C to stop)",
        emulator.url()
    );
    loop {
        std::thread::park();
    }
}
