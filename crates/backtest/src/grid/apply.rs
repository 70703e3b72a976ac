//! Setting a combination's values on the base config: any key of the effective config by its
//! dotted path (`strategy.sma_cross.fast`), checked by the config's own parser and validation.

use yaml_serde::Value;

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::grid::sweep::Combination;

/// Keys a grid may not vary: the data and run sections (a grid decodes its data once and
/// writes one database).
const FIXED_SECTIONS: [&str; 2] = ["data", "run"];

/// SPEC 2.5/6: the toxicity decay priors are regularization priors, never optimized on P&L.
const PRIORS: [&str; 4] = ["base_lambda", "alpha", "beta", "gamma"];

/// Whether `key` is one of the toxicity priors.
pub fn is_toxicity_prior(key: &str) -> bool {
    let mut parts = key.rsplitn(2, '.');
    let last = parts.next().unwrap_or_default();
    let parent = parts.next().unwrap_or_default();
    parent.ends_with("toxicity") && PRIORS.contains(&last)
}

/// Refuses keys a grid may not vary.
pub fn check_key(key: &str, force_priors: bool) -> Result<(), BacktestError> {
    let section = key.split('.').next().unwrap_or_default();
    if FIXED_SECTIONS.contains(&section) {
        return Err(BacktestError::Config(format!(
            "sweep: {key}: the {section} section cannot be swept (a grid replays one data set)"
        )));
    }
    if is_toxicity_prior(key) && !force_priors {
        return Err(BacktestError::Config(format!(
            "sweep: {key} is a toxicity prior (SPEC 2.5: fixed, never optimized on P&L); pass \
             --force-priors to sweep it anyway (the grid is labelled)"
        )));
    }
    Ok(())
}

/// The value at a dotted path of a YAML tree.
pub fn lookup<'a>(tree: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(tree, |node, part| node.get(part))
}

fn set(tree: &mut Value, key: &str, value: Value) -> Result<(), BacktestError> {
    let mut node = tree;
    let parts: Vec<&str> = key.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        let Value::Mapping(map) = node else {
            return Err(BacktestError::Config(format!(
                "sweep: {key}: {} is not a section",
                parts[..index].join(".")
            )));
        };
        let entry = Value::from(*part);
        let last = index + 1 == parts.len();
        // Optional keys absent from the effective config (`null`) are still known keys.
        if !map.contains_key(&entry) {
            return Err(BacktestError::Config(format!(
                "sweep: unknown config key {key} (see the effective config of a run)"
            )));
        }
        if last {
            map.insert(entry, value);
            return Ok(());
        }
        node = map
            .get_mut(&entry)
            .ok_or_else(|| BacktestError::Config(format!("sweep: unknown config key {key}")))?;
    }
    Ok(())
}

/// The base config as a YAML tree (every default written out).
pub fn config_tree(base: &BacktestConfig) -> Result<Value, BacktestError> {
    yaml_serde::to_value(base).map_err(|error| BacktestError::Config(error.to_string()))
}

/// `base` with the combination's values set, parsed and validated like a config file.
pub fn apply(tree: &Value, combination: &Combination) -> Result<BacktestConfig, BacktestError> {
    let mut tree = tree.clone();
    for (key, value) in &combination.values {
        set(&mut tree, key, value.clone())?;
    }
    let config: BacktestConfig = yaml_serde::from_value(tree).map_err(|error| {
        BacktestError::Config(format!(
            "combination {}: {error}",
            combination.params_json()
        ))
    })?;
    config.validate().map_err(|error| {
        BacktestError::Config(format!(
            "combination {}: {error}",
            combination.params_json()
        ))
    })?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BacktestConfig {
        BacktestConfig::parse("data:\n  venue: v\n  symbol: S\nstrategy:\n  kind: sma_cross\n")
            .unwrap()
    }

    fn combination(values: &[(&str, Value)]) -> Combination {
        Combination {
            seq: 0,
            values: values
                .iter()
                .map(|(key, value)| ((*key).to_owned(), value.clone()))
                .collect(),
        }
    }

    #[test]
    fn any_key_is_set_and_checked() {
        let tree = config_tree(&base()).unwrap();
        let config = apply(
            &tree,
            &combination(&[
                ("strategy.sma_cross.fast", Value::from(7)),
                ("instrument.taker_fee_bps", Value::from(4.5)),
            ]),
        )
        .unwrap();
        assert_eq!(config.strategy.sma_cross.fast, 7);
        assert_eq!(config.instrument.taker_fee_bps, Some(4.5));
        let unknown = apply(
            &tree,
            &combination(&[("strategy.sma_cross.fastest", Value::from(7))]),
        );
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown config key")
        );
        let invalid = apply(
            &tree,
            &combination(&[("strategy.sma_cross.fast", Value::from(90))]),
        );
        assert!(invalid.unwrap_err().to_string().contains("shorter"));
    }

    #[test]
    fn priors_data_and_run_are_refused() {
        assert!(check_key("strategy.drain.toxicity.alpha", false).is_err());
        assert!(check_key("strategy.drain.toxicity.alpha", true).is_ok());
        assert!(check_key("data.symbol", true).is_err());
        assert!(check_key("run.name", true).is_err());
        assert!(check_key("strategy.sma_cross.fast", false).is_ok());
    }
}
