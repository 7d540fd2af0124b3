//! Parsing and checking requests at the boundary: every failure names its field.

use crate::error::ApiError;
use serde::de::DeserializeOwned;

/// Parses a JSON body into `T`, turning serde errors into 400s that name the field path.
/// Unknown fields are refused by the wire types (`deny_unknown_fields`).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => return Err(from_path_error(e)),
    };
    if let Err(e) = de.end() {
        return Err(ApiError::malformed(format!("malformed JSON: {e}")));
    }
    Ok(value)
}

fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::malformed(format!("malformed JSON: {inner}"))
        }
        Category::Data => {
            let msg = strip_position(&inner.to_string());
            let mut field = if path == "." { String::new() } else { path };
            if let Some(name) = msg
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                if !(field == name || field.ends_with(&format!(".{name}"))) {
                    field = if field.is_empty() {
                        name.to_string()
                    } else {
                        format!("{field}.{name}")
                    };
                }
            } else if let Some(name) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
            }
            ApiError::invalid(field, msg)
        }
    }
}

fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// A finite number within `[lo, hi]`.
pub fn range(field: &str, v: f64, lo: f64, hi: f64) -> Result<f64, ApiError> {
    if !v.is_finite() {
        return Err(ApiError::invalid(field, "must be a finite number"));
    }
    if v < lo || v > hi {
        return Err(ApiError::invalid(
            field,
            format!("must be between {lo} and {hi}, got {v}"),
        ));
    }
    Ok(v)
}

/// A finite number strictly above `lo` and at most `hi`.
pub fn positive(field: &str, v: f64, hi: f64) -> Result<f64, ApiError> {
    if !v.is_finite() {
        return Err(ApiError::invalid(field, "must be a finite number"));
    }
    if v <= 0.0 || v > hi {
        return Err(ApiError::invalid(
            field,
            format!("must be > 0 and at most {hi}, got {v}"),
        ));
    }
    Ok(v)
}

/// An optional number within range.
pub fn opt_range(field: &str, v: Option<f64>, lo: f64, hi: f64) -> Result<Option<f64>, ApiError> {
    v.map(|x| range(field, x, lo, hi)).transpose()
}

/// A state of charge in percent, 0–100.
pub fn soc(field: &str, v: f64) -> Result<f64, ApiError> {
    range(field, v, 0.0, 100.0)
}

/// An identifier safe to use in storage keys and file names: 1–128 of `[A-Za-z0-9._:-]`, not `.`/`..`.
pub fn id(field: &str, v: &str) -> Result<(), ApiError> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v != "."
        && v != ".."
        && !v.contains("..")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "must be 1-128 characters of A-Z a-z 0-9 . _ - : (no `..`)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        a: f64,
    }

    #[test]
    fn unknown_nested_field_is_named() {
        let e = parse::<Outer>(br#"{"inner": {"a": 1, "b": 2}}"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.field.as_deref(), Some("inner.b"));
    }

    #[test]
    fn wrong_type_names_the_path() {
        let e = parse::<Outer>(br#"{"inner": {"a": "x"}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.a"));
    }

    #[test]
    fn nan_and_garbage_are_malformed() {
        assert_eq!(
            parse::<Outer>(br#"{"inner": {"a": NaN}}"#)
                .unwrap_err()
                .code,
            "malformed_json"
        );
        assert_eq!(parse::<Outer>(b"{").unwrap_err().code, "malformed_json");
        assert_eq!(
            parse::<Outer>(br#"{"inner": {"a": 1}} x"#)
                .unwrap_err()
                .code,
            "malformed_json"
        );
    }

    #[test]
    fn ids_refuse_traversal() {
        assert!(id("id", "bus_01").is_ok());
        assert!(id("id", "../etc").is_err());
        assert!(id("id", "a/b").is_err());
        assert!(id("id", "bus\u{e9}").is_err());
        assert!(id("id", "").is_err());
    }
}
