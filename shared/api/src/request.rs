//! The framework-neutral request and response the adapters translate to and from.

use serde::Serialize;

/// An HTTP request as the routes see it, whatever carried it (Lambda or the local server).
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    /// Upper-case method.
    pub method: String,
    /// Path without the query, e.g. `/api/models/momentum-strategy`.
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
    /// Id for logs and error bodies (the gateway's id in Lambda, generated locally).
    pub request_id: String,
    /// Parameters taken from the path template (`{slug}`, `{id}`), filled by the router.
    pub path_params: Vec<(&'static str, String)>,
}

impl ApiRequest {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query value called `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path parameter called `name`.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parses a raw query string (`a=1&b=x%20y`) into decoded pairs.
    pub fn parse_query(raw: &str) -> Vec<(String, String)> {
        raw.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }
}

/// Decodes `%XX` escapes and `+` as space; invalid escapes stay literal and invalid UTF-8
/// becomes U+FFFD, so decoding never fails (validation reports bad values later).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response ready for either adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (lower-case names); `content-type` is set by the constructors.
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// A JSON response. Serialization of our own types cannot fail; if it ever did, the
    /// caller gets a generic 500 rather than a panic.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::raw_json(status, body),
            Err(e) => {
                tracing::error!(error = %e, "response serialization failed");
                Self::raw_json(
                    500,
                    br#"{"error":{"code":"internal","message":"an internal error occurred","request_id":""}}"#
                        .to_vec(),
                )
            }
        }
    }

    /// A response whose body is already JSON bytes.
    pub fn raw_json(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "application/json".into()),
                // JSON is never to be sniffed as HTML, whatever users put in strings.
                ("x-content-type-options", "nosniff".into()),
            ],
            body,
        }
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Gzips the body when the client's `Accept-Encoding` allows it and the body is large
    /// enough to gain. Run answers carry tens of thousands of dated points (hundreds of KB
    /// of JSON that shrink about five-fold), and neither API Gateway nor CloudFront's
    /// uncached `/api/*` behavior compresses them, so the route layer does, once, for
    /// both the Lambdas and `auster serve`.
    pub fn gzip_if_accepted(mut self, accept_encoding: Option<&str>) -> Self {
        if self.body.len() < GZIP_MIN_BYTES
            || self.header("content-encoding").is_some()
            || !accepts_gzip(accept_encoding.unwrap_or(""))
        {
            return self;
        }
        use std::io::Write;
        // Level 1: most of the size gain at a fraction of the CPU of the default level,
        // which matters on a small Lambda.
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(self.body.len() / 4),
            flate2::Compression::fast(),
        );
        match enc.write_all(&self.body).and_then(|()| enc.finish()) {
            Ok(gz) => {
                self.body = gz;
                self.headers.push(("content-encoding", "gzip".into()));
                self.headers.push(("vary", "accept-encoding".into()));
            }
            Err(e) => tracing::warn!(error = %e, "gzip failed; answering uncompressed"),
        }
        self
    }
}

/// Bodies shorter than this are sent as they are: below about one packet gzip gains nothing.
const GZIP_MIN_BYTES: usize = 1400;

/// Whether an `Accept-Encoding` value allows gzip (`gzip` or `*` with a non-zero quality).
fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                == Some(0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::{accepts_gzip, ApiResponse};

    #[test]
    fn accept_encoding_is_read_with_its_qualities() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0, br"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn large_bodies_are_gzipped_and_round_trip() {
        use std::io::Read;
        let body: Vec<u8> = format!("[{}0]", "1234.5678,".repeat(1_000)).into_bytes();
        let resp = ApiResponse::raw_json(200, body.clone()).gzip_if_accepted(Some("gzip"));
        assert_eq!(resp.header("content-encoding"), Some("gzip"));
        assert_eq!(resp.header("vary"), Some("accept-encoding"));
        assert!(resp.body.len() < body.len() / 4, "{}", resp.body.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&resp.body[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
        let plain = ApiResponse::raw_json(200, body.clone()).gzip_if_accepted(None);
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(plain.body, body);
        let small = ApiResponse::raw_json(200, b"{}".to_vec()).gzip_if_accepted(Some("gzip"));
        assert_eq!(small.header("content-encoding"), None);
    }

    use super::*;

    #[test]
    fn query_strings_decode() {
        let q = ApiRequest::parse_query("q=mean+rev%C3%A9&tag=a%2Fb&bad=%zz&empty=&x");
        assert_eq!(q[0], ("q".into(), "mean revé".into()));
        assert_eq!(q[1].1, "a/b");
        assert_eq!(q[2].1, "%zz");
        assert_eq!(q[3].1, "");
        assert_eq!(q[4], ("x".into(), "".into()));
    }

    #[test]
    fn truncated_escapes_stay_literal() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}
