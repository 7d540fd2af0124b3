//! Errors of the model crate.

/// What can go wrong inside a model computation. Inputs are validated at the API boundary, so these
/// mostly report physically impossible combinations (a curve that delivers no power, say).
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ModelError {
    /// A parameter is outside its physical range; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// Dotted name of the offending parameter, as on the wire.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Well-formed input that cannot be computed (e.g. zero charging power everywhere).
    #[error("{field}: {message}")]
    Impossible {
        /// Dotted name of the parameter that makes it impossible.
        field: String,
        /// Why.
        message: String,
    },
    /// An unknown catalogue id.
    #[error("unknown vehicle model `{0}`")]
    UnknownVehicle(String),
}

impl ModelError {
    /// Shorthand for [`ModelError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
    /// Shorthand for [`ModelError::Impossible`].
    pub fn impossible(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Impossible {
            field: field.into(),
            message: message.into(),
        }
    }
}
