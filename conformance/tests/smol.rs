//! The page's second example, run: a transport on smol checked by the kit, each scenario a
//! plain `#[test]` run by `smol::block_on`. The lines between the `page` markers are the
//! README's, word for word (page.rs checks it); the transport under test is a tiny HTTP/1.0
//! client written below them.
#![cfg(not(target_arch = "wasm32"))]

// page: smol
use std::time::Duration;

use plex_pin::Config;
use plex_pin_conformance::{start_emulator, Emulator, Failure, Rig};

struct MyRig(Emulator);

impl Rig for MyRig {
    type Transport = my_transport::Client;

    fn url(&self) -> &str {
        self.0.url()
    }

    fn transport(&self, config: Config, timeout: Duration) -> my_transport::Client {
        my_transport::Client::new(config, timeout)
    }

    fn failure(error: &my_transport::Error) -> Failure {
        Failure::of(error.plex(), error.kind())
    }
}

plex_pin_conformance::scenarios!(block_on: smol::block_on, MyRig(start_emulator()));
plex_pin_conformance::hostile!(block_on: smol::block_on, MyRig(start_emulator()));
// page end

#[path = "tiny/mod.rs"]
mod tiny;

/// The transport under test, on smol.
mod my_transport {
    use std::time::Duration;

    use plex_pin::drive::AsyncTransport;
    use plex_pin::{Instant, Request, TransportErrorKind};
    use smol::io::{AsyncReadExt, AsyncWriteExt};

    use crate::tiny;
    pub use crate::tiny::{Client, Error};

    impl AsyncTransport for Client {
        type Body = Vec<u8>;
        type Error = Error;

        async fn send(
            &self,
            request: Request,
            timeout: Duration,
        ) -> Result<http::Response<Vec<u8>>, Error> {
            let (address, bytes) = tiny::encode(&request)?;
            let exchange = async {
                let mut stream = smol::net::TcpStream::connect(address)
                    .await
                    .map_err(tiny::io_failed)?;
                stream.write_all(&bytes).await.map_err(tiny::io_failed)?;
                let mut answer = Vec::new();
                let mut limited = stream.take(tiny::READ_LIMIT);
                limited
                    .read_to_end(&mut answer)
                    .await
                    .map_err(tiny::io_failed)?;
                tiny::decode(&answer)
            };
            let too_late = async {
                smol::Timer::after(timeout).await;
                Err(tiny::timed_out())
            };
            smol::future::or(exchange, too_late).await
        }

        async fn sleep_until(&self, at: Instant) {
            smol::Timer::at(at).await;
        }

        fn timeout(&self) -> Duration {
            self.timeout
        }

        fn error_kind(&self, error: &Error) -> TransportErrorKind {
            error.kind().unwrap_or(TransportErrorKind::Other)
        }
    }
}
