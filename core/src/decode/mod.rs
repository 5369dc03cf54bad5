//! JSON bodies into values: one entry point for the two decoders.
//!
//! serde_json does it by default (`serde`); with the `small-json` feature the pin, the
//! account and error bodies go through the crate's own small reader instead (`small` on
//! `reader`), which keeps serde_json's parser and messages out of a browser build; with
//! `js-json` on wasm32 the host's `JSON.parse` reads the document and `small` walks the
//! parsed value instead (`js_reader`). The JWT
//! parsers always use serde_json. A failure comes back as (where, what) for
//! [`Error::Decode`](crate::Error::Decode).

mod body;
#[cfg(all(feature = "js-json", target_arch = "wasm32"))]
mod js_reader;
// Under `js-json` on wasm32 only its own tests use it.
#[cfg(feature = "small-json")]
#[cfg_attr(all(feature = "js-json", target_arch = "wasm32"), allow(dead_code))]
mod reader;
mod serde;
#[cfg(feature = "small-json")]
mod slot;
#[cfg(feature = "small-json")]
mod small;

pub(crate) use self::body::Failure;
#[cfg(feature = "jwt")]
pub(crate) use self::serde::serde;
#[cfg(not(feature = "small-json"))]
pub(crate) use self::serde::{error_body, pin, user};
#[cfg(feature = "small-json")]
pub(crate) use self::small::{error_body, pin, user};
