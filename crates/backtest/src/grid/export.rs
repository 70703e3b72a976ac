//! Grid rows as typed columns for a Parquet export (`grid export --format parquet`): `seq`
//! and `run_id`, then every parameter and every metric (names sorted) in its own column,
//! typed by its values: only NULLs → DOUBLE, all booleans → BOOLEAN, all integers → INT64, all numbers →
//! DOUBLE, otherwise UTF8 (strings as they are, other JSON as text); a missing or null value
//! is NULL.

use std::collections::BTreeSet;
use std::path::Path;

use auction_trader_storage::result_table::{ColumnValues, TableColumn, write_table};
use serde_json::{Map, Value};

use super::query::ResultRow;
use crate::error::BacktestError;

fn typed(values: Vec<Option<&Value>>) -> ColumnValues {
    let present = || values.iter().flatten().filter(|value| !value.is_null());
    if present().next().is_none() {
        // Nothing but NULLs (an undefined metric in every row): a number column.
        return ColumnValues::Float64(vec![None; values.len()]);
    }
    if present().all(|value| value.is_boolean()) {
        return ColumnValues::Boolean(
            values
                .iter()
                .map(|value| value.and_then(Value::as_bool))
                .collect(),
        );
    }
    if present().all(|value| value.is_i64()) {
        return ColumnValues::Int64(
            values
                .iter()
                .map(|value| value.and_then(Value::as_i64))
                .collect(),
        );
    }
    if present().all(|value| value.is_number()) {
        return ColumnValues::Float64(
            values
                .iter()
                .map(|value| value.and_then(Value::as_f64))
                .collect(),
        );
    }
    ColumnValues::Utf8(
        values
            .iter()
            .map(|value| match value {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(text.clone()),
                Some(other) => Some(other.to_string()),
            })
            .collect(),
    )
}

fn columns_of<'a>(
    rows: &'a [ResultRow],
    part: impl Fn(&'a ResultRow) -> &'a Map<String, Value>,
) -> Vec<TableColumn> {
    let names: BTreeSet<&String> = rows.iter().flat_map(|row| part(row).keys()).collect();
    names
        .into_iter()
        .map(|name| TableColumn {
            name: name.clone(),
            values: typed(rows.iter().map(|row| part(row).get(name)).collect()),
        })
        .collect()
}

/// The rows as typed columns: `seq`, `run_id`, the parameters, the metrics.
pub fn result_columns(rows: &[ResultRow]) -> Vec<TableColumn> {
    let mut columns = vec![
        TableColumn {
            name: "seq".to_owned(),
            values: ColumnValues::Int64(
                rows.iter().map(|row| i64::try_from(row.seq).ok()).collect(),
            ),
        },
        TableColumn {
            name: "run_id".to_owned(),
            values: ColumnValues::Utf8(rows.iter().map(|row| Some(row.run_id.clone())).collect()),
        },
    ];
    columns.extend(columns_of(rows, |row| &row.params));
    columns.extend(columns_of(rows, |row| &row.metrics));
    columns
}

/// Writes the rows to `path` as one Parquet file.
pub fn write_parquet(rows: &[ResultRow], path: &Path) -> Result<(), BacktestError> {
    Ok(write_table(path, &result_columns(rows))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction_trader_storage::result_table::read_table;

    fn row(seq: u64, params: Value, metrics: Value) -> ResultRow {
        let object = |value: Value| match value {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        ResultRow {
            run_id: format!("r{seq}"),
            seq,
            params: object(params),
            metrics: object(metrics),
        }
    }

    #[test]
    fn each_parameter_and_metric_gets_its_type() {
        let rows = [
            row(
                0,
                serde_json::json!({"fast": 5, "risk": 0.01, "flip": true, "mode": "raw"}),
                serde_json::json!({"sharpe": 1.5, "trades": 12}),
            ),
            row(
                1,
                serde_json::json!({"fast": 10, "risk": 2, "flip": false, "mode": 3}),
                serde_json::json!({"sharpe": null, "trades": 0}),
            ),
        ];
        let columns = result_columns(&rows);
        let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "seq", "run_id", "fast", "flip", "mode", "risk", "sharpe", "trades"
            ]
        );
        assert_eq!(
            columns[0].values,
            ColumnValues::Int64(vec![Some(0), Some(1)])
        );
        assert_eq!(
            columns[2].values,
            ColumnValues::Int64(vec![Some(5), Some(10)])
        );
        assert_eq!(
            columns[3].values,
            ColumnValues::Boolean(vec![Some(true), Some(false)])
        );
        // A string and a number: text.
        assert_eq!(
            columns[4].values,
            ColumnValues::Utf8(vec![Some("raw".to_owned()), Some("3".to_owned())])
        );
        // 0.01 and 2: numbers, not all integers.
        assert_eq!(
            columns[5].values,
            ColumnValues::Float64(vec![Some(0.01), Some(2.0)])
        );
        assert_eq!(
            columns[6].values,
            ColumnValues::Float64(vec![Some(1.5), None])
        );
        assert_eq!(
            columns[7].values,
            ColumnValues::Int64(vec![Some(12), Some(0)])
        );
        let undefined = result_columns(&[row(
            0,
            serde_json::json!({}),
            serde_json::json!({"sortino": null}),
        )]);
        assert_eq!(undefined[2].values, ColumnValues::Float64(vec![None]));

        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("grid.parquet");
        write_parquet(&rows, &path).unwrap();
        assert_eq!(read_table(&path).unwrap(), columns);
    }
}
