//! The hostile plex.tv as a process of its own: prints its URL, then serves until killed.
//! The native hostile tests start it so that its allocations do not count as the client's;
//! scripts/wasm-tests starts it for the wasm transport in node.

fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .skip_while(|a| a != "--port")
        .nth(1)
        .map_or(Ok(0), |p| p.parse())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let server = plex_pin_tests::hostile::HostileServer::start_on(port)?;
    println!("{}", server.url());
    loop {
        std::thread::park();
    }
}
