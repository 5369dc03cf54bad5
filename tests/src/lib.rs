//! The native test harness: the rigs that run the shared conformance suite
//! (`plex-pin-conformance`, which also holds the hostile server) over ureq, hyper and
//! reqwest, heap measurement, and the READMEs compiled as doctests.

#![deny(missing_docs)]

pub mod alloc;
pub mod async_client;

/// The README's examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../../README.md")]
pub mod readme {}
/// The core crate's README, compiled the same way.
#[doc = include_str!("../../core/README.md")]
pub mod core_readme {}
/// The blocking transport's README.
#[doc = include_str!("../../transport-ureq/README.md")]
pub mod ureq_readme {}
/// The async transport's README.
#[doc = include_str!("../../transport-hyper/README.md")]
pub mod hyper_readme {}
/// The reqwest transport's README.
#[doc = include_str!("../../transport-reqwest/README.md")]
pub mod reqwest_readme {}
pub mod rigs;
