//! Faults the emulator can inject, globally or for one pin, from tests or the command line.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One way for plex.tv (or what sits in front of it) to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 with plex.tv's 1003 body, and `Retry-After: N` when given.
    RateLimited {
        /// Seconds for `Retry-After`; `None` sends no header.
        retry_after: Option<u64>,
    },
    /// 500 with plex.tv's error body (`{"errors":[…]}`, or XML), as negotiated.
    ServerError,
    /// 502 with an nginx-style HTML page.
    BadGatewayHtml,
    /// The real answer (JSON or XML, as negotiated) cut off in the middle.
    MalformedJson,
    /// The real answer padded with whitespace past 10 MB ([`crate::OVERSIZED_BODY`];
    /// `Content-Length` set), so a client that would accept the answer fails on its size.
    Oversized,
    /// The normal answer, after this delay.
    Slow(Duration),
    /// The connection is closed without an answer.
    DropConnection,
    /// The normal answer as XML, whatever `Accept` said.
    Xml,
    /// 302 to `/emulator/redirect-target`, which answers an approved pin: a client that
    /// follows redirects would wrongly sign in.
    Redirect,
}

/// Where a fault applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// `POST /api/v2/pins`.
    CreatePin,
    /// `GET /api/v2/pins/{id}`.
    CheckPin,
    /// `GET /api/v2/user`.
    User,
    /// `GET /api/v2/auth/nonce`.
    Nonce,
    /// `POST /api/v2/auth/jwk`.
    RegisterKey,
    /// `POST /api/v2/auth/token`.
    ExchangeToken,
    /// `GET /api/v2/auth/keys`.
    Keys,
    /// `PUT /api/v2/pins/link`.
    LinkPin,
    /// Every API route.
    Any,
}

/// A fault and where and how often it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// What happens.
    pub fault: Fault,
    /// On which route.
    pub route: Route,
    /// Only for this pin id (check-pin only); `None` for all.
    pub pin: Option<u64>,
    /// Only for requests with this `X-Plex-Client-Identifier`; `None` for all. Lets tests
    /// that share one emulator (the browser suite) keep their faults apart.
    pub client: Option<String>,
    /// How many times before the rule is used up; `None` for every time.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule that fires on every API request, forever.
    pub fn always(fault: Fault) -> Self {
        Self {
            fault,
            route: Route::Any,
            pin: None,
            client: None,
            times: None,
        }
    }

    /// Restricts the rule to one route.
    pub fn on(mut self, route: Route) -> Self {
        self.route = route;
        self
    }

    /// Restricts the rule to polls of one pin.
    pub fn for_pin(mut self, pin: u64) -> Self {
        self.pin = Some(pin);
        self.route = Route::CheckPin;
        self
    }

    /// Restricts the rule to one client identifier.
    pub fn for_client(mut self, client_id: impl Into<String>) -> Self {
        self.client = Some(client_id.into());
        self
    }

    /// Makes the rule fire `n` times only.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    pub(crate) fn matches(&self, route: Route, pin: Option<u64>, client: Option<&str>) -> bool {
        (self.route == Route::Any || self.route == route)
            && (self.pin.is_none() || self.pin == pin)
            && (self.client.is_none() || self.client.as_deref() == client)
            && self.times != Some(0)
    }
}

/// Parses the command line's `--fault` values: `429`, `429:5` (Retry-After 5 s), `500`,
/// `502`, `malformed`, `oversized`, `slow:MILLIS`, `drop`, `xml`.
impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let number = |a: Option<&str>| -> Result<Option<u64>, String> {
            a.map(|a| a.parse().map_err(|_| format!("`{a}` is not a number")))
                .transpose()
        };
        Ok(match name {
            "429" => Fault::RateLimited {
                retry_after: number(arg)?,
            },
            "500" => Fault::ServerError,
            "502" => Fault::BadGatewayHtml,
            "malformed" => Fault::MalformedJson,
            "oversized" => Fault::Oversized,
            "slow" => Fault::Slow(Duration::from_millis(
                number(arg)?.ok_or("slow needs milliseconds: slow:2000")?,
            )),
            "drop" => Fault::DropConnection,
            "xml" => Fault::Xml,
            "redirect" => Fault::Redirect,
            other => {
                return Err(format!(
                "unknown fault `{other}`: use 429[:secs], 500, 502, malformed, oversized, slow:ms, drop, xml, redirect"
            ))
            }
        })
    }
}

/// Parses `FAULT` (every time) or `FAULT*N` (N times), on every API route.
impl FromStr for FaultRule {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (fault, times) = match spec.split_once('*') {
            Some((f, n)) => {
                let n = n
                    .parse::<u32>()
                    .map_err(|_| format!("bad count in `{spec}`"))?;
                (f, Some(n))
            }
            None => (spec, None),
        };
        let rule = FaultRule::always(fault.parse::<Fault>()?);
        Ok(match times {
            Some(n) => rule.times(n),
            None => rule,
        })
    }
}

impl FromStr for Route {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "create" => Route::CreatePin,
            "check" => Route::CheckPin,
            "user" => Route::User,
            "nonce" => Route::Nonce,
            "jwk" => Route::RegisterKey,
            "token" => Route::ExchangeToken,
            "keys" => Route::Keys,
            "link" => Route::LinkPin,
            "any" => Route::Any,
            other => {
                return Err(format!(
                    "unknown route `{other}`: use create, check, user, nonce, jwk, token, keys, link or any"
                ))
            }
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::RateLimited { retry_after: None } => f.write_str("429"),
            Fault::RateLimited {
                retry_after: Some(s),
            } => write!(f, "429:{s}"),
            Fault::ServerError => f.write_str("500"),
            Fault::BadGatewayHtml => f.write_str("502"),
            Fault::MalformedJson => f.write_str("malformed"),
            Fault::Oversized => f.write_str("oversized"),
            Fault::Slow(d) => write!(f, "slow:{}", d.as_millis()),
            Fault::DropConnection => f.write_str("drop"),
            Fault::Xml => f.write_str("xml"),
            Fault::Redirect => f.write_str("redirect"),
        }
    }
}

/// Size of the [`Fault::Oversized`] body.
pub const OVERSIZED_BODY: usize = 10 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_forms_round_trip() {
        for text in [
            "429",
            "429:5",
            "500",
            "502",
            "malformed",
            "oversized",
            "slow:250",
            "drop",
            "xml",
            "redirect",
        ] {
            assert_eq!(text.parse::<Fault>().unwrap().to_string(), text);
        }
        assert!("slow".parse::<Fault>().is_err());
        assert!("429:x".parse::<Fault>().is_err());
        assert!("teapot".parse::<Fault>().is_err());
        let rule: FaultRule = "500*2".parse().unwrap();
        assert_eq!((rule.fault, rule.times), (Fault::ServerError, Some(2)));
        assert!("500*x".parse::<FaultRule>().is_err());
    }
}
