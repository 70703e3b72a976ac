//! The store's location: a `postgres://USER@HOST:PORT/DB` URL. The password is never taken
//! from a config file: it comes from the URL when given there, else from `PGPASSWORD` (the
//! variable libpq and psql read), and it is redacted wherever the URL is shown.

use std::time::Duration;

use postgres::{Client, NoTls};
use tokio_postgres::Config;

use crate::PgStoreError;

/// How long a connection attempt may take before it is reported as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed PostgreSQL location.
#[derive(Clone)]
pub struct PgLocation {
    config: Config,
    /// For messages: the URL without its password.
    shown: String,
    /// The URL itself carried a password (a config file must not: SPEC 9 secrets).
    password_in_url: bool,
}

impl std::fmt::Debug for PgLocation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.shown)
    }
}

impl std::fmt::Display for PgLocation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.shown)
    }
}

/// Whether `text` names a PostgreSQL store (rather than a data directory).
pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl PgLocation {
    /// Parses `url`; `env_password` is `PGPASSWORD`'s value (passed in so tests and callers
    /// decide where it comes from).
    pub fn parse(url: &str, env_password: Option<String>) -> Result<Self, PgStoreError> {
        let invalid = |message: String| PgStoreError::InvalidUrl {
            url: redact(url),
            message,
        };
        if !is_postgres_url(url) {
            return Err(invalid(
                "expected postgres://USER@HOST:PORT/DATABASE".to_owned(),
            ));
        }
        let mut config: Config = url.parse().map_err(|error: tokio_postgres::Error| {
            invalid(match std::error::Error::source(&error) {
                Some(cause) => cause.to_string(),
                None => error.to_string(),
            })
        })?;
        if config.get_hosts().is_empty() {
            return Err(invalid("no host".to_owned()));
        }
        if config.get_user().is_none() {
            return Err(invalid(
                "no user (postgres://USER@HOST:PORT/DATABASE)".to_owned(),
            ));
        }
        if config.get_dbname().is_none() {
            return Err(invalid("no database name (…/DATABASE)".to_owned()));
        }
        let password_in_url = config.get_password().is_some();
        if !password_in_url
            && let Some(password) = env_password.filter(|password| !password.is_empty())
        {
            config.password(password);
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("auction-trader");
        Ok(Self {
            config,
            shown: redact(url),
            password_in_url,
        })
    }

    /// Whether the URL itself carried the password (rather than `PGPASSWORD`).
    pub fn password_in_url(&self) -> bool {
        self.password_in_url
    }

    /// Parses `url` with the password from `PGPASSWORD` when the URL has none.
    pub fn from_url(url: &str) -> Result<Self, PgStoreError> {
        Self::parse(url, std::env::var("PGPASSWORD").ok())
    }

    /// A new connection (no TLS: the scale-out store runs on a trusted network; put a TLS
    /// proxy in front otherwise, see docs/postgres.md).
    pub fn connect(&self) -> Result<Client, PgStoreError> {
        postgres::Config::from(self.config.clone())
            .connect(NoTls)
            .map_err(|error| self.connect_error(&error))
    }

    /// A new asynchronous connection, driven by a task spawned on the current tokio runtime
    /// (a read stream's own: see `read_worker`).
    pub(crate) async fn connect_async(&self) -> Result<tokio_postgres::Client, PgStoreError> {
        let (client, connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|error| self.connect_error(&error))?;
        // A broken connection also fails the client's pending calls: its result is not needed.
        tokio::spawn(connection);
        Ok(client)
    }

    fn connect_error(&self, error: &tokio_postgres::Error) -> PgStoreError {
        PgStoreError::Connect {
            target: self.shown.clone(),
            message: crate::error::describe(error),
        }
    }
}

/// `url` with any password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_url_parses_and_the_password_comes_from_the_environment() {
        let location = PgLocation::parse(
            "postgres://trader@db.local:5433/ticks",
            Some("s3cret".into()),
        )
        .unwrap();
        assert_eq!(location.config.get_user(), Some("trader"));
        assert_eq!(location.config.get_ports(), &[5433]);
        assert_eq!(location.config.get_dbname(), Some("ticks"));
        assert_eq!(location.config.get_password(), Some(&b"s3cret"[..]));
        assert!(!location.password_in_url());
        assert_eq!(
            location.to_string(),
            "postgres://trader@db.local:5433/ticks"
        );
    }

    #[test]
    fn a_password_in_the_url_wins_and_is_never_shown() {
        let location =
            PgLocation::parse("postgresql://trader:pw@h:1/d", Some("other".into())).unwrap();
        assert_eq!(location.config.get_password(), Some(&b"pw"[..]));
        assert!(location.password_in_url());
        assert_eq!(location.to_string(), "postgresql://trader:***@h:1/d");
        assert_eq!(format!("{location:?}"), "postgresql://trader:***@h:1/d");
    }

    #[test]
    fn bad_urls_are_refused_with_the_reason() {
        let message = |url: &str| PgLocation::parse(url, None).unwrap_err().to_string();
        assert!(message("mysql://u@h/d").contains("expected postgres://"));
        assert!(message("postgres://h:5432/d").contains("no user"));
        assert!(message("postgres://u@h:5432").contains("no database"));
        assert!(message("postgres://u:pw@h:notaport/d").contains("invalid PostgreSQL URL"));
        assert!(!message("postgres://u:pw@h:notaport/d").contains("pw@"));
    }
}
