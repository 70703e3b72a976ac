//! Browsing grid results: rows filtered by `--where` conditions on parameters or metrics,
//! sorted by a metric, and written as CSV.

use std::collections::BTreeSet;
use std::io::Write;

use auction_trader_storage::GridRow;
use serde_json::{Map, Value};

use crate::error::BacktestError;

/// A grid row with its parameters and metrics parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub run_id: String,
    pub seq: u64,
    pub params: Map<String, Value>,
    pub metrics: Map<String, Value>,
}

impl ResultRow {
    pub fn parse(row: &GridRow) -> Result<Self, BacktestError> {
        let object = |text: &str, what: &str| match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(BacktestError::Data(format!(
                "grid.db row {}: {what} is not a JSON object",
                row.run_id
            ))),
        };
        Ok(Self {
            run_id: row.run_id.clone(),
            seq: row.seq,
            params: object(&row.params, "params")?,
            metrics: object(&row.metrics, "metrics")?,
        })
    }

    /// A parameter or metric by name (parameters first).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.params.get(name).or_else(|| self.metrics.get(name))
    }
}

/// One `--where` condition: `name op value` (numbers compared as numbers, else as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    name: String,
    op: String,
    value: String,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Self, BacktestError> {
        for op in ["<=", ">=", "!=", "==", "<", ">", "="] {
            if let Some((name, value)) = text.split_once(op) {
                let name = name.trim();
                if name.is_empty() {
                    break;
                }
                return Ok(Self {
                    name: name.to_owned(),
                    op: if op == "=" { "==" } else { op }.to_owned(),
                    value: value.trim().to_owned(),
                });
            }
        }
        Err(BacktestError::Config(format!(
            "--where {text:?}: expected `name op value` with op one of < <= > >= = == !="
        )))
    }

    pub fn holds(&self, row: &ResultRow) -> bool {
        let Some(actual) = row.value(&self.name) else {
            return false;
        };
        let ordering = match (actual.as_f64(), self.value.parse::<f64>()) {
            (Some(left), Ok(right)) => left.partial_cmp(&right),
            _ => Some(text_of(actual).as_str().cmp(self.value.as_str())),
        };
        let Some(ordering) = ordering else {
            return false;
        };
        match self.op.as_str() {
            "<" => ordering.is_lt(),
            "<=" => ordering.is_le(),
            ">" => ordering.is_gt(),
            ">=" => ordering.is_ge(),
            "==" => ordering.is_eq(),
            _ => ordering.is_ne(),
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Rows that meet every condition, sorted by `sort` (largest first, rows without it last,
/// ties in sweep order) or in sweep order without it.
pub fn select(
    rows: &[GridRow],
    conditions: &[Condition],
    sort: Option<&str>,
) -> Result<Vec<ResultRow>, BacktestError> {
    let mut selected = rows
        .iter()
        .map(ResultRow::parse)
        .collect::<Result<Vec<_>, _>>()?;
    selected.retain(|row| conditions.iter().all(|condition| condition.holds(row)));
    if let Some(metric) = sort {
        if !selected.is_empty() && selected.iter().all(|row| row.value(metric).is_none()) {
            return Err(BacktestError::Config(format!(
                "--sort {metric}: no such parameter or metric (metrics: {})",
                selected[0]
                    .metrics
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let key = |row: &ResultRow| row.value(metric).and_then(Value::as_f64);
        selected.sort_by(|left, right| match (key(left), key(right)) {
            (Some(a), Some(b)) => b.total_cmp(&a).then(left.seq.cmp(&right.seq)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => left.seq.cmp(&right.seq),
        });
    }
    Ok(selected)
}

/// Writes rows as CSV: `seq,run_id`, then every parameter, then every metric (names sorted).
pub fn write_csv(rows: &[ResultRow], mut writer: impl Write) -> std::io::Result<()> {
    let params: BTreeSet<&String> = rows.iter().flat_map(|row| row.params.keys()).collect();
    let metrics: BTreeSet<&String> = rows.iter().flat_map(|row| row.metrics.keys()).collect();
    let quote = |text: String| {
        if text.contains([',', '"', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    let mut header = vec!["seq".to_owned(), "run_id".to_owned()];
    header.extend(params.iter().map(|name| quote((*name).clone())));
    header.extend(metrics.iter().map(|name| quote((*name).clone())));
    writeln!(writer, "{}", header.join(","))?;
    for row in rows {
        let mut fields = vec![row.seq.to_string(), row.run_id.clone()];
        fields.extend(
            params
                .iter()
                .map(|name| quote(row.params.get(*name).map(text_of).unwrap_or_default())),
        );
        fields.extend(
            metrics
                .iter()
                .map(|name| quote(row.metrics.get(*name).map(text_of).unwrap_or_default())),
        );
        writeln!(writer, "{}", fields.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: u64, fast: i64, net: Option<f64>) -> GridRow {
        GridRow {
            run_id: format!("r{seq}"),
            seq,
            params: format!("{{\"fast\":{fast}}}"),
            metrics: serde_json::json!({ "net_pnl": net, "trades": 3 }).to_string(),
            config: String::new(),
        }
    }

    #[test]
    fn where_sort_and_csv() {
        let rows = [row(0, 5, Some(1.0)), row(1, 6, Some(3.0)), row(2, 7, None)];
        let all = select(&rows, &[], Some("net_pnl")).unwrap();
        let order: Vec<u64> = all.iter().map(|row| row.seq).collect();
        assert_eq!(order, vec![1, 0, 2]);
        let fast = select(&rows, &[Condition::parse("fast >= 6").unwrap()], None).unwrap();
        assert_eq!(fast.len(), 2);
        let none = select(&rows, &[Condition::parse("net_pnl > 5").unwrap()], None).unwrap();
        assert!(none.is_empty());
        assert!(select(&rows, &[], Some("nope")).is_err());
        assert!(Condition::parse("oops").is_err());
        let mut csv = Vec::new();
        write_csv(&all[..2], &mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "seq,run_id,fast,net_pnl,trades\n1,r1,6,3.0,3\n0,r0,5,1.0,3\n"
        );
    }
}
