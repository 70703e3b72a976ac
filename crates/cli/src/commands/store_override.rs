//! `--data-dir` / `--store` of the commands that run a config: which tick store the run API
//! opens (the config's `data.dir` and `storage.url`, overridden).

use std::path::PathBuf;

use auction_trader_backtest::BacktestConfig;
use auction_trader_store_postgres::is_postgres_url;
use clap::Args;

#[derive(Debug, Clone, Default, Args)]
pub struct StoreOverride {
    /// Override `data.dir`: the data directory to read (and import the listed files into).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Override `storage.url`: read (and import) the ticks in this PostgreSQL store
    /// (postgres://USER@HOST:PORT/DB, password from PGPASSWORD); a directory is the same as
    /// --data-dir.
    #[arg(long)]
    pub store: Option<String>,
}

impl StoreOverride {
    /// Applies the overrides: `--data-dir` sets `data.dir`; `--store` sets `storage.url` (a
    /// `postgres://` URL) or `data.dir` (a directory, then no `storage.url`), as `import
    /// --store` takes it. The caller validates the config afterwards.
    pub fn apply(&self, config: &mut BacktestConfig) {
        if let Some(directory) = &self.data_dir {
            config.data.dir = directory.clone();
        }
        match &self.store {
            Some(url) if is_postgres_url(url) => config.storage.url = Some(url.clone()),
            Some(directory) => {
                config.data.dir = PathBuf::from(directory);
                config.storage.url = None;
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BacktestConfig {
        BacktestConfig::parse(
            "data:\n  venue: bitflyer\n  symbol: BTC_JPY\nstorage:\n  url: postgres://u@h:1/d\n",
        )
        .unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn a_url_sets_the_storage_and_a_directory_replaces_it() {
        let mut with_url = config();
        StoreOverride {
            data_dir: Some(PathBuf::from("elsewhere")),
            store: Some("postgresql://v@k:2/e".to_owned()),
        }
        .apply(&mut with_url);
        assert_eq!(
            with_url.storage.url.as_deref(),
            Some("postgresql://v@k:2/e")
        );
        assert_eq!(with_url.data.dir, PathBuf::from("elsewhere"));

        let mut with_directory = config();
        StoreOverride {
            data_dir: None,
            store: Some("local-data".to_owned()),
        }
        .apply(&mut with_directory);
        assert_eq!(with_directory.storage.url, None);
        assert_eq!(with_directory.data.dir, PathBuf::from("local-data"));

        let mut untouched = config();
        StoreOverride::default().apply(&mut untouched);
        assert_eq!(untouched, config());
    }
}
