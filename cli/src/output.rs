//! Standard output for what scripts read (the token, JSON), written so that a failure is
//! seen: `println!` panics on a closed pipe, and Rust's stdout quietly drops writes to a
//! closed descriptor, which would lose a token plex.tv has already issued.

use std::io::Write;

use crate::exit::{self, Failure};

/// A checked handle on standard output.
pub struct Stdout(Box<dyn Write>);

impl Stdout {
    /// Opens standard output, refusing a closed one before anything is asked of plex.tv.
    pub fn open() -> Result<Self, Failure> {
        Self::checked(false)
    }

    /// [`open`](Self::open) for a token plex.tv will issue: also refuses /dev/null, which
    /// Rust's runtime puts on a closed descriptor 1 at start-up (`>&-`) and which, like a
    /// plain `> /dev/null`, would throw the token away.
    pub fn for_token() -> Result<Self, Failure> {
        Self::checked(true)
    }

    fn checked(refuse_dev_null: bool) -> Result<Self, Failure> {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            // A duplicate fails on a closed descriptor, and writes through it report every
            // error (EPIPE, ENOSPC) instead of being swallowed.
            let fd = std::io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| {
                    Failure::with_code(
                        exit::OUTPUT,
                        format!("standard output is not open ({e}): the token would be lost"),
                    )
                })?;
            let file = std::fs::File::from(fd);
            if refuse_dev_null && is_dev_null(&file) {
                return Err(Failure::with_code(
                    exit::OUTPUT,
                    "standard output is closed or /dev/null: the token would be lost".to_owned(),
                ));
            }
            Ok(Self(Box::new(file)))
        }
        #[cfg(not(unix))]
        {
            let _ = refuse_dev_null;
            Ok(Self(Box::new(std::io::stdout())))
        }
    }

    /// Writes one line and flushes it, or says why it could not.
    pub fn line(&mut self, text: &str) -> Result<(), Failure> {
        writeln!(self.0, "{text}")
            .and_then(|()| self.0.flush())
            .map_err(|e| {
                Failure::with_code(
                    exit::OUTPUT,
                    format!("cannot write to standard output: {e}"),
                )
            })
    }
}

/// Whether `file` is /dev/null (same device and inode).
#[cfg(unix)]
fn is_dev_null(file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata("/dev/null")) {
        (Ok(out), Ok(null)) => out.dev() == null.dev() && out.ino() == null.ino(),
        _ => false,
    }
}
