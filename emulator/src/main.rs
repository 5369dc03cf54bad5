//! `plex-pin-emulator`: run the local plex.tv until interrupted.

use clap::Parser;
use plex_pin_emulator::{Emulator, EmulatorArgs};

/// A local plex.tv for the PIN sign-in (pins, token check, approval pages, faults).
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    emulator: EmulatorArgs,
    /// Exit when standard input closes. The Python and npm packages start the emulator with
    /// a pipe as its stdin that only their process holds, so that the emulator ends with
    /// that process even when it is killed and cannot stop it. An interface between the
    /// binary and those wrappers, not for people: hidden from --help.
    #[arg(long, hide = true)]
    exit_when_stdin_closes: bool,
}

fn main() {
    let cli = Cli::parse();
    if let Err(message) = run(&cli) {
        eprintln!("plex-pin-emulator: {message}");
        std::process::exit(2);
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    let emulator =
        Emulator::start(cli.emulator.options()?).map_err(|e| format!("cannot start: {e}"))?;
    println!("{}", emulator.url());
    eprintln!(
        "plex-pin emulator listening on {} (Ctrl-C to stop)",
        emulator.url()
    );
    if cli.exit_when_stdin_closes {
        std::thread::spawn(|| {
            // Whatever arrives is dropped; the end of input (or an error reading it) ends
            // the process.
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            std::process::exit(0);
        });
    }
    loop {
        std::thread::park();
    }
}
