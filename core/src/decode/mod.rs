//! JSON bodies into values: one entry point, one decoder per audience.
//!
//! serde_json does it natively and for Rust-on-wasm apps (`serde`, the `json` feature);
//! with `js-json` on wasm32, the npm package's build, the host's `JSON.parse` reads the
//! document and `small` walks the parsed value into the same types (`js_reader`), which
//! keeps serde_json's parser out of the package. The JWT parsers always use serde_json. A
//! failure comes back as (where, what) for [`Error::Decode`](crate::Error::Decode).
//!
//! The `JSON.parse` walker stays here rather than in plex-pin-wasm behind a trait: it fills
//! the slots that describe each body (`small`), which are the core's private business, and
//! the tests that hold the two decoders to the same answers run beside them. Its JS calls
//! are this one module's, compiled only for wasm32 with `js-json`, which only the npm
//! package's build turns on.

#[cfg(not(any(feature = "json", all(feature = "js-json", target_arch = "wasm32"))))]
compile_error!(
    "plex-pin needs a JSON decoder: the `json` feature (default), or `js-json` on wasm32"
);

mod body;
#[cfg(all(feature = "js-json", target_arch = "wasm32"))]
mod js_reader;
#[cfg(feature = "json")]
mod serde;
#[cfg(all(feature = "js-json", target_arch = "wasm32"))]
mod slot;
#[cfg(all(feature = "js-json", target_arch = "wasm32"))]
mod small;

pub(crate) use self::body::Failure;
#[cfg(feature = "jwt")]
pub(crate) use self::serde::serde;
#[cfg(not(all(feature = "js-json", target_arch = "wasm32")))]
pub(crate) use self::serde::{error_body, pin, user};
#[cfg(all(feature = "js-json", target_arch = "wasm32"))]
pub(crate) use self::small::{error_body, pin, user};
