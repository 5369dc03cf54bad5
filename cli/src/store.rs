//! The client identifier and the device key, generated once and kept in the user's config
//! directory (owner-only), because plex.tv ties pins, the authorised device and the JWT
//! device registration to them.

use std::fs;
use std::io::Write;
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

/// The stored identifier, or a new one stored now (owner-only permissions on Unix).
pub fn client_id() -> Result<ClientId, Failure> {
    let text = read_or_create("client-id", || Ok(ClientId::generate().to_string()))?;
    ClientId::new(text.trim()).map_err(|e| corrupt("client-id", &e.to_string()))
}

/// The device key for the JWT sign-in: 32 random bytes, stored hex-encoded.
pub fn device_key() -> Result<DeviceKey, Failure> {
    let text = read_or_create("device-key", || {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| Failure::general(format!("no random source for a device key: {e}")))?;
        Ok(hex::encode(seed))
    })?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .map_err(|_| corrupt("device-key", "not 64 hex digits"))?;
    Ok(DeviceKey::from_seed(seed))
}

fn corrupt(name: &str, why: &str) -> Failure {
    match config_dir() {
        Ok(dir) => Failure::general(format!(
            "{} is corrupt ({why}); delete it to start over",
            dir.join(name).display()
        )),
        Err(e) => e,
    }
}

/// The most a stored file may hold: an identifier or a hex seed is far smaller.
const MAX_STORED: u64 = 4096;

/// The content of `name` in the config directory, created with `make` (and owner-only
/// permissions on Unix) when missing. Two processes racing to create it agree on one.
/// Only a regular file of at most [`MAX_STORED`] bytes is read: a link to `/dev/zero` or a
/// FIFO in its place is refused, not read until memory runs out or forever.
fn read_or_create(
    name: &str,
    make: impl Fn() -> Result<String, Failure>,
) -> Result<String, Failure> {
    let dir = config_dir()?;
    let path = dir.join(name);
    let unusable = |e: std::io::Error| {
        Failure::general(format!(
            "cannot use {}: {e}; pass --client-id",
            path.display()
        ))
    };
    match fs::metadata(&path) {
        Ok(meta) => return read_stored(&path, &meta).map_err(unusable),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(unusable(e)),
        Err(_) => {}
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(unusable)?;
    let text = make()?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(format!("{text}\n").as_bytes())
                .map_err(unusable)?;
            Ok(text)
        }
        // Another plex-pin wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => fs::metadata(&path)
            .and_then(|meta| read_stored(&path, &meta))
            .map_err(unusable),
        Err(e) => Err(unusable(e)),
    }
}

/// Reads a stored file whose metadata (links followed) is `meta`, within the bounds above.
fn read_stored(path: &Path, meta: &fs::Metadata) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::InvalidData, "not a regular file"));
    }
    warn_if_shared(path, meta);
    let mut text = String::new();
    fs::File::open(path)?
        .take(MAX_STORED + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_STORED {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("larger than {MAX_STORED} bytes"),
        ));
    }
    Ok(text)
}

/// Warns when a stored secret can be read by other users (the device key signs sign-ins).
fn warn_if_shared(path: &Path, meta: &fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if path.ends_with("device-key") && mode & 0o077 != 0 {
            say!(
                "plex-pin: warning: {} can be read by other users (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
}
