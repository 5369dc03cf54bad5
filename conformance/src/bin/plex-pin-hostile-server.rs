//! The hostile plex.tv as a process of its own (`plex_pin_conformance::hostile::server`):
//! `plex-pin-hostile-server [--port PORT]` prints its URL, then serves until killed. For a
//! client that cannot start it in-process (a wasm test in node) or must not count its
//! allocations as its own.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::io::Result<()> {
    use plex_pin_conformance::hostile::server;
    match server::serve_until_killed(server::port_argument()?)? {}
}

#[cfg(target_arch = "wasm32")]
fn main() {
    panic!("the hostile server listens on a socket: build it for the host, not wasm32");
}
