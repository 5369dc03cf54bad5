//! The client identifier, generated once and kept in the user's config directory, because
//! plex.tv ties pins and the authorised device to it.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use plex_pin::ClientId;

use crate::exit::Failure;

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
    let dir = config_dir()?;
    let path = dir.join("client-id");
    let unreadable = |e: std::io::Error| {
        Failure::general(format!(
            "cannot use {}: {e}; pass --client-id",
            path.display()
        ))
    };
    match fs::read_to_string(&path) {
        Ok(text) => {
            return ClientId::new(text.trim()).map_err(|e| {
                Failure::general(format!(
                    "{} is corrupt ({e}); delete it to start over",
                    path.display()
                ))
            })
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(unreadable(e)),
        Err(_) => {}
    }
    fs::create_dir_all(&dir).map_err(unreadable)?;
    let id = ClientId::generate();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(format!("{id}\n").as_bytes())
                .map_err(unreadable)?;
            Ok(id)
        }
        // Another plex-pin wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => client_id(),
        Err(e) => Err(unreadable(e)),
    }
}
