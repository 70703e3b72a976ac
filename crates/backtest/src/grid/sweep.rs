//! The sweep file of a grid search (YAML): which config keys vary and how, and constraints
//! between them.
//!
//! ```yaml
//! parameters:
//!   strategy.sma_cross.fast: {range: {start: 5, end: 54, step: 1}}   # inclusive end
//!   strategy.sma_cross.slow: {values: [20, 50, 100]}
//!   risk.risk_per_trade: {log_range: {start: 0.001, end: 0.02, count: 5}}
//!   instrument.taker_fee_bps: {uniform: {min: 2, max: 8}}            # random search only
//! constraints:
//!   - strategy.sma_cross.fast < strategy.sma_cross.slow
//! samples: 200   # random search: draw this many combinations (seeded), else the full grid
//! seed: 7
//! ```
//!
//! Lists, ranges and log-ranges span the full grid (their cartesian product, first key
//! outermost, in file order). With `samples`, every combination draws each key at random
//! instead (a list's element, or a value of `uniform` / `log_uniform` / `int_uniform`) from a
//! seeded generator: the same file gives the same combinations. Combinations that break a
//! constraint are left out; duplicates are kept once.

use std::collections::BTreeMap;

use auction_trader_types::SplitMix64;
use serde::Deserialize;
use yaml_serde::Value;

use crate::error::BacktestError;

/// How one key varies.
#[derive(Debug, Clone, PartialEq)]
pub enum ParameterSpec {
    Values(Vec<Value>),
    Range { start: f64, end: f64, step: f64 },
    LogRange { start: f64, end: f64, count: u32 },
    Uniform { min: f64, max: f64 },
    LogUniform { min: f64, max: f64 },
    IntUniform { min: i64, max: i64 },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Span {
    start: f64,
    end: f64,
    #[serde(default)]
    step: Option<f64>,
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bounds<T> {
    min: T,
    max: T,
}

/// The YAML form of a spec: a map with exactly one of these keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFields {
    values: Option<Vec<Value>>,
    range: Option<Span>,
    log_range: Option<Span>,
    uniform: Option<Bounds<f64>>,
    log_uniform: Option<Bounds<f64>>,
    int_uniform: Option<Bounds<i64>>,
}

impl ParameterSpec {
    fn from_yaml(key: &str, value: &Value) -> Result<Self, BacktestError> {
        let fields: SpecFields = yaml_serde::from_value(value.clone())
            .map_err(|error| sweep_error(format!("{key}: {error}")))?;
        let mut specs = Vec::new();
        if let Some(values) = fields.values {
            specs.push(Self::Values(values));
        }
        if let Some(span) = fields.range {
            let step = span
                .step
                .ok_or_else(|| sweep_error(format!("{key}: range needs start, end and step")))?;
            specs.push(Self::Range {
                start: span.start,
                end: span.end,
                step,
            });
        }
        if let Some(span) = fields.log_range {
            let count = span.count.ok_or_else(|| {
                sweep_error(format!("{key}: log_range needs start, end and count"))
            })?;
            specs.push(Self::LogRange {
                start: span.start,
                end: span.end,
                count,
            });
        }
        if let Some(bounds) = fields.uniform {
            specs.push(Self::Uniform {
                min: bounds.min,
                max: bounds.max,
            });
        }
        if let Some(bounds) = fields.log_uniform {
            specs.push(Self::LogUniform {
                min: bounds.min,
                max: bounds.max,
            });
        }
        if let Some(bounds) = fields.int_uniform {
            specs.push(Self::IntUniform {
                min: bounds.min,
                max: bounds.max,
            });
        }
        match specs.len() {
            1 => Ok(specs.remove(0)),
            _ => Err(sweep_error(format!(
                "{key}: give exactly one of values, range, log_range, uniform, log_uniform, \
                 int_uniform"
            ))),
        }
    }
}

/// A parsed sweep file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Key → how it varies, in file order.
    pub parameters: yaml_serde::Mapping,
    #[serde(default)]
    pub constraints: Vec<String>,
    #[serde(default)]
    pub samples: Option<u64>,
    #[serde(default)]
    pub seed: u64,
}

