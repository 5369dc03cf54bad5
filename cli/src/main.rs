//! `plex-pin`: sign in to Plex.tv with a PIN from the terminal.
//!
//! `TOKEN=$(plex-pin login)` works: everything for the person goes to stderr, only the
//! token (or `--json`) to stdout. Neither a broken stderr nor a signal loses a token
//! plex.tv has issued.

// Stderr only through `stderr::say!` (which cannot panic), stdout only through
// `output::Stdout` (which reports every failure).
#![deny(clippy::print_stderr, clippy::print_stdout, clippy::dbg_macro)]

mod args;
mod connect;
mod drive;
mod exit;
mod link;
mod login;
mod output;
mod prompt;
mod refresh;
mod signals;
mod stderr;
mod store;
mod terminal;
mod whoami;

use plex_pin_emulator::Emulator;

use args::{Cli, Command};
use exit::Failure;
use output::Stdout;
use stderr::say;

fn main() {
    let cli = args::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(failure) => {
            // Error text can carry what a server said: never raw to the terminal.
            say!("plex-pin: {}", terminal::safe(&failure.to_string()));
            failure.exit_code()
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Login(args) => login::login(args),
        Command::Whoami(args) => whoami::whoami(args),
        Command::Refresh(args) => refresh::refresh(args),
        Command::Link(args) => link::link(args),
        Command::Emulator(args) => {
            let mut stdout = Stdout::open()?;
            let options = args.options().map_err(Failure::usage)?;
            let emulator = Emulator::start(options)
                .map_err(|e| Failure::general(format!("cannot start the emulator: {e}")))?;
            stdout.line(emulator.url())?;
            say!(
                "plex-pin emulator on {} (Ctrl-C to stop); sign-in pages: {0}/auth, {0}/link",
                emulator.url()
            );
            loop {
                std::thread::park();
            }
        }
    }
}
