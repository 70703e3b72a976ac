//! A backtest's records in the PostgreSQL store (SPEC 1.4: "the signal, execution and
//! grid-result tables"), so runs over shared data are queryable where the data is. A run is
//! copied from its run directory's `execution.db` and `signals.db` table by table: each
//! SQLite table `t` becomes `run_t` here (`run_info` keeps its name) with the same columns
//! and types after a leading `run_id`, so the two never drift apart. The `runs` table lists
//! the runs (name, effective config, manifest, metrics). Recording a run id again replaces
//! it in one transaction.

use auction_trader_storage::run_db::{RunTable, RunValue};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};

use crate::PgStoreError;
use crate::store::PgStore;

/// Serializes the creation of run tables between processes.
const RUN_CREATE_LOCK: i64 = 0x7275_6e73; // "runs"

const RUNS_DDL: &str = "
CREATE TABLE IF NOT EXISTS runs (
    recorded bigserial NOT NULL, run_id text PRIMARY KEY, name text NOT NULL,
    config text NOT NULL, manifest text NOT NULL, metrics text NOT NULL);
";

/// What the `runs` table says of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEntry {
    /// `<run name>-<manifest identity>`: the same config over the same data is one run.
    pub run_id: String,
    pub name: String,
    /// The effective config (YAML).
    pub config: String,
    /// `manifest.json`.
    pub manifest: String,
    /// The run's metrics (JSON object).
    pub metrics: String,
}

/// The PostgreSQL name of a run database's table.
pub fn run_table_name(sqlite_table: &str) -> String {
    if sqlite_table.starts_with("run_") {
        sqlite_table.to_owned()
    } else {
        format!("run_{sqlite_table}")
    }
}

/// The PostgreSQL type of a declared SQLite column type.
fn column_type(declared: &str) -> Result<(&'static str, Type), PgStoreError> {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => Ok(("bigint", Type::INT8)),
        "TEXT" => Ok(("text", Type::TEXT)),
        "REAL" => Ok(("double precision", Type::FLOAT8)),
        "BLOB" => Ok(("bytea", Type::BYTEA)),
        other => Err(PgStoreError::InvalidArgument(format!(
            "run database column type {other:?} has no PostgreSQL counterpart"
        ))),
    }
}

/// A quoted identifier (names come from our own SQLite schema; quoted all the same).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl PgStore {
    /// Records a run: its entry and every table of its run databases (replacing a run of
    /// the same id), in one transaction.
    pub fn record_run(&self, entry: &RunEntry, tables: &[RunTable]) -> Result<(), PgStoreError> {
        let mut client = self.session()?;
        let mut ddl = format!("BEGIN; SELECT pg_advisory_xact_lock({RUN_CREATE_LOCK}); {RUNS_DDL}");
        let mut types = Vec::with_capacity(tables.len());
        for table in tables {
            let name = run_table_name(&table.name);
            let mut columns =
                vec!["run_id text NOT NULL REFERENCES runs ON DELETE CASCADE".to_owned()];
            let mut column_types = vec![Type::TEXT];
            for column in &table.columns {
                let (sql_type, wire_type) = column_type(&column.declared_type)?;
                columns.push(format!("{} {sql_type}", quoted(&column.name)));
                column_types.push(wire_type);
            }
            ddl.push_str(&format!(
                "CREATE TABLE IF NOT EXISTS {} ({});\n\
                 CREATE INDEX IF NOT EXISTS {} ON {} (run_id);\n",
                quoted(&name),
                columns.join(", "),
                quoted(&format!("{name}_by_run")),
                quoted(&name)
            ));
            types.push(column_types);
        }
        ddl.push_str("COMMIT;");
        client
            .batch_execute(&ddl)
            .map_err(|error| PgStoreError::query("creating the run tables", &error))?;

        let mut transaction = client
            .transaction()
            .map_err(|error| PgStoreError::query("starting a transaction", &error))?;
        transaction
            .execute("DELETE FROM runs WHERE run_id = $1", &[&entry.run_id])
            .map_err(|error| PgStoreError::query("replacing a run", &error))?;
        transaction
            .execute(
                "INSERT INTO runs (run_id, name, config, manifest, metrics)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &entry.run_id,
                    &entry.name,
                    &entry.config,
                    &entry.manifest,
                    &entry.metrics,
                ],
            )
            .map_err(|error| PgStoreError::query("recording a run", &error))?;
        for (table, column_types) in tables.iter().zip(&types) {
            let what = || format!("copying {} of the run", table.name);
            let sink = transaction
                .copy_in(&format!(
                    "COPY {} FROM STDIN (FORMAT binary)",
                    quoted(&run_table_name(&table.name))
                ))
                .map_err(|error| PgStoreError::query(what(), &error))?;
            let mut writer = BinaryCopyInWriter::new(sink, column_types);
            for row in &table.rows {
                let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(row.len() + 1);
                values.push(&entry.run_id);
                for value in row {
                    values.push(match value {
                        RunValue::Null => &None::<String>,
                        RunValue::Integer(number) => number,
                        RunValue::Real(number) => number,
                        RunValue::Text(text) => text,
                        RunValue::Blob(bytes) => bytes,
                    });
                }
                writer
                    .write(&values)
                    .map_err(|error| PgStoreError::query(what(), &error))?;
            }
            writer
                .finish()
                .map_err(|error| PgStoreError::query(what(), &error))?;
        }
        transaction
            .commit()
            .map_err(|error| PgStoreError::query("committing a run", &error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_tables_map_to_prefixed_tables_and_types() {
        assert_eq!(run_table_name("fills"), "run_fills");
        assert_eq!(run_table_name("run_info"), "run_info");
        assert_eq!(column_type("INTEGER").unwrap().0, "bigint");
        assert_eq!(column_type("text").unwrap().0, "text");
        assert!(column_type("NUMERIC").is_err());
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
