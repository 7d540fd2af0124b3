//! The error contract of API.md: `{"error": {"code", "message", "field"}}` with a 4xx status for
//! anything the caller sent, 5xx only for our own failures.

use serde::Serialize;

/// An error reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Machine-readable code.
    pub code: &'static str,
    /// Human message.
    pub message: String,
    /// Dotted path of the offending field, when one is to blame.
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// 400 `invalid_request` naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        let message = if field.is_empty() || message.starts_with(&field) {
            message
        } else {
            format!("{field}: {message}")
        };
        Self {
            status: 400,
            code: "invalid_request",
            message,
            field: if field.is_empty() { None } else { Some(field) },
        }
    }
    /// 400 `malformed_json`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "malformed_json",
            message: message.into(),
            field: None,
        }
    }
    /// 422 `unprocessable`: well-formed but impossible.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        Self {
            status: 422,
            code: "unprocessable",
            message: format!("{field}: {}", message.into()),
            field: Some(field),
        }
    }
    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            code: "not_found",
            message: message.into(),
            field: None,
        }
    }
    /// 405 `method_not_allowed`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self {
            status: 405,
            code: "method_not_allowed",
            message: message.into(),
            field: None,
        }
    }
    /// 413 `too_large`, naming the limit.
    pub fn too_large(field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            status: 413,
            code: "too_large",
            message: message.into(),
            field: field.map(str::to_string),
        }
    }
    /// 501 `not_implemented`.
    pub fn not_implemented(what: &str) -> Self {
        Self {
            status: 501,
            code: "not_implemented",
            message: format!("{what} is not implemented yet"),
            field: None,
        }
    }
    /// 500 `internal`: our failure, never the caller's.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self {
            status: 500,
            code: "internal",
            message: format!("internal error: {e}"),
            field: None,
        }
    }
    /// 503 `unavailable`: a transient dependency failure; retry.
    pub fn unavailable(e: impl std::fmt::Display) -> Self {
        Self {
            status: 503,
            code: "unavailable",
            message: format!("temporarily unavailable: {e}"),
            field: None,
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        })
        .unwrap_or(serde_json::Value::Null)
    }
}

impl From<twin_model::ModelError> for ApiError {
    fn from(e: twin_model::ModelError) -> Self {
        use twin_model::ModelError as M;
        match e {
            M::Invalid { field, message } => ApiError::invalid(field, message),
            M::Impossible { field, message } => ApiError::unprocessable(field, message),
            M::UnknownVehicle(id) => {
                ApiError::invalid("vehicle.model", format!("unknown vehicle model `{id}`"))
            }
        }
    }
}
