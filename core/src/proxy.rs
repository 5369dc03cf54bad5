//! Which proxy a request may go through: one rule, applied by every native transport.
//!
//! Requests carry the account token in a header. An https request through a proxy is
//! tunnelled (`CONNECT host:443`), and TLS keeps the token from the proxy; a plain-http
//! request would show it to the proxy in clear text. Plain http is allowed only to loopback
//! addresses ([`ConfigBuilder::base_url`](crate::ConfigBuilder::base_url)), which never
//! leave the machine, so the rule is:
//!
//! - A loopback host (`127.0.0.0/8`, `[::1]`, `localhost`) never goes through a proxy,
//!   whatever the environment or the caller says.
//! - Plain `http://` never goes through a proxy. `HTTP_PROXY` is not read at all: it names
//!   the proxy for plain-http URLs, and those are loopback only.
//! - An `https://` URL goes through the proxy named by `HTTPS_PROXY`, else `ALL_PROXY`
//!   (lower-case spellings first, as curl reads them), unless `NO_PROXY` names its host.
//! - An explicit proxy ([`Proxy::url`]) replaces the environment's, under the same rule;
//!   [`Proxy::none`] uses none.
//!
//! A proxy is an `http://` or `https://` URL (credentials in it are kept out of `Debug` and
//! of every error). A variable that names anything else is an error when the client is
//! built, not a silent direct connection.
//!
//! ```
//! use plex_pin::proxy::Proxy;
//!
//! let env = |name: &str| match name {
//!     "HTTPS_PROXY" => Some("http://proxy.corp:3128".to_owned()),
//!     "NO_PROXY" => Some("internal.corp".to_owned()),
//!     _ => None,
//! };
//! let proxy = Proxy::from_vars(env)?;
//! let uri = |s: &str| s.parse::<http::Uri>().unwrap();
//! assert_eq!(proxy.for_uri(&uri("https://plex.tv/api/v2/pins")), Some("http://proxy.corp:3128"));
//! assert_eq!(proxy.for_uri(&uri("http://127.0.0.1:32400/api/v2/user")), None);
//! assert_eq!(proxy.for_uri(&uri("https://auth.internal.corp/")), None);
//! # Ok::<(), plex_pin::proxy::ProxyError>(())
//! ```

use std::fmt;

/// The proxy settings of a client: which proxy, if any, and the hosts that bypass it.
/// Build one with [`from_env`](Self::from_env), [`url`](Self::url) or [`none`](Self::none),
/// and ask [`for_uri`](Self::for_uri) per request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxy {
    url: Option<String>,
    /// Host names and addresses (lower case, no leading dot) that go direct; `*` is all.
    no_proxy: Vec<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.url.as_deref().map(redacted))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Proxy {
    /// No proxy: every request goes direct.
    pub fn none() -> Self {
        Self::default()
    }

    /// The proxy of the process's environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, in
    /// either case), under the module's rule.
    pub fn from_env() -> Result<Self, ProxyError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables (tests, a config file).
    /// An empty value counts as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ProxyError> {
        let read = |names: [&'static str; 2]| {
            names.into_iter().find_map(|name| {
                var(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v))
            })
        };
        let url = match read(["https_proxy", "HTTPS_PROXY"])
            .or_else(|| read(["all_proxy", "ALL_PROXY"]))
        {
            Some((name, value)) => Some(checked(value, Some(name))?),
            None => None,
        };
        let no_proxy = read(["no_proxy", "NO_PROXY"])
            .map(|(_, list)| parse_no_proxy(&list))
            .unwrap_or_default();
        Ok(Self { url, no_proxy })
    }

    /// Always this proxy (for https to hosts that are not loopback), whatever the
    /// environment says.
    pub fn url(url: &str) -> Result<Self, ProxyError> {
        Ok(Self {
            url: Some(checked(url.to_owned(), None)?),
            no_proxy: Vec::new(),
        })
    }

    /// Adds hosts that go direct, as `NO_PROXY` lists them (comma-separated names, which
    /// also cover their subdomains, addresses, or `*`).
    pub fn with_no_proxy(mut self, list: &str) -> Self {
        self.no_proxy.extend(parse_no_proxy(list));
        self
    }

    /// The proxy a request to `uri` goes through, or `None` to connect directly.
    pub fn for_uri(&self, uri: &http::Uri) -> Option<&str> {
        let url = self.url.as_deref()?;
        if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
            return None;
        }
        let host = uri.host()?.to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if is_loopback_host(host) || self.bypasses(host) {
            return None;
        }
        Some(url)
    }

    /// The proxy configured, if any (some requests may still bypass it: see
    /// [`for_uri`](Self::for_uri)), so that a client can set up its proxied connector once.
    pub fn proxy_url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    fn bypasses(&self, host: &str) -> bool {
        self.no_proxy.iter().any(|entry| {
            entry == "*"
                || host == entry
                || host
                    .strip_suffix(entry.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.'))
        })
    }
}

/// Why a proxy setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", variable.unwrap_or("the proxy URL"))]
#[non_exhaustive]
pub struct ProxyError {
    /// The environment variable that held it, if it came from the environment.
    pub variable: Option<&'static str>,
    /// What is wrong, without the URL's credentials.
    pub reason: String,
}

