//! SIGINT, SIGTERM and SIGHUP during a login, delivered as news instead of ending the
//! process: plex.tv may already have issued a token, and only the login knows whether it
//! has one to print before exiting.

use std::fmt;

use crate::exit::Failure;

/// A signal that asks the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C.
    Interrupt,
    /// `kill`, a service manager stopping the job.
    Terminate,
    /// The terminal went away.
    Hangup,
}

impl Signal {
    /// 128 + the signal's number, as a shell reports a process the signal ended: 130, 143,
    /// 129 (documented in `plex-pin --help`).
    pub fn exit_code(self) -> i32 {
        128 + match self {
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
            Signal::Hangup => 1,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        })
    }
}

/// From now on, calls `on_signal` on a thread of its own for each SIGINT, SIGTERM or SIGHUP
/// (Ctrl-C and the console's close events elsewhere than Unix), instead of their default
/// action of ending the process.
#[cfg(unix)]
pub fn listen(mut on_signal: impl FnMut(Signal) + Send + 'static) -> Result<(), Failure> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| Failure::general(format!("cannot handle signals: {e}")))?;
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            for number in signals.forever() {
                on_signal(match number {
                    SIGTERM => Signal::Terminate,
                    SIGHUP => Signal::Hangup,
                    _ => Signal::Interrupt,
                });
            }
        })
        .map(drop)
        .map_err(|e| Failure::general(format!("cannot handle signals: {e}")))
}

/// See the Unix version: here every event is Ctrl-C's.
#[cfg(not(unix))]
pub fn listen(mut on_signal: impl FnMut(Signal) + Send + 'static) -> Result<(), Failure> {
    ctrlc::set_handler(move || on_signal(Signal::Interrupt))
        .map_err(|e| Failure::general(format!("cannot handle Ctrl-C: {e}")))
}
