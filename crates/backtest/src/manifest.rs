//! The run manifest (SPEC 6): the effective config, the content hashes of the input
//! partitions and the program version, stored with every run (`manifest.json`) and grid, so
//! a run can be re-made byte for byte and two runs can be told apart.

use auction_trader_data::store_replay::selected_streams;
use auction_trader_storage::part_hashes::PartHash;
use auction_trader_store_postgres::StoreBackend;
use auction_trader_types::{UnixNanos, fnv1a_64};
use serde::{Deserialize, Serialize};

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::run_config::replay_selection;

/// What a run was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunManifest {
    /// `auction-trader <version>` of the crates that ran it.
    pub program: String,
    /// The effective config (every default written out), as YAML.
    pub config: String,
    /// Every part file replayed, in read order, with its SHA-256.
    pub inputs: Vec<PartHash>,
    /// FNV-1a of the config and the input hashes: equal for runs of the same config over
    /// the same bytes, different otherwise.
    pub identity: String,
}

impl RunManifest {
    /// The manifest of `config` (effective YAML) over `inputs`, made by this program.
    pub fn new(config: String, inputs: Vec<PartHash>) -> Self {
        let mut identity = config.clone();
        for input in &inputs {
            identity.push('\n');
            identity.push_str(&input.content_hash);
        }
        Self {
            program: program_version(),
            config,
            inputs,
            identity: format!("{:016x}", fnv1a_64(identity.as_bytes())),
        }
    }

    pub fn to_json(&self) -> Result<String, BacktestError> {
        serde_json::to_string_pretty(self)
            .map(|mut text| {
                text.push('\n');
                text
            })
            .map_err(|error| BacktestError::Setup(format!("manifest.json: {error}")))
    }
}

/// `auction-trader <version>` of this program.
pub fn program_version() -> String {
    format!("auction-trader {}", env!("CARGO_PKG_VERSION"))
}

/// Every part file `config`'s replay reads from `store`, in read order, hashed.
pub fn run_inputs(
    config: &BacktestConfig,
    store: &StoreBackend,
) -> Result<Vec<PartHash>, BacktestError> {
    let selection = replay_selection(config)?;
    // The catalog's list only: opening the streams here would start reading them.
    let streams = selected_streams(store, &selection)?;
    let from = selection.from.unwrap_or(UnixNanos(i64::MIN));
    let to = selection.to.unwrap_or(UnixNanos::MAX);
    let mut inputs = Vec::new();
    for stream in &streams {
        inputs.extend(store.part_hashes(&stream.instrument, stream.kind, from, to)?);
    }
    Ok(inputs)
}

/// The manifest of `config`'s run over `store` (after import-if-missing).
pub fn run_manifest(
    config: &BacktestConfig,
    store: &StoreBackend,
) -> Result<RunManifest, BacktestError> {
    Ok(RunManifest::new(
        config.to_yaml()?,
        run_inputs(config, store)?,
    ))
}
