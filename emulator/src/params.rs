//! What a request says, read the way plex.tv reads it.
//!
//! - Every `X-Plex-*` value may come as a header, a form-encoded body field or a query
//!   argument. Plex: all `X-Plex-` headers "can also be sent as query string arguments"; its
//!   forum guide's curl examples send them as form fields (`-d`); python-plexauth sends a
//!   form body, @ctrl/plex the query. A header wins; then the body, then the query, as a
//!   Rails app merges its parameters (`query_parameters.merge(request_parameters)`).
//! - Header values are read as UTF-8 (`X-Plex-Device-Name: Wohnzimmer 📺`), not refused.
//! - Booleans (`strong`) are cast as Rails casts them (`ActiveModel::Type::Boolean`): blank
//!   is unset, `0 f F false FALSE off OFF` are false, anything else is true (`True`, `1`,
//!   `on`); from the query, a form body or a JSON body (`{"strong": true}`).

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::Request;
use serde_json::Value;

/// The parameters of one request: headers, query, and a form or JSON body.
pub(crate) struct Params<'a> {
    headers: &'a HeaderMap,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    json: Option<Value>,
}

impl<'a> Params<'a> {
    pub fn new(request: &'a Request<Bytes>) -> Self {
        let pairs = |bytes: &[u8]| -> Vec<(String, String)> {
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        };
        let query = pairs(request.uri().query().unwrap_or("").as_bytes());
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
            .unwrap_or_default();
        let body = request.body();
        let looks_json = body.trim_ascii_start().starts_with(b"{");
        let (form, json) =
            if content_type.contains("json") || (content_type.is_empty() && looks_json) {
                (Vec::new(), serde_json::from_slice(body).ok())
            } else if content_type.starts_with("application/x-www-form-urlencoded")
                || content_type.is_empty()
            {
                (pairs(body), None)
            } else {
                (Vec::new(), None)
            };
        Self {
            headers: request.headers(),
            query,
            form,
            json,
        }
    }

    /// An `X-Plex-*` value (any case of the name): header, then body, then query.
    pub fn plex(&self, name: &str) -> Option<String> {
        let header = self
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
        header
            .into_iter()
            .chain(find(&self.form, name))
            .chain(find(&self.query, name))
            .find(|v| !v.is_empty())
    }

    /// A plain parameter (`code`, `strong`): body (form or JSON), then query.
    pub fn field(&self, name: &str) -> Option<String> {
        let json = self
            .json
            .as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            });
        json.into_iter()
            .chain(find(&self.form, name))
            .chain(find(&self.query, name))
            .next()
    }

    /// A boolean parameter, cast as Rails casts it; unset or blank is `false`.
    pub fn flag(&self, name: &str) -> bool {
        self.field(name).is_some_and(|v| rails_true(&v))
    }

    /// The JSON body, if the request had one.
    pub fn json(&self) -> Option<&Value> {
        self.json.as_ref()
    }
}

fn find(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
}

/// `ActiveModel::Type::Boolean`: blank is nil (false here), its FALSE_VALUES are false,
/// anything else is true.
fn rails_true(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && !matches!(value, "0" | "f" | "F" | "false" | "FALSE" | "off" | "OFF")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &[u8])], body: &str) -> Request<Bytes> {
        let mut builder = Request::builder().uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn header_then_body_then_query() {
        let r = request(
            "/api/v2/pins?X-Plex-Product=query&x-plex-client-identifier=q-id&X-Plex-Device=q",
            &[
                ("x-plex-product", "Wohnzimmer 📺".as_bytes()),
                ("content-type", b"application/x-www-form-urlencoded"),
            ],
            "X-Plex-Client-Identifier=form-id",
        );
        let p = Params::new(&r);
        assert_eq!(p.plex("X-Plex-Product").as_deref(), Some("Wohnzimmer 📺"));
        assert_eq!(
            p.plex("X-Plex-Client-Identifier").as_deref(),
            Some("form-id")
        );
        assert_eq!(p.plex("X-Plex-Device").as_deref(), Some("q"));
        assert_eq!(p.plex("X-Plex-Token"), None);
    }

    #[test]
    fn booleans_the_rails_way() {
        for (query, strong) in [
            ("strong=true", true),
            ("strong=True", true),
            ("strong=1", true),
            ("strong=on", true),
            ("strong=false", false),
            ("strong=0", false),
            ("strong=", false),
            ("", false),
        ] {
            let r = request(&format!("/api/v2/pins?{query}"), &[], "");
            assert_eq!(Params::new(&r).flag("strong"), strong, "{query}");
        }
        let r = request(
            "/api/v2/pins",
            &[("content-type", b"application/json")],
            r#"{"strong":true,"jwk":{}}"#,
        );
        assert!(Params::new(&r).flag("strong"));
        let r = request("/api/v2/pins", &[], "strong=True&X-Plex-Product=p");
        assert!(
            Params::new(&r).flag("strong"),
            "a form body without a content type"
        );
    }
}
