//! Local servers for the TLS and proxy tests: certificates, a TLS server that forwards to
//! the emulator, and a logging proxy. Everything listens on loopback addresses; the proxy
//! on 127.0.0.2 stands for another host.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The TLS provider the crate was built with, for the test servers.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// A self-signed certificate for `names`, its PEM (to trust it) and a server config.
pub struct Cert {
    pub pem: String,
    pub server: Arc<ServerConfig>,
}

/// A certificate valid now for `names`, or, with `expired`, one that ended in 2021.
pub fn cert(names: &[&str], expired: bool) -> Cert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .unwrap();
    Cert {
        pem: cert.pem(),
        server: Arc::new(server),
    }
}

/// A TLS server on `bind`: counts the connections it accepts (one per handshake), and
/// forwards each decrypted stream to `upstream` (the emulator) or, without one, closes it
/// after the handshake.
pub struct TlsServer {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
    /// The key exchange group of each completed handshake.
    pub groups: Arc<Mutex<Vec<String>>>,
}

pub async fn tls_server(bind: &str, cert: &Cert, upstream: Option<SocketAddr>) -> TlsServer {
    let listener = TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let groups = Arc::new(Mutex::new(Vec::new()));
    let acceptor = TlsAcceptor::from(cert.server.clone());
    let (count, seen) = (accepted.clone(), groups.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let group = tls.get_ref().1.negotiated_key_exchange_group();
                seen.lock()
                    .unwrap()
                    .push(format!("{:?}", group.map(|g| g.name())));
                if let Some(upstream) = upstream {
                    let mut server = TcpStream::connect(upstream).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
                }
            });
        }
    });
    TlsServer {
        addr,
        accepted,
        groups,
    }
}

/// What the logging proxy does with a `CONNECT`.
#[derive(Clone, Copy)]
pub enum Connect {
    /// Answers 502 Bad Gateway.
    Refuse,
    /// Opens the tunnel, to this address whatever host the request names.
    TunnelTo(SocketAddr),
}

/// A proxy that logs the head (request line and headers) of every request it receives,
/// and every byte a client sent through its tunnels.
pub struct LoggingProxy {
    pub addr: SocketAddr,
    pub heads: Arc<Mutex<Vec<String>>>,
    pub tunnelled: Arc<Mutex<Vec<u8>>>,
    scheme: &'static str,
}

impl LoggingProxy {
    /// Its URL, `http://127.0.0.2:PORT` (or `https://` for a TLS proxy).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A logging proxy on 127.0.0.2; with `tls`, clients speak TLS to it first.
pub async fn logging_proxy(connect: Connect, tls: Option<&Cert>) -> LoggingProxy {
    let listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let tunnelled = Arc::new(Mutex::new(Vec::new()));
    let acceptor = tls.map(|cert| TlsAcceptor::from(cert.server.clone()));
    let (log, relayed) = (heads.clone(), tunnelled.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (log, relayed, acceptor) = (log.clone(), relayed.clone(), acceptor.clone());
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(tcp).await {
                            serve_proxy(tls, connect, log, relayed).await;
                        }
                    }
                    None => serve_proxy(tcp, connect, log, relayed).await,
                }
            });
        }
    });
    LoggingProxy {
        addr,
        heads,
        tunnelled,
        scheme: if tls.is_some() { "https" } else { "http" },
    }
}

async fn serve_proxy<S: AsyncRead + AsyncWrite + Unpin>(
    mut client: S,
    connect: Connect,
    log: Arc<Mutex<Vec<String>>>,
    relayed: Arc<Mutex<Vec<u8>>>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    log.lock().unwrap().push(text.clone());
    match connect {
        Connect::TunnelTo(target) if text.starts_with("CONNECT ") => {
            let mut server = TcpStream::connect(target).await.unwrap();
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .unwrap();
            let (mut from_client, mut to_client) = tokio::io::split(client);
            let (mut from_server, mut to_server) = server.split();
            let upstream = async {
                let mut buf = [0u8; 4096];
                loop {
                    match from_client.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            relayed.lock().unwrap().extend_from_slice(&buf[..n]);
                            if to_server.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = to_server.shutdown().await;
            };
            let downstream = async {
                let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                let _ = to_client.shutdown().await;
            };
            tokio::join!(upstream, downstream);
        }
        _ => {
            let _ = client
                .write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    }
}
