//! API Gateway events as `twin invoke` input: a request file may be a bare request or an event whose
//! `body` is one (HTTP API v2 or REST v1 shape).

use base64::Engine;

/// If `v` looks like an API Gateway proxy event, its body bytes (base64-decoded when flagged).
pub fn body_of_event(v: &serde_json::Value) -> Option<Result<Vec<u8>, String>> {
    let obj = v.as_object()?;
    if !(obj.contains_key("requestContext")
        || obj.contains_key("routeKey")
        || obj.contains_key("httpMethod"))
    {
        return None;
    }
    let body = match obj.get("body") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let b64 = obj
        .get("isBase64Encoded")
        .and_then(|b| b.as_bool())
        .unwrap_or(false);
    Some(if b64 {
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("event body is not valid base64: {e}"))
    } else {
        Ok(body.into_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_plain_and_base64_bodies() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"routeKey": "POST /x", "body": "{\"a\":1}"}"#).unwrap();
        assert_eq!(body_of_event(&v).unwrap().unwrap(), br#"{"a":1}"#);
        let v: serde_json::Value = serde_json::from_str(
            r#"{"requestContext": {}, "body": "e30=", "isBase64Encoded": true}"#,
        )
        .unwrap();
        assert_eq!(body_of_event(&v).unwrap().unwrap(), b"{}");
        let v: serde_json::Value = serde_json::from_str(r#"{"soc_pct": 1}"#).unwrap();
        assert!(body_of_event(&v).is_none());
    }
}
