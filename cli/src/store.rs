//! The client identifier and the device key, generated once and kept in the user's config
//! directory, because plex.tv ties pins, the authorised device and the JWT device
//! registration to them.
//!
//! What is kept there decides who signs in, so, as ssh does with its keys, the directory
//! and each file must belong to this user and be writable by nobody else (and the device
//! key readable by nobody else); anything else is refused with the command that fixes it.
//!
//! Each file is written whole or not at all: into a temporary file beside it, flushed to
//! disk, then renamed over the final name, under a lock on the directory so that processes
//! starting together agree on one value. Every file plex-pin writes ends with a newline: an
//! empty file, or one without its final newline, was cut short (a crash, a full disk, an
//! older plex-pin) and is replaced, with a warning.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use plex_pin::jwt::DeviceKey;
use plex_pin::ClientId;

use crate::exit::Failure;
use crate::stderr::say;

/// `$PLEX_PIN_CONFIG_DIR`, else the platform's config directory for plex-pin
/// (`~/.config/plex-pin` on Linux).
fn config_dir() -> Result<PathBuf, Failure> {
    if let Some(dir) = std::env::var_os("PLEX_PIN_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("tv", "plex-pin", "plex-pin")
        .map(|dirs| dirs.config_dir().to_path_buf())
        .ok_or_else(|| {
            Failure::general(
                "no home directory to keep the client identifier in: pass --client-id".to_owned(),
            )
        })
}

/// The stored identifier, or a new one stored now.
pub fn client_id() -> Result<ClientId, Failure> {
    load(
        "client-id",
        Secrecy::Public,
        || Ok(ClientId::generate().to_string()),
        |text| ClientId::new(text).map_err(|e| e.to_string()),
    )
}

/// The device key for the JWT sign-in: 32 random bytes, stored hex-encoded.
pub fn device_key() -> Result<DeviceKey, Failure> {
    load(
        "device-key",
        Secrecy::Secret,
        || {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| Failure::general(format!("no random source for a device key: {e}")))?;
            Ok(hex::encode(seed))
        },
        |text| {
            let mut seed = [0u8; 32];
            hex::decode_to_slice(text, &mut seed).map_err(|_| "not 64 hex digits".to_owned())?;
            Ok(DeviceKey::from_seed(seed))
        },
    )
}

/// Whether other users may read a stored file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrecy {
    /// The client identifier: plex.tv sends it in clear in every request anyway.
    Public,
    /// The device key: whoever reads it can sign as this device.
    Secret,
}

/// The most a stored file may hold: an identifier or a hex seed is far smaller.
const MAX_STORED: u64 = 4096;

