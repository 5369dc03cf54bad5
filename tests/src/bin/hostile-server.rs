//! The hostile plex.tv as a process of its own: prints its URL, then serves until killed.
//! It is `plex-pin-conformance`'s `plex-pin-hostile-server` again, as a binary of this
//! package: Cargo hands a test the path of its own package's binaries only
//! (`CARGO_BIN_EXE_hostile-server`). The native hostile tests start it so that its
//! allocations do not count as the client's; scripts/wasm-tests starts it for the wasm
//! transport in node.

fn main() -> std::io::Result<()> {
    use plex_pin_conformance::hostile::server;
    match server::serve_until_killed(server::port_argument()?)? {}
}
