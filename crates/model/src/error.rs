//! The model crate's one error type.

use std::path::PathBuf;

/// What can go wrong when training, reading or using a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A parameter or option is out of range.
    #[error("invalid {field}: {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// The training data cannot be used (missing column, too few rows, one class only).
    #[error("data: {0}")]
    Data(String),
    /// A model file is not a LightGBM text model this crate understands.
    #[error("model file line {line}: {reason}")]
    Format { line: usize, reason: String },
    /// The manifest does not match the model or cannot be parsed.
    #[error("manifest: {0}")]
    Manifest(String),
    /// The cause is in the message (not a `source`), so error chains print it once.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

impl ModelError {
    pub(crate) fn io(path: &std::path::Path, cause: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            cause,
        }
    }

    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}
