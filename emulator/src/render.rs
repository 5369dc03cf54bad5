//! Answers as plex.tv writes them (JSON or XML, pins, errors, content types), and the
//! wrong answers of injected faults.

use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{Either, Full};
use serde_json::{json, Value};

use crate::fault::{Fault, OVERSIZED_BODY};
use crate::state::{PinRecord, PinStatus};
use crate::xml::{escape, scalar};

pub(crate) type Body = Either<Full<Bytes>, Padded>;

pub(crate) fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The pin as plex.tv shows it, with `expiresIn` counting down.
pub(crate) fn pin_json(base_url: &str, pin: &PinRecord, now: Instant) -> Value {
    let token = match &pin.status {
        PinStatus::Approved(token) => Value::String(token.clone()),
        PinStatus::Pending => Value::Null,
    };
    let approved = !token.is_null();
    json!({
        "id": pin.id,
        "code": pin.code,
        "product": pin.product,
        "trusted": false,
        "qr": format!("{base_url}/api/v2/pins/qr/{}", pin.code),
        "clientIdentifier": pin.client_id,
        "location": {
            "code": "NL",
            "european_union_member": true,
            "continent_code": "EU",
            "country": "The Netherlands",
            "city": "Breda",
            "time_zone": "Europe/Amsterdam",
            "postal_code": "4814",
            "in_privacy_restricted_country": true,
            "in_privacy_restricted_region": true,
            "subdivisions": "North Brabant",
            "coordinates": "51.5869, 4.7471"
        },
        "expiresIn": pin.expires_in(now).as_secs(),
        "createdAt": rfc3339(pin.created_wall),
        "expiresAt": rfc3339(pin.created_wall + pin.lifetime),
        "authToken": token,
        "newRegistration": if approved { Value::Bool(false) } else { Value::Null },
    })
}

pub(crate) fn pin_response(
    base_url: &str,
    as_json: bool,
    status: StatusCode,
    pin: &PinRecord,
    now: Instant,
) -> Response<Body> {
    let value = pin_json(base_url, pin, now);
    if as_json {
        return json_response(status, value);
    }
    // XML: the same names as attributes, nulls left out, location as a child element.
    let mut attrs = String::new();
    let mut location = String::new();
    if let Value::Object(map) = &value {
        for (key, v) in map {
            match v {
                Value::Null => {}
                Value::Object(inner) => {
                    location.push_str("<location");
                    for (k, v) in inner {
                        location.push_str(&format!(" {k}=\"{}\"", escape(&scalar(v))));
                    }
                    location.push_str("/>");
                }
                v => attrs.push_str(&format!(" {key}=\"{}\"", escape(&scalar(v)))),
            }
        }
    }
    xml(
        status,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pin{attrs}>{location}</pin>\n"),
    )
}

pub(crate) fn error(as_json: bool, status: StatusCode, code: u32, message: &str) -> Response<Body> {
    if as_json {
        json_response(
            status,
            json!({"errors":[{"code":code,"message":message,"status":status.as_u16()}]}),
        )
    } else {
        xml(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error code=\"{code}\" message=\"{}\" status=\"{}\"/>\n</errors>\n",
                escape(message),
                status.as_u16()
            ),
        )
    }
}

pub(crate) fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(crate) fn json_response(status: StatusCode, value: Value) -> Response<Body> {
    with_type(
        status,
        "application/json; charset=utf-8",
        Bytes::from(value.to_string()),
    )
}

pub(crate) fn xml(status: StatusCode, text: String) -> Response<Body> {
    with_type(status, "application/xml; charset=utf-8", Bytes::from(text))
}

/// The policy of every answer that is not one of the pages (which send their own): load
/// nothing, be framed by nothing.
pub(crate) const LOCKED_DOWN: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// What every answer carries: no page may frame the emulator (`X-Frame-Options` for older
/// browsers, `frame-ancestors` for the rest), nothing is sniffed into another type, no
/// referrer leaves, and a Content-Security-Policy ([`LOCKED_DOWN`] unless the answer has
/// its own).
pub(crate) fn protect(headers: &mut http::HeaderMap) {
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(LOCKED_DOWN));
}

pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
    *response.status_mut() = status;
    response
}

/// The real answer made wrong, for [`Fault::Oversized`] and [`Fault::MalformedJson`]: its
/// status, headers and format are kept; the body is padded past the cap (whitespace after
/// the document, still valid JSON or XML) or cut in half.
pub(crate) async fn mangle(fault: Fault, answer: Response<Body>) -> Response<Body> {
    use http_body_util::BodyExt;
    let (mut parts, body) = answer.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match fault {
        Fault::Oversized => Either::Right(Padded {
            left: OVERSIZED_BODY.saturating_sub(bytes.len()) + 1,
            head: Some(bytes),
        }),
        _ => Either::Left(Full::new(bytes.slice(..bytes.len() / 2))),
    };
    Response::from_parts(parts, body)
}

/// An answer followed by `left` spaces, streamed from one shared block of them: a 10 MB
/// oversized answer costs no 10 MB allocation per request (the emulator often runs inside
/// the test that measures the client's heap).
pub(crate) struct Padded {
    head: Option<Bytes>,
    left: usize,
}

impl http_body::Body for Padded {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        static SPACES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
        if let Some(head) = self.head.take() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(head))));
        }
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let block = SPACES.get_or_init(|| Bytes::from(vec![b' '; 64 * 1024]));
        let n = self.left.min(block.len());
        self.left -= n;
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(block.slice(..n)))))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let head = self.head.as_ref().map_or(0, Bytes::len);
        http_body::SizeHint::with_exact((head + self.left) as u64)
    }
}

pub(crate) fn fault_response(fault: Fault, as_json: bool) -> Response<Body> {
    match fault {
        Fault::RateLimited { retry_after } => {
            let mut r = error(
                as_json,
                StatusCode::TOO_MANY_REQUESTS,
                1003,
                "too many requests",
            );
            if let Some(secs) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
        Fault::ServerError => error(
            as_json,
            StatusCode::INTERNAL_SERVER_ERROR,
            1,
            "Internal Server Error",
        ),
        Fault::BadGatewayHtml => with_type(
            StatusCode::BAD_GATEWAY,
            "text/html",
            Bytes::from_static(b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
        ),
        // Handled where the answer is built.
        Fault::Slow(_)
        | Fault::DropConnection
        | Fault::Xml
        | Fault::Redirect
        | Fault::MalformedJson
        | Fault::Oversized => {
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}
