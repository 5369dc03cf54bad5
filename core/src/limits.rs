//! Every bound the crate holds callers and servers to, in one place: what a value may be
//! before it reaches the wire, and how much of a server's answer is kept or waited for.
//! Nothing a server sends can make a wait unbounded or an allocation grow without bound.
//!
//! The transports' own bounds (a response body's size, a request's time) are their
//! contract's: [`DEFAULT_MAX_BODY`](crate::drive::DEFAULT_MAX_BODY) and
//! [`DEFAULT_TIMEOUT`](crate::drive::DEFAULT_TIMEOUT).

pub use crate::error::{MAX_API_ERRORS, MAX_EXCERPT};
pub use crate::field::MAX_FIELD_LEN;
#[cfg(feature = "jwt")]
pub use crate::jwt::MAX_JWT_LEN;
pub use crate::login::MIN_POLL_INTERVAL;
pub use crate::pin::{MAX_CODE_LEN, MAX_PIN_LIFETIME};
#[cfg(feature = "jwt")]
pub use crate::response::MAX_NONCE_LEN;
pub use crate::token::MAX_TOKEN_LEN;
