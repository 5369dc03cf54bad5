//! Standard error for what the person reads (progress, the pin, the QR code, warnings, the
//! final error line), written so that it can fail without ending anything: `eprintln!`
//! panics when stderr is full (`2>/dev/full`) or a closed pipe, and a login whose token
//! plex.tv has issued must not die because nobody can read its progress.
//!
//! Every write to stderr in this crate goes through [`say!`] (`clippy::print_stderr` is
//! denied at the crate root).

use std::fmt;
use std::io::Write;

/// Writes one line to stderr, like `eprintln!`, ignoring any failure to write it.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::stderr::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes `text` and a newline to stderr at once (two threads' lines do not interleave);
/// a failure is dropped, since there is nowhere left to report it.
pub fn line(text: fmt::Arguments<'_>) {
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{text}\n").as_bytes());
}
