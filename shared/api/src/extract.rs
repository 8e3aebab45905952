//! Turning raw requests into typed inputs: JSON bodies, query values and the caller.

use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::request::ApiRequest;

/// Parses a JSON body into `T`; errors name the field (`/inputs/lookback`) and what was
/// wrong, and never echo the whole body.
pub fn json_body<T: DeserializeOwned>(req: &ApiRequest) -> Result<T, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(
            "",
            "the request body is empty; send a JSON object (Content-Type: application/json)",
        ));
    }
    let text = std::str::from_utf8(&req.body).map_err(|e| {
        ApiError::invalid(
            "",
            format!(
                "the request body is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    let de = &mut serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut *de) {
        Ok(v) => {
            de.end().map_err(|e| {
                ApiError::invalid("", format!("the request body is not valid JSON: {e}"))
            })?;
            Ok(v)
        }
        Err(e) => {
            let path = pointer(e.path());
            let inner = e.into_inner();
            let message = if inner.is_syntax() || inner.is_eof() {
                format!("the request body is not valid JSON: {inner}")
            } else if path.is_empty() {
                format!("the request body does not have the expected shape: {inner}")
            } else {
                format!("{path}: {inner}")
            };
            Err(ApiError::invalid(&path, message))
        }
    }
}

/// Parses a JSON body into a `serde_json::Value` object (for model files, which the
/// engine checks field by field).
pub fn json_object(req: &ApiRequest) -> Result<serde_json::Value, ApiError> {
    let v: serde_json::Value = json_body(req)?;
    if !v.is_object() {
        return Err(ApiError::invalid(
            "",
            "the request body must be a JSON object",
        ));
    }
    Ok(v)
}

/// Converts serde_path_to_error's path (`inputs.lookback`, `tags[2]`) to a JSON pointer.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape(key))),
            Segment::Enum { variant } => out.push_str(&format!("/{}", escape(variant))),
            Segment::Unknown => {}
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A required query value.
pub fn required_query<'a>(req: &'a ApiRequest, name: &str) -> Result<&'a str, ApiError> {
    match req.query_param(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::invalid(
            &format!("/query/{name}"),
            format!("the query parameter `{name}` is required"),
        )),
    }
}

/// A path parameter the router filled.
pub fn path_param(req: &ApiRequest, name: &str) -> Result<String, ApiError> {
    req.path_param(name)
        .map(str::to_string)
        .ok_or_else(|| ApiError::invalid(&format!("/path/{name}"), format!("missing `{name}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auster_types::api::RateRequest;

    fn req(body: &str) -> ApiRequest {
        ApiRequest {
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        let e =
            json_body::<RateRequest>(&req(r#"{"model_slug":"x","rating":"five"}"#)).unwrap_err();
        assert_eq!(e.status(), 400);
        let ApiError::InvalidRequest { details, .. } = e else {
            panic!()
        };
        assert_eq!(details[0].path, "/rating");
    }

    #[test]
    fn malformed_json_and_empty_bodies_are_400() {
        for b in ["{", "", "   ", "{\"a\": }", "[1,2"] {
            let e = json_body::<serde_json::Value>(&req(b)).unwrap_err();
            assert_eq!(e.status(), 400, "{b}");
        }
        let e = json_body::<RateRequest>(&req("{\"model_slug\":\"a\u{0001}\"}")).unwrap_err();
        assert!(e.to_string().contains("control character"), "{e}");
    }

    #[test]
    fn non_utf8_bodies_are_400() {
        let r = ApiRequest {
            body: vec![b'{', 0xff, b'}'],
            ..Default::default()
        };
        assert_eq!(
            json_body::<serde_json::Value>(&r).unwrap_err().status(),
            400
        );
    }
}
