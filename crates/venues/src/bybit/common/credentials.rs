//! API credentials (SPEC 9: secrets only from the environment; never logged or stored: the
//! `Debug` form redacts both fields and there is no `Display`).

use std::fmt;

use crate::VenueError;

/// Environment variable holding the API key.
pub const API_KEY_VAR: &str = "BYBIT_API_KEY";
/// Environment variable holding the API secret.
pub const API_SECRET_VAR: &str = "BYBIT_API_SECRET";

/// A Bybit API key and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    api_key: String,
    secret: String,
}

impl Credentials {
    /// Reads `BYBIT_API_KEY` and `BYBIT_API_SECRET` (the only source in the product).
    pub fn from_env() -> Result<Self, VenueError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads both variables through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, VenueError> {
        let read = |variable: &'static str| {
            lookup(variable)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .ok_or(VenueError::MissingCredentials { variable })
        };
        Ok(Self {
            api_key: read(API_KEY_VAR)?,
            secret: read(API_SECRET_VAR)?,
        })
    }

    /// Credentials given directly (tests and the local mock exchange).
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            secret: secret.into(),
        }
    }

    /// The key is sent in headers and the auth op; it is not secret, but is still not logged.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub(crate) fn secret(&self) -> &[u8] {
        self.secret.as_bytes()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("api_key", &"<redacted>")
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_and_missing_variables_are_named() {
        let credentials = Credentials::new("my-key-123", "my-secret-456");
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("my-key-123") && !debug.contains("my-secret-456"));
        assert!(debug.contains("<redacted>"));
        let error = Credentials::from_lookup(|name| (name == API_KEY_VAR).then(|| "k".to_owned()))
            .unwrap_err();
        assert!(error.to_string().contains(API_SECRET_VAR));
        let both = Credentials::from_lookup(|name| Some(format!("{name}-value"))).unwrap();
        assert_eq!(both.api_key(), "BYBIT_API_KEY-value");
    }
}
