//! Artifact keys: one spelling that is a safe relative path on disk and a plain S3 key.

use crate::error::StoreError;

/// Longest key accepted (S3's limit is 1024 bytes).
pub const MAX_KEY_LEN: usize = 1024;

/// Checks that `key` is a clean relative path: non-empty segments of `[A-Za-z0-9._=+-]`
/// separated by single `/`, none starting with `.` (so no `.`/`..` and no hidden files).
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let bad = |reason| {
        Err(StoreError::InvalidKey {
            key: key.to_owned(),
            reason,
        })
    };
    if key.is_empty() {
        return bad("empty");
    }
    if key.len() > MAX_KEY_LEN {
        return bad("longer than 1024 bytes");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return bad("empty path segment (leading, trailing or double '/')");
        }
        if segment.starts_with('.') {
            return bad("a path segment starts with '.'");
        }
        if !segment.bytes().all(is_key_byte) {
            return bad("only [A-Za-z0-9._=+-] and '/' are allowed");
        }
    }
    Ok(())
}

/// A list prefix: empty, or a key-like string that may end with `/`.
pub(crate) fn validate_prefix(prefix: &str) -> Result<(), StoreError> {
    if prefix.is_empty() {
        return Ok(());
    }
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    // A partial last segment such as `runs/r1/so` is fine: it is checked like a key.
    validate_key(trimmed).map_err(|_| StoreError::InvalidKey {
        key: prefix.to_owned(),
        reason: "a list prefix must be empty or a key, optionally ending with '/'",
    })
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'=' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_relative_paths_are_keys() {
        for ok in ["a", "runs/r-1/soc.csv", "plans/depot=north/2026-12-04.json"] {
            validate_key(ok).unwrap();
        }
    }

    #[test]
    fn paths_that_escape_or_hide_are_refused() {
        for bad in [
            "", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".hidden", "a\\b", "a b", "é",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
        assert!(validate_key(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn prefixes_may_be_empty_or_end_with_a_slash() {
        validate_prefix("").unwrap();
        validate_prefix("runs/").unwrap();
        validate_prefix("runs/r1/so").unwrap();
        assert!(validate_prefix("/").is_err());
        assert!(validate_prefix("../").is_err());
    }
}