/// The value kept in `name`, parsed by `parse`; made by `make` and stored when the file is
/// missing or was cut short.
fn load<T>(
    name: &str,
    secrecy: Secrecy,
    make: impl Fn() -> Result<String, Failure>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, Failure> {
    let dir = private_dir()?;
    let path = dir.join(name);
    let parsed = |text: &str| {
        parse(text).map_err(|why| {
            Failure::general(format!(
                "{} is not valid ({why}): correct it, or delete it to have a new one made",
                path.display()
            ))
        })
    };
    // A whole file is never replaced, so reading one needs no lock.
    if let Some(Stored::Whole(text)) = read(&path, secrecy)? {
        return parsed(&text);
    }
    let _lock = lock(&dir)?;
    match read(&path, secrecy)? {
        // Another plex-pin stored it meanwhile: theirs is the one.
        Some(Stored::Whole(text)) => return parsed(&text),
        Some(Stored::CutShort(why)) => say!(
            "plex-pin: warning: {} was {why}; replacing it with a new one",
            path.display()
        ),
        None => {}
    }
    let text = make()?;
    let value = parsed(&text)?;
    write_whole(&dir, name, &text)
        .map_err(|e| Failure::general(format!("cannot store {}: {e}", path.display())))?;
    Ok(value)
}

/// A stored file's content.
enum Stored {
    /// Ended by the newline plex-pin writes: the text before it.
    Whole(String),
    /// Empty, or without its final newline: a write that did not finish.
    CutShort(&'static str),
}

/// The config directory, created owner-only when missing, and refused when anyone but
/// this user owns it or can write in it.
fn private_dir() -> Result<PathBuf, Failure> {
    let dir = config_dir()?;
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| {
        Failure::general(format!(
            "cannot create {}: {e}; pass --client-id",
            dir.display()
        ))
    })?;
    let meta = fs::metadata(&dir)
        .map_err(|e| Failure::general(format!("cannot use {}: {e}", dir.display())))?;
    if !meta.is_dir() {
        return Err(Failure::general(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    trusted(&dir, &meta, 0o022, "chmod 700")?;
    Ok(dir)
}

/// Reads `path` (links followed) when it exists: only a regular file of this user's, no
/// more writable (or, for a secret, readable) by others than [`private_dir`] allows, of at
/// most [`MAX_STORED`] bytes. A link to `/dev/zero` or a FIFO in its place is refused, not
/// read until memory runs out or forever.
fn read(path: &Path, secrecy: Secrecy) -> Result<Option<Stored>, Failure> {
    let unusable = |e: std::io::Error| {
        Failure::general(format!(
            "cannot use {}: {e}; pass --client-id",
            path.display()
        ))
    };
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unusable(e)),
    };
    if !meta.is_file() {
        return Err(Failure::general(format!(
            "cannot use {}: not a regular file; delete it",
            path.display()
        )));
    }
    let shared = match secrecy {
        Secrecy::Public => 0o022,
        Secrecy::Secret => 0o077,
    };
    trusted(path, &meta, shared, "chmod 600")?;
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_STORED + 1).read_to_end(&mut bytes))
        .map_err(unusable)?;
    if bytes.len() as u64 > MAX_STORED {
        return Err(Failure::general(format!(
            "cannot use {}: larger than {MAX_STORED} bytes; delete it",
            path.display()
        )));
    }
    let Some(line) = bytes.strip_suffix(b"\n") else {
        return Ok(Some(Stored::CutShort(if bytes.is_empty() {
            "empty"
        } else {
            "cut short (no final newline)"
        })));
    };
    // Only the newline plex-pin wrote is taken off: other whitespace is the value's, and
    // the parser refuses it rather than have plex.tv refuse every login later.
    String::from_utf8(line.to_vec())
        .map(|text| Some(Stored::Whole(text)))
        .map_err(|_| {
            Failure::general(format!(
                "{} is not valid (not UTF-8): delete it to have a new one made",
                path.display()
            ))
        })
}

/// Refuses `path` unless this user owns it and no one else has the permission bits of
/// `others` (0o022: write; 0o077: any), naming the `fix` command.
#[cfg(unix)]
fn trusted(path: &Path, meta: &fs::Metadata, others: u32, fix: &str) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt;

    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Failure::general(format!(
            "{} belongs to another user (uid {}, not {me}): plex-pin trusts only its own; \
             remove it, or set PLEX_PIN_CONFIG_DIR to a directory of yours",
            path.display(),
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & others != 0 {
        let what = if others & 0o044 != 0 {
            "read or written"
        } else {
            "written"
        };
        return Err(Failure::general(format!(
            "{} can be {what} by other users (mode {mode:o}): run `{fix} {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

/// Elsewhere than Unix, the platform's own access control is trusted.
#[cfg(not(unix))]
fn trusted(_: &Path, _: &fs::Metadata, _: u32, _: &str) -> Result<(), Failure> {
    Ok(())
}

/// Holds `dir/.lock` exclusively until dropped: one plex-pin at a time creates or replaces
/// a stored file.
fn lock(dir: &Path) -> Result<fs::File, Failure> {
    let path = dir.join(".lock");
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .and_then(|file| file.lock().map(|()| file))
        .map_err(|e| Failure::general(format!("cannot lock {}: {e}", path.display())))?;
    Ok(file)
}

/// Writes `text` and a newline to `dir/name` whole or not at all: into `.name.new` (owner
/// only), flushed to disk, then renamed over `name`. Call it with the [`lock`] held.
fn write_whole(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let temporary = dir.join(format!(".{name}.new"));
    let mut options = fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // A leftover from a write that failed is not reused: it might not be owner-only.
    let _ = fs::remove_file(&temporary);
    options.create_new(true);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(format!("{text}\n").as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&temporary, dir.join(name))) {
        let _ = fs::remove_file(&temporary);
        return Err(e);
    }
    // The rename itself reaches the disk with the directory (where the platform can).
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}
