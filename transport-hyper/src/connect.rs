//! How a connection is made: directly, or through a proxy's `CONNECT` tunnel as
//! [`plex_pin::proxy`] rules, and within the connect timeout, TLS handshake included.
//!
//! The layers, outermost first: [`Bounded`] (the timeout over all of it), hyper-rustls's
//! `HttpsConnector` (TLS to the server, for `https://`), [`Connector`] (a TCP connection to
//! the server, or a tunnel to it through the proxy: hyper-util's `Tunnel` over
//! [`ToProxy`], which speaks TLS to an `https://` proxy).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use plex_pin::proxy::Proxy;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tower_service::Service;

type BoxError = Box<dyn StdError + Send + Sync>;
type Connecting<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// A connection: to the server, or to the proxy whose tunnel leads to it.
#[derive(Debug)]
pub(crate) enum Stream {
    /// Plain TCP, to the server or to an `http://` proxy.
    Tcp(TcpStream),
    /// TLS to an `https://` proxy; the tunnel (and the server's own TLS) runs inside.
    ProxyTls(Box<TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Tcp(tcp) => tcp.connected(),
            Stream::ProxyTls(tls) => tls.get_ref().0.connected(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::ProxyTls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::ProxyTls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::ProxyTls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::ProxyTls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::ProxyTls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::ProxyTls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Connects to the server directly, or through the proxy when [`Proxy::for_uri`] names one.
#[derive(Clone)]
pub(crate) struct Connector {
    direct: HttpConnector,
    proxy: Arc<Proxy>,
    /// For an `https://` proxy (the same roots as the server's).
    tls: Arc<ClientConfig>,
}

impl Connector {
    /// Checks the proxy URL once, so that a proxy that cannot be used is an error when the
    /// client is built.
    pub(crate) fn new(
        direct: HttpConnector,
        proxy: Proxy,
        tls: Arc<ClientConfig>,
    ) -> Result<Self, BoxError> {
        if let Some(url) = proxy.proxy_url() {
            tunnel(url, direct.clone(), tls.clone())?;
        }
        Ok(Self {
            direct,
            proxy: Arc::new(proxy),
            tls,
        })
    }
}

/// hyper-util's `CONNECT` tunnel through the proxy at `url`, with its credentials.
fn tunnel(
    url: &str,
    direct: HttpConnector,
    tls: Arc<ClientConfig>,
) -> Result<(Tunnel<ToProxy>, Arc<str>), BoxError> {
    let uri: Uri = url.parse()?;
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    // An IPv6 host keeps its brackets here.
    let host = uri.host().ok_or("the proxy URL names no host")?;
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority: Arc<str> = format!("{host}:{port}").into();
    // The connector is handed the proxy's address without its credentials.
    let scheme = if https { "https" } else { "http" };
    let address: Uri = format!("{scheme}://{authority}/").parse()?;
    let tls = if https {
        let name = host.trim_start_matches('[').trim_end_matches(']');
        Some((
            TlsConnector::from(tls),
            ServerName::try_from(name.to_owned())?,
        ))
    } else {
        None
    };
    let mut tunnel = Tunnel::new(address, ToProxy { direct, tls });
    if let Some(auth) = basic_auth(&uri) {
        tunnel = tunnel.with_auth(auth);
    }
    Ok((tunnel, authority))
}

/// `Proxy-Authorization: Basic …` from the URL's `user:password@`, percent-decoded.
fn basic_auth(uri: &Uri) -> Option<http::HeaderValue> {
    use base64::Engine;
    let authority = uri.authority()?.as_str();
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |s| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    let mut credentials = decode(user);
    credentials.push(b':');
    credentials.extend(decode(password));
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut value = http::HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(url) = self.proxy.for_uri(&dst) else {
            let connecting = self.direct.call(dst);
            return Box::pin(async move {
                let tcp = connecting.await?.into_inner();
                Ok(TokioIo::new(Stream::Tcp(tcp)))
            });
        };
        // Built per connection (a few allocations beside a TCP connect and two handshakes):
        // the rule may send some hosts direct, and the tunnel only serves the others.
        match tunnel(url, self.direct.clone(), self.tls.clone()) {
            Ok((mut tunnel, proxy)) => {
                let tunnelling = tunnel.call(dst);
                Box::pin(async move {
                    tunnelling.await.map_err(|source| {
                        Box::new(ThroughProxy {
                            proxy,
                            source: source.into(),
                        }) as BoxError
                    })
                })
            }
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}

/// The leg to the proxy itself: TCP, and TLS for an `https://` proxy.
#[derive(Clone)]
pub(crate) struct ToProxy {
    direct: HttpConnector,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Service<Uri> for ToProxy {
    type Response = TokioIo<Stream>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, proxy: Uri) -> Self::Future {
        let connecting = self.direct.call(proxy);
        let tls = self.tls.clone();
        Box::pin(async move {
            let tcp = connecting.await?.into_inner();
            let stream = match tls {
                None => Stream::Tcp(tcp),
                Some((tls, name)) => Stream::ProxyTls(Box::new(tls.connect(name, tcp).await?)),
            };
            Ok(TokioIo::new(stream))
        })
    }
}

/// A tunnel the proxy did not open (refused, unreachable, a TLS failure on the way).
#[derive(Debug)]
pub(crate) struct ThroughProxy {
    /// The proxy's `host:port`, never its credentials.
    pub(crate) proxy: Arc<str>,
    source: BoxError,
}

impl fmt::Display for ThroughProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "through the proxy {}", self.proxy)
    }
}

impl StdError for ThroughProxy {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// Bounds a connector's whole connect, the TLS handshake included, by `limit`: a server
/// that accepts and then stalls the handshake costs the connect timeout, not the request's.
#[derive(Clone)]
pub(crate) struct Bounded<C> {
    pub(crate) inner: C,
    pub(crate) limit: Duration,
}

impl<C> Service<Uri> for Bounded<C>
where
    C: Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Connecting<C::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.inner.call(dst);
        let limit = self.limit;
        Box::pin(async move {
            match tokio::time::timeout(limit, connecting).await {
                Ok(connected) => connected.map_err(Into::into),
                Err(_) => Err(Box::new(ConnectTimedOut(limit)) as BoxError),
            }
        })
    }
}

/// The connect timeout ran out (TCP connect, proxy tunnel and TLS handshake together).
#[derive(Debug)]
pub(crate) struct ConnectTimedOut(pub(crate) Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no connection within the {:?} connect timeout (TCP connect and TLS handshake)",
            self.0
        )
    }
}

impl StdError for ConnectTimedOut {}
