//! Which way a request goes: direct, or through the proxy [`plex_pin::proxy`]'s rule allows.
//!
//! ureq would apply one proxy to every request of an agent, and reads `HTTP_PROXY` and
//! `ALL_PROXY` from the environment by itself, also for plain-http loopback URLs whose
//! token a proxy would then read in clear text. So neither agent here reads the
//! environment: one connects directly, the other (made when a request first needs it)
//! goes through the proxy, and [`Proxy::for_uri`] chooses per request. They share no
//! connection.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use plex_pin::proxy::Proxy;
use ureq::tls::TlsConfig;
use ureq::unversioned::transport::DefaultConnector;
use ureq::Agent;

use crate::cancel;
use crate::resolver::LiteralFirst;

/// The agents of a client, and the proxy setting that picks one.
pub(crate) struct Route {
    proxy: Proxy,
    direct: Agent,
    /// Through the proxy; made on first use, since most clients never need it.
    proxied: OnceLock<Agent>,
    settings: Settings,
}

/// What both agents are made of.
pub(crate) struct Settings {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) tls: TlsConfig,
}

impl Route {
    pub(crate) fn new(settings: Settings, proxy: Proxy) -> Self {
        Self {
            direct: agent(&settings, None),
            proxied: OnceLock::new(),
            proxy,
            settings,
        }
    }

    /// Who a TLS failure for `uri` was with, for its message: the host, or the host
    /// through an `https://` proxy (whose own handshake comes first), never the proxy's
    /// credentials.
    pub(crate) fn peer(&self, uri: &http::Uri) -> String {
        let host = uri.host().unwrap_or("the server");
        match self
            .proxy
            .for_uri(uri)
            .and_then(|url| url.parse::<http::Uri>().ok())
        {
            Some(proxy) if proxy.scheme_str() == Some("https") => {
                let at = proxy.host().unwrap_or("?");
                let port = proxy.port_u16().unwrap_or(443);
                format!("{host} or the proxy {at}:{port}")
            }
            _ => host.to_owned(),
        }
    }

    /// The agent for `uri`: through the proxy only when the rule says so.
    pub(crate) fn agent(&self, uri: &http::Uri) -> Result<&Agent, ureq::Error> {
        let Some(url) = self.proxy.for_uri(uri) else {
            return Ok(&self.direct);
        };
        if let Some(agent) = self.proxied.get() {
            return Ok(agent);
        }
        // The core checked the URL when the setting was made; ureq still refuses
        // credentials that are not UTF-8 once percent-decoded.
        let proxy = ureq::Proxy::new(url)?;
        // Two threads may both make one: the first kept wins, the other is dropped unused.
        Ok(self
            .proxied
            .get_or_init(|| agent(&self.settings, Some(proxy))))
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The proxy's own Debug hides its credentials; the agents' would repeat it.
        f.debug_struct("Route").field("proxy", &self.proxy).finish()
    }
}

/// An agent that follows no redirect, hands 4xx and 5xx back as responses, and reads no
/// proxy from the environment.
fn agent(settings: &Settings, proxy: Option<ureq::Proxy>) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(settings.timeout))
        .timeout_connect(Some(settings.connect_timeout))
        .max_response_header_size(16 * 1024)
        .tls_config(settings.tls.clone())
        .proxy(proxy)
        .build();
    let connector = cancel::Connector(DefaultConnector::new());
    Agent::with_parts(config, connector, LiteralFirst::default())
}