/// One combination: the swept keys' values, in sweep order.
#[derive(Debug, Clone, PartialEq)]
pub struct Combination {
    /// Position in the sweep's order.
    pub seq: u64,
    pub values: Vec<(String, Value)>,
}

impl Combination {
    /// The parameters as one JSON object with sorted keys (the combination's identity).
    pub fn params_json(&self) -> String {
        let map: BTreeMap<&str, serde_json::Value> = self
            .values
            .iter()
            .map(|(key, value)| {
                (
                    key.as_str(),
                    serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect();
        serde_json::to_string(&map).unwrap_or_default()
    }

    /// The value of `key`, when swept.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }
}

fn sweep_error(message: impl Into<String>) -> BacktestError {
    BacktestError::Config(format!("sweep: {}", message.into()))
}

/// A number as a YAML value: an integer when it is one (and the spec was integral).
fn number(value: f64, integral: bool) -> Value {
    if integral && value.fract() == 0.0 && value.abs() < 9.0e15 {
        Value::from(value as i64)
    } else {
        Value::from(value)
    }
}

impl ParameterSpec {
    fn is_random(&self) -> bool {
        matches!(
            self,
            Self::Uniform { .. } | Self::LogUniform { .. } | Self::IntUniform { .. }
        )
    }

    /// The grid values of a list, range or log-range.
    fn grid_values(&self, key: &str) -> Result<Vec<Value>, BacktestError> {
        match self {
            Self::Values(values) if values.is_empty() => {
                Err(sweep_error(format!("{key}: values is empty")))
            }
            Self::Values(values) => Ok(values.clone()),
            Self::Range { start, end, step } => {
                if !(step.is_finite() && *step > 0.0 && start.is_finite() && end >= start) {
                    return Err(sweep_error(format!(
                        "{key}: range needs start <= end and a positive step"
                    )));
                }
                let integral = start.fract() == 0.0 && step.fract() == 0.0;
                let count = ((end - start) / step + 1e-9).floor() as u64 + 1;
                if count > 10_000_000 {
                    return Err(sweep_error(format!("{key}: range has {count} values")));
                }
                Ok((0..count)
                    .map(|index| number(start + index as f64 * step, integral))
                    .collect())
            }
            Self::LogRange { start, end, count } => {
                if !(*start > 0.0 && *end > 0.0 && *count >= 1) {
                    return Err(sweep_error(format!(
                        "{key}: log_range needs positive start and end and count >= 1"
                    )));
                }
                if *count == 1 {
                    return Ok(vec![number(*start, false)]);
                }
                let ratio = (end / start).ln() / f64::from(count - 1);
                Ok((0..*count)
                    .map(|index| number(start * (ratio * f64::from(index)).exp(), false))
                    .collect())
            }
            _ => Err(sweep_error(format!(
                "{key}: uniform, log_uniform and int_uniform need `samples` (random search)"
            ))),
        }
    }

    fn draw(&self, key: &str, random: &mut SplitMix64) -> Result<Value, BacktestError> {
        match self {
            Self::Uniform { min, max } if max >= min => {
                Ok(number(min + (max - min) * random.unit(), false))
            }
            Self::LogUniform { min, max } if *min > 0.0 && max >= min => Ok(number(
                (min.ln() + (max.ln() - min.ln()) * random.unit()).exp(),
                false,
            )),
            Self::IntUniform { min, max } if max >= min => {
                let span = (max - min) as u64 + 1;
                Ok(Value::from(min + (random.next_u64() % span) as i64))
            }
            Self::Uniform { .. } | Self::LogUniform { .. } | Self::IntUniform { .. } => {
                Err(sweep_error(format!(
                    "{key}: needs min <= max (and min > 0 for log_uniform)"
                )))
            }
            grid => {
                let values = grid.grid_values(key)?;
                Ok(values[(random.next_u64() % values.len() as u64) as usize].clone())
            }
        }
    }
}

/// A constraint `left op right` between keys or numbers.
#[derive(Debug, Clone, PartialEq)]
struct Constraint {
    left: String,
    op: String,
    right: String,
}

impl Constraint {
    fn parse(text: &str) -> Result<Self, BacktestError> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        match parts.as_slice() {
            [left, op, right] if ["<", "<=", ">", ">=", "==", "!="].contains(op) => Ok(Self {
                left: (*left).to_owned(),
                op: (*op).to_owned(),
                right: (*right).to_owned(),
            }),
            _ => Err(sweep_error(format!(
                "constraint {text:?}: expected `key op key-or-number` with op one of < <= > >= == !="
            ))),
        }
    }

    fn holds(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Result<bool, BacktestError> {
        let operand = |text: &str| {
            text.parse::<f64>()
                .ok()
                .or_else(|| lookup(text))
                .ok_or_else(|| {
                    sweep_error(format!(
                        "constraint operand {text:?} is neither a number nor a numeric key"
                    ))
                })
        };
        let (left, right) = (operand(&self.left)?, operand(&self.right)?);
        Ok(match self.op.as_str() {
            "<" => left < right,
            "<=" => left <= right,
            ">" => left > right,
            ">=" => left >= right,
            "==" => left == right,
            _ => left != right,
        })
    }
}

impl Sweep {
    pub fn parse(text: &str) -> Result<Self, BacktestError> {
        let sweep: Self =
            yaml_serde::from_str(text).map_err(|error| sweep_error(error.to_string()))?;
        if sweep.parameters.is_empty() {
            return Err(sweep_error("parameters is empty"));
        }
        Ok(sweep)
    }

    /// The keys and their specs, in file order.
    pub fn specs(&self) -> Result<Vec<(String, ParameterSpec)>, BacktestError> {
        self.parameters
            .iter()
            .map(|(key, spec)| {
                let key = key
                    .as_str()
                    .ok_or_else(|| sweep_error("parameter keys must be strings"))?
                    .to_owned();
                let spec = ParameterSpec::from_yaml(&key, spec)?;
                Ok((key, spec))
            })
            .collect()
    }

    /// Every combination, in sweep order, constraints applied. `base` gives the value of a
    /// key a constraint names but the sweep does not vary.
    pub fn combinations(
        &self,
        base: &dyn Fn(&str) -> Option<f64>,
    ) -> Result<Vec<Combination>, BacktestError> {
        let specs = self.specs()?;
        let constraints = self
            .constraints
            .iter()
            .map(|text| Constraint::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let mut candidates: Vec<Vec<(String, Value)>> = Vec::new();
        match self.samples {
            None => {
                if let Some((key, _)) = specs.iter().find(|(_, spec)| spec.is_random()) {
                    return Err(sweep_error(format!(
                        "{key}: uniform, log_uniform and int_uniform need `samples`"
                    )));
                }
                candidates.push(Vec::new());
                for (key, spec) in &specs {
                    let values = spec.grid_values(key)?;
                    let mut next = Vec::with_capacity(candidates.len() * values.len());
                    for prefix in &candidates {
                        for value in &values {
                            let mut combination = prefix.clone();
                            combination.push((key.clone(), value.clone()));
                            next.push(combination);
                        }
                    }
                    candidates = next;
                }
            }
            Some(samples) => {
                let mut random = SplitMix64::new(self.seed);
                for _ in 0..samples {
                    let combination = specs
                        .iter()
                        .map(|(key, spec)| Ok((key.clone(), spec.draw(key, &mut random)?)))
                        .collect::<Result<Vec<_>, BacktestError>>()?;
                    candidates.push(combination);
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut combinations = Vec::new();
        for values in candidates {
            let combination = Combination {
                seq: combinations.len() as u64,
                values,
            };
            let lookup = |key: &str| {
                combination
                    .get(key)
                    .and_then(Value::as_f64)
                    .or_else(|| base(key))
            };
            let mut kept = true;
            for constraint in &constraints {
                kept &= constraint.holds(&lookup)?;
            }
            if kept && seen.insert(combination.params_json()) {
                combinations.push(combination);
            }
        }
        Ok(combinations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<f64> {
        None
    }

    #[test]
    fn the_vectorbt_grid_has_4676_combinations() {
        let sweep = Sweep::parse(
            "parameters:\n  f: {range: {start: 5, end: 54, step: 1}}\n  s: {range: {start: 20, end: 218, step: 2}}\nconstraints: [f < s]\n",
        )
        .unwrap();
        let combinations = sweep.combinations(&none).unwrap();
        // 50 × 100 = 5000 pairs; fast >= slow only when s in 20..=54 and f >= s:
        // s = 20, 22, ..., 54 (18 values) leave out 54 - s + 1 fasts each = 35 + 33 + ... + 1 = 324.
        assert_eq!(combinations.len(), 5000 - 324);
        assert_eq!(combinations[0].params_json(), "{\"f\":5,\"s\":20}");
        assert_eq!(combinations[1].params_json(), "{\"f\":5,\"s\":22}");
        assert_eq!(combinations.last().unwrap().seq, 4675);
    }

    #[test]
    fn lists_log_ranges_and_base_values_in_constraints() {
        let sweep = Sweep::parse(
            "parameters:\n  a: {values: [1, 2, 3]}\n  b: {log_range: {start: 1, end: 100, count: 3}}\nconstraints: ['a <= c']\n",
        )
        .unwrap();
        let combinations = sweep
            .combinations(&|key| (key == "c").then_some(2.0))
            .unwrap();
        let params: Vec<String> = combinations.iter().map(Combination::params_json).collect();
        assert_eq!(params.len(), 6);
        assert_eq!(params[0], "{\"a\":1,\"b\":1.0}");
        let b: Vec<f64> = combinations[..3]
            .iter()
            .map(|c| c.get("b").and_then(Value::as_f64).unwrap())
            .collect();
        assert!((b[1] - 10.0).abs() < 1e-9 && (b[2] - 100.0).abs() < 1e-9);
        assert!(
            combinations
                .iter()
                .all(|c| c.get("a") != Some(&Value::from(3)))
        );
        assert!(
            Sweep::parse("parameters:\n  a: {values: [1]}\nconstraints: ['a < zz']\n")
                .unwrap()
                .combinations(&none)
                .is_err()
        );
    }

    #[test]
    fn random_search_is_seeded_and_needs_samples() {
        let text = "parameters:\n  x: {uniform: {min: 0, max: 1}}\n  n: {int_uniform: {min: 1, max: 3}}\nsamples: 20\nseed: 7\n";
        let first = Sweep::parse(text).unwrap().combinations(&none).unwrap();
        let again = Sweep::parse(text).unwrap().combinations(&none).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.len(), 20);
        for combination in &first {
            let x = combination.get("x").and_then(Value::as_f64).unwrap();
            let n = combination.get("n").and_then(Value::as_i64).unwrap();
            assert!((0.0..1.0).contains(&x) && (1..=3).contains(&n));
        }
        let other = Sweep::parse(&text.replace("seed: 7", "seed: 8"))
            .unwrap()
            .combinations(&none)
            .unwrap();
        assert_ne!(first, other);
        assert!(
            Sweep::parse("parameters:\n  x: {uniform: {min: 0, max: 1}}\n")
                .unwrap()
                .combinations(&none)
                .is_err()
        );
    }
}
