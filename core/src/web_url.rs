//! The few absolute http(s) URLs the core handles: the base URL, the Auth App and link
//! pages, and a forward URL.
//!
//! They are checked with `http::Uri` rather than the `url` crate: the core needs no more
//! than "absolute, http or https, a host, no credentials", and `url` with its IDNA tables
//! would be the largest part of the browser build (measured in a scratch wasm module,
//! BENCHMARKS.md: `url::Url::parse` 79.1 KB gzipped against 6.6 KB for `http::Uri`, more
//! than the whole plex-pin .wasm). The price: hosts must be ASCII (write an
//! internationalised domain in its `xn--` form). Re-measure before replacing either way.

use http::Uri;

use crate::decimal::decimal;
use crate::field::ConfigError;

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
        crate::field::check_field(field, raw)?;
        if holds(raw, b'#') {
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
            .ok_or_else(|| invalid("a host is required"))?
            .as_str();
        if holds(authority, b'@') {
            return Err(invalid("credentials in the URL are not allowed"));
        }
        // Host and port split here: http's `Authority::host` and `port` index into the str
        // (size rule S10).
        let colon = authority.bytes().rposition(|b| b == b':');
        let split = colon.and_then(|at| Some((authority.get(..at)?, authority.get(at + 1..)?)));
        let (host, port) = match split {
            // A colon inside `[…]` belongs to an IPv6 address; `host:` means the default.
            Some((host, "")) => (host, None),
            Some((host, port)) if !holds(port, b']') => match port_number(port) {
                Some(number) => (host, Some(number)),
                // Dropping it would quietly connect to port 80 or 443 instead.
                None => return Err(invalid("the port must be a number from 1 to 65535")),
            },
            _ => (authority, None),
        };
        if host.is_empty() {
            return Err(invalid("a host is required"));
        }
        Ok(Self {
            text: raw.to_owned(),
            scheme_is_https,
            host: host.to_ascii_lowercase(),
            port,
            has_query: uri
                .path_and_query()
                .is_some_and(|p| holds(p.as_str(), b'?')),
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

    /// Whether the host is a loopback address, which never leaves the machine: 127.0.0.0/8
    /// in dotted-quad form, or `[::1]`. Not `localhost`: a name is only as local as the
    /// resolver says (`/etc/hosts`, a DNS search domain can point it elsewhere), and this
    /// decides whether tokens may travel in plain http. Checked by hand, without std's address
    /// parser (size rule S10; so another spelling of ::1 is merely refused).
    pub fn is_loopback(&self) -> bool {
        let host = self.host.as_str();
        // On bytes (size rules S1, S4).
        let octet = |part: &[u8]| {
            (part == b"0" || !part.starts_with(b"0")) && decimal(part).is_some_and(|n| n <= 255)
        };
        let mut parts = host.as_bytes().split(|b| *b == b'.');
        let ipv4 = parts.next() == Some(b"127") && parts.clone().count() == 3 && parts.all(octet);
        host == "[::1]" || ipv4
    }
}

/// Whether `text` holds the ASCII `byte`. A plain loop, as are the port's digits below (size
/// rules S1, S4).
fn holds(text: &str, byte: u8) -> bool {
    text.bytes().any(|b| b == byte)
}

/// A port from 1 to 65535 in decimal digits (leading zeros allowed, no sign).
fn port_number(port: &str) -> Option<u16> {
    let value = decimal(port.as_bytes())?;
    u16::try_from(value).ok().filter(|n| *n > 0)
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
        let v6 = url("http://[::1]:9/x");
        assert_eq!((v6.host(), v6.port), ("[::1]", Some(9)));
        let v6 = url("https://[2001:DB8::1]/");
        assert_eq!((v6.host(), v6.port), ("[2001:db8::1]", None));
        assert_eq!(url("https://h:8443").origin(), "https://h:8443");
        assert_eq!(
            url("http://h:/").origin(),
            "http://h",
            "an empty port is the default"
        );
        assert_eq!(url("http://h:65535").port, Some(65535));
        assert_eq!(
            url("http://h:0080").port,
            Some(80),
            "leading zeros, as u16's parser takes"
        );
        assert!(url("https://h/a?b").has_query());
        assert!(url("https://h/?").has_query());
        assert!(!url("https://h/a").has_query());
        assert!(url("http://127.1.2.3").is_loopback());
        assert!(url("http://127.0.0.1:8080").is_loopback());
        assert!(url("http://127.255.255.255").is_loopback());
        assert!(url("http://[::1]:9/").is_loopback());
        assert!(url("http://[::1]").is_loopback());
        assert!(
            !url("http://LOCALHOST").is_loopback(),
            "a name is not trusted"
        );
        assert!(
            !url("http://localhost:8080").is_loopback(),
            "a name is not trusted"
        );
        for not_loopback in [
            "http://10.0.0.1",
            "http://localhost.example.com",
            "http://127.0.0.1.example.com",
            "http://127.0.0",
            "http://127.0.0.256",
            "http://127.0.0.01",
            "http://127.0.0.+1",
            "http://127..0.1",
            "http://[::2]",
            "http://[::ffff:127.0.0.1]",
        ] {
            assert!(!url(not_loopback).is_loopback(), "{not_loopback}");
        }
        for bad in [
            "/relative",
            "mailto:x@y",
            "https://u:p@host/",
            "https://h/#frag",
            "https://bücher.de/",
            "https:///x",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:65536",
            "http://127.0.0.1:0",
            "http://127.0.0.1:+80",
            "http://[::1]:70000/",
            "http://h:99999999999999999999",
            "http://h:-1",
        ] {
            assert!(WebUrl::parse("test", bad).is_err(), "{bad}");
        }
    }
}
