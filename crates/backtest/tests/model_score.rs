//! `strategy.kind: model_score`: the shipped config builds its strategy from the committed
//! model directory, and a missing model is a clear configuration error.

use std::path::Path;

use auction_trader_backtest::{BacktestConfig, build_strategy};

fn repository(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
        .display()
        .to_string()
}

#[test]
fn the_shipped_config_loads_its_model() {
    let mut config = BacktestConfig::load(Path::new(&repository("configs/bitflyer-model.yaml")))
        .expect("config parses");
    // Paths in configs are relative to the repository root (where commands run).
    config.strategy.model_score.model = repository(&config.strategy.model_score.model);
    let strategy = build_strategy(&config).expect("strategy builds");
    assert_eq!(strategy.name(), "model_score");
    assert!(strategy.wants_market_events());
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let mut config = BacktestConfig::load(Path::new(&repository("configs/bitflyer-model.yaml")))
        .expect("config parses");
    config.strategy.model_score.model = repository("models/no-such-model");
    let error = build_strategy(&config).err().expect("no model").to_string();
    assert!(error.contains("strategy.model_score.model"), "{error}");
    assert!(error.contains("no-such-model"), "{error}");
    let mut unset = config.clone();
    unset.strategy.model_score.model.clear();
    assert!(unset.validate().is_err());
}
