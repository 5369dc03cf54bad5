//! The conformance suite over `plex-pin-ureq`.

#[global_allocator]
static ALLOC: plex_pin_tests::alloc::Counting = plex_pin_tests::alloc::Counting;

plex_pin_tests::conformance!(plex_pin_tests::ureq::Ureq);
