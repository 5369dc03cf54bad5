//! Reading a request body: capped, in one buffer, within a time limit.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Largest request body the emulator reads (control forms; plex.tv's own calls have none).
pub(crate) const MAX_REQUEST_BODY: usize = 64 * 1024;

/// Why a request body was not read.
pub(crate) enum BodyError {
    /// Over [`MAX_REQUEST_BODY`], or broken.
    Unreadable,
    /// Not complete within [`Shared::body_read_timeout`].
    TooSlow,
}

/// Reads a request body up to [`MAX_REQUEST_BODY`] within `timeout`. Frames
/// are copied into one buffer as they come: kept as they came, a body dripped one byte per
/// segment would hold a read buffer per byte (570 MB for 141 KB over 20 connections).
pub(crate) async fn read_body(
    mut body: Incoming,
    timeout: std::time::Duration,
) -> Result<Bytes, BodyError> {
    let read = async {
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| BodyError::Unreadable)?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_REQUEST_BODY {
                    return Err(BodyError::Unreadable);
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(bytes))
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::TooSlow))
}
