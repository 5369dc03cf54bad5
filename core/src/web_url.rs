//! The few absolute http(s) URLs the core handles: the base URL, the Auth App and link
//! pages, and a forward URL.
//!
//! They are checked with `http::Uri` rather than the `url` crate: the core needs no more
//! than "absolute, http or https, a host, no credentials", and `url` with its IDNA tables
//! would be the largest part of the browser build. The price: hosts must be ASCII (write an
//! internationalised domain in its `xn--` form).

use std::net::{IpAddr, Ipv6Addr};

use http::Uri;

use crate::ConfigError;

/// A validated absolute http(s) URL, kept as the caller wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebUrl {
    text: String,
    scheme_is_https: bool,
    host: String,
    port: Option<u16>,
    has_query: bool,
}

impl WebUrl {
    /// Parses an absolute http(s) URL with a host and no credentials or fragment.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidUrl {
            field,
            reason: reason.to_owned(),
        };
        crate::config::check_field(field, raw)?;
        if raw.contains('#') {
            return Err(invalid("a fragment is not allowed"));
        }
        let uri = Uri::try_from(raw).map_err(|_| {
            invalid("not an absolute URL (an internationalised host must be written as xn--…)")
        })?;
        let scheme_is_https = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => true,
            Some(s) if s.eq_ignore_ascii_case("http") => false,
            _ => return Err(invalid("scheme must be http or https")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("a host is required"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("credentials in the URL are not allowed"));
        }
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(invalid("a host is required"));
        }
        Ok(Self {
            text: raw.to_owned(),
            scheme_is_https,
            host,
            port: authority.port_u16(),
            has_query: uri.query().is_some(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_https(&self) -> bool {
        self.scheme_is_https
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn has_query(&self) -> bool {
        self.has_query
    }

    /// `scheme://host[:port]` as browsers send it in `Origin` (default ports left out).
    pub fn origin(&self) -> String {
        let (scheme, default_port) = if self.scheme_is_https {
            ("https", 443)
        } else {
            ("http", 80)
        };
        match self.port {
            Some(port) if port != default_port => format!("{scheme}://{}:{port}", self.host),
            _ => format!("{scheme}://{}", self.host),
        }
    }

    /// Whether the host never leaves the machine: `localhost`, 127.0.0.0/8 or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.as_str();
        if host == "localhost" {
            return true;
        }
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
        }
        host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_loopback() {
        let url = |s| WebUrl::parse("test", s).unwrap();
        assert_eq!(
            url("https://App.Example.com:443/x?y=1").origin(),
            "https://app.example.com"
        );
        assert_eq!(
            url("http://127.0.0.1:8080/").origin(),
            "http://127.0.0.1:8080"
        );
        assert!(url("http://127.1.2.3").is_loopback());
        assert!(url("http://[::1]:9/").is_loopback());
        assert!(url("http://LOCALHOST").is_loopback());
        assert!(!url("http://10.0.0.1").is_loopback());
        assert!(!url("http://localhost.example.com").is_loopback());
        for bad in [
            "/relative",
            "mailto:x@y",
            "https://u:p@host/",
            "https://h/#frag",
            "https://bücher.de/",
            "https:///x",
        ] {
            assert!(WebUrl::parse("test", bad).is_err(), "{bad}");
        }
    }
}