/// `value` as a proxy URL: `http://` or `https://` with a host.
fn checked(value: String, variable: Option<&'static str>) -> Result<String, ProxyError> {
    let value = value.trim().to_owned();
    let fail = |reason: String| Err(ProxyError { variable, reason });
    let uri = match value.parse::<http::Uri>() {
        Ok(uri) => uri,
        Err(_) => return fail(format!("`{}` is not a URL", redacted(&value))),
    };
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return fail(format!(
                "`{}` is not an http:// or https:// proxy (the transports tunnel https through \
                 CONNECT and support no other kind)",
                redacted(&value)
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return fail(format!("`{}` names no host", redacted(&value)));
    }
    Ok(value)
}

fn parse_no_proxy(list: &str) -> Vec<String> {
    list.split(',')
        .map(|entry| {
            let entry = entry.trim().to_ascii_lowercase();
            // A port is ignored, as curl does; `.example.com` and `example.com` both cover
            // the domain and its subdomains.
            let host = match entry.rsplit_once(':') {
                Some((host, port))
                    if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    host.to_owned()
                }
                _ => entry,
            };
            host.trim_start_matches('.')
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned()
        })
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// Loopback by address or by the names that mean it (a name is trusted here only to skip
/// the proxy, which is the safe side).
fn is_loopback_host(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    }
}

/// A proxy URL with its credentials (`user:password@`) replaced by `***`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn loopback_and_plain_http_never_go_through_a_proxy() {
        for vars in [
            [("HTTPS_PROXY", "http://127.0.0.2:3128")],
            [("https_proxy", "http://127.0.0.2:3128")],
            [("ALL_PROXY", "http://127.0.0.2:3128")],
            [("all_proxy", "http://127.0.0.2:3128")],
            [("HTTP_PROXY", "http://127.0.0.2:3128")],
            [("http_proxy", "http://127.0.0.2:3128")],
        ] {
            let proxy = Proxy::from_vars(env(&vars)).unwrap();
            for direct in [
                "http://127.0.0.1:8080/api/v2/user",
                "https://127.0.0.1:8443/",
                "https://127.9.9.9/",
                "https://[::1]:8443/",
                "https://localhost/",
                "https://app.localhost/",
                "http://plex.tv/",
            ] {
                assert_eq!(proxy.for_uri(&uri(direct)), None, "{vars:?} {direct}");
            }
        }
    }

    #[test]
    fn https_goes_through_https_proxy_then_all_proxy() {
        let both = [
            ("ALL_PROXY", "http://all:1"),
            ("HTTPS_PROXY", "http://https:2"),
        ];
        let proxy = Proxy::from_vars(env(&both)).unwrap();
        assert_eq!(
            proxy.for_uri(&uri("https://plex.tv/")),
            Some("http://https:2")
        );
        let all = Proxy::from_vars(env(&[("ALL_PROXY", "http://all:1")])).unwrap();
        assert_eq!(all.for_uri(&uri("https://plex.tv/")), Some("http://all:1"));
        let http_only = Proxy::from_vars(env(&[("HTTP_PROXY", "http://h:1")])).unwrap();
        assert_eq!(http_only.proxy_url(), None, "HTTP_PROXY is never read");
        let empty = Proxy::from_vars(env(&[("HTTPS_PROXY", " "), ("ALL_PROXY", "http://all:1")]));
        assert_eq!(
            empty.unwrap().for_uri(&uri("https://plex.tv/")),
            Some("http://all:1")
        );
    }

    #[test]
    fn no_proxy_covers_domains_addresses_and_everything() {
        let vars = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", " .corp.example, 10.0.0.7:443 ,plex.test"),
        ];
        let proxy = Proxy::from_vars(env(&vars)).unwrap();
        for direct in [
            "https://corp.example/",
            "https://a.corp.example/",
            "https://10.0.0.7/",
            "https://PLEX.test/",
            "https://x.plex.test/",
        ] {
            assert_eq!(proxy.for_uri(&uri(direct)), None, "{direct}");
        }
        for proxied in [
            "https://plex.tv/",
            "https://notcorp.example/",
            "https://plex.test.evil/",
        ] {
            assert_eq!(
                proxy.for_uri(&uri(proxied)),
                Some("http://p:1"),
                "{proxied}"
            );
        }
        let all = Proxy::from_vars(env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "*")]));
        assert_eq!(all.unwrap().for_uri(&uri("https://plex.tv/")), None);
    }

    #[test]
    fn explicit_and_none_replace_the_environment() {
        let proxy = Proxy::url("https://user:secret@proxy.corp:8443").unwrap();
        assert_eq!(
            proxy.for_uri(&uri("https://plex.tv/")),
            Some("https://user:secret@proxy.corp:8443")
        );
        assert_eq!(proxy.for_uri(&uri("https://127.0.0.1/")), None);
        assert!(!format!("{proxy:?}").contains("secret"));
        assert_eq!(Proxy::none().for_uri(&uri("https://plex.tv/")), None);
        let bypass = proxy.with_no_proxy("plex.tv");
        assert_eq!(bypass.for_uri(&uri("https://plex.tv/")), None);
    }

    #[test]
    fn a_proxy_that_cannot_be_used_is_an_error_without_its_credentials() {
        for bad in [
            "socks5://user:secret@p:1080",
            "ftp://p",
            "not a url",
            "http://user:secret@",
        ] {
            let error = Proxy::from_vars(env(&[("HTTPS_PROXY", bad)])).unwrap_err();
            assert_eq!(error.variable, Some("HTTPS_PROXY"), "{bad}");
            assert!(!error.to_string().contains("secret"), "{error}");
            assert!(error.to_string().starts_with("HTTPS_PROXY: "), "{error}");
        }
        assert_eq!(Proxy::url("ftp://p").unwrap_err().variable, None);
    }
}
