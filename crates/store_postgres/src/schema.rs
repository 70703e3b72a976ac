//! The database layout (SPEC 1.4), all in the PostgreSQL schema `auction_trader`:
//! - one table per event kind, named as SPEC 1.4 names them (`trades`, `order_book_deltas`,
//!   `quotes`, `liquidations`, `funding_rates`, `ohlcv`), with the columns of the storage
//!   crate's Parquet schema (same names, same raw integers) after `instrument_id`,
//!   `source_id` and `seq` (the row's position in its source: the stable tie order);
//! - `instruments`, `sources`, `source_files`, `parts` (rows per instrument, kind, UTC day
//!   and source: the catalog), `quarantine`, `warnings`, and `layout` (which of the two
//!   time layouts below the database was created with);
//! - a view `trade_flow_1m`: one-minute OHLCV and aggressor volumes from `trades`.
//!
//! Time layout: plain PostgreSQL gets declarative range partitioning on `ts_recv` with one
//! partition per UTC day, created by the import that first writes into that day. When the
//! TimescaleDB extension is available, the tables are hypertables with one-day chunks
//! instead and `trade_flow_1m` is a continuous aggregate. Either way a read of one
//! instrument and day touches one partition through the `(instrument_id, ts_recv, seq)`
//! index, which already yields a single source's rows in read order (no sort).
//!
//! Column types: `bigint` for timestamps (ns since the epoch: `timestamptz` stops at
//! microseconds), fixed-point prices and rates (raw, value = raw / 10^9) and ids (`u64` ids
//! stored by their bit pattern); `numeric(38,9)` for sizes and volumes (the value itself);
//! `smallint` for side codes and flag sets.

use auction_trader_storage::schema::{ColumnClass, columns};
use auction_trader_types::{StreamKind, UnixNanos};

/// The PostgreSQL schema (namespace) holding every table of the store.
pub const SCHEMA: &str = "auction_trader";

/// One UTC day in nanoseconds: the partition and chunk width.
pub(crate) const DAY_NANOS: i64 = 86_400_000_000_000;

/// The leading columns of every tick table, before the kind's own columns.
pub(crate) const KEY_COLUMNS: [&str; 3] = ["instrument_id", "source_id", "seq"];

/// How the tick tables are split in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLayout {
    /// Declarative range partitions, one per UTC day.
    Partitioned,
    /// TimescaleDB hypertables with one-day chunks and a continuous aggregate.
    Hypertables,
}

impl TimeLayout {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partitioned => "partitioned",
            Self::Hypertables => "timescaledb",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::Partitioned, Self::Hypertables]
            .into_iter()
            .find(|layout| layout.as_str() == text)
    }
}

/// The table of a kind (SPEC 1.4's names).
pub fn table(kind: StreamKind) -> &'static str {
    match kind {
        StreamKind::Depth => "order_book_deltas",
        StreamKind::Quote => "quotes",
        StreamKind::Trade => "trades",
        StreamKind::Liquidation => "liquidations",
        StreamKind::Funding => "funding_rates",
        StreamKind::Bar => "ohlcv",
    }
}

fn sql_type(class: ColumnClass) -> &'static str {
    match class {
        ColumnClass::Timestamp | ColumnClass::Fixed | ColumnClass::Unsigned => "bigint",
        ColumnClass::Wide => "numeric(38,9)",
        ColumnClass::Code | ColumnClass::Flags => "smallint",
    }
}

/// The kind's own columns, comma-separated, in schema order.
pub(crate) fn column_list(kind: StreamKind) -> String {
    columns(kind)
        .iter()
        .map(|spec| spec.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Catalog tables (created once, idempotently).
const CATALOG_DDL: &str = "
CREATE TABLE IF NOT EXISTS layout (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    time_layout text NOT NULL,
    version integer NOT NULL
);
CREATE TABLE IF NOT EXISTS instruments (
    id serial PRIMARY KEY,
    venue text NOT NULL,
    symbol text NOT NULL,
    market text NOT NULL,
    UNIQUE (venue, symbol, market)
);
CREATE TABLE IF NOT EXISTS sources (
    id serial PRIMARY KEY,
    key text NOT NULL UNIQUE,
    name text NOT NULL,
    size_bytes bigint,
    content_hash text,
    imported_at bigint,
    records_read bigint NOT NULL DEFAULT 0,
    events bigint NOT NULL DEFAULT 0,
    quarantined bigint NOT NULL DEFAULT 0,
    rows_written bigint NOT NULL DEFAULT 0,
    partitions integer NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS source_files (
    source_id integer NOT NULL REFERENCES sources ON DELETE CASCADE,
    seq integer NOT NULL,
    path text NOT NULL,
    size_bytes bigint NOT NULL,
    content_hash text NOT NULL,
    PRIMARY KEY (source_id, seq)
);
CREATE INDEX IF NOT EXISTS source_files_by_hash ON source_files (content_hash);
CREATE TABLE IF NOT EXISTS parts (
    instrument_id integer NOT NULL REFERENCES instruments,
    kind text NOT NULL,
    date text NOT NULL,
    source_id integer NOT NULL REFERENCES sources ON DELETE CASCADE,
    rows bigint NOT NULL,
    first_ts_recv bigint NOT NULL,
    last_ts_recv bigint NOT NULL,
    PRIMARY KEY (instrument_id, kind, date, source_id)
);
CREATE TABLE IF NOT EXISTS quarantine (
    source_id integer NOT NULL REFERENCES sources ON DELETE CASCADE,
    file text NOT NULL,
    line bigint NOT NULL,
    reason text NOT NULL,
    content text NOT NULL
);
CREATE TABLE IF NOT EXISTS warnings (
    source_id integer NOT NULL REFERENCES sources ON DELETE CASCADE,
    seq integer NOT NULL,
    message text NOT NULL
);
";

/// Version of this layout, stored in `layout.version`.
pub(crate) const LAYOUT_VERSION: i32 = 1;

/// Every statement that creates the store in a fresh database.
pub(crate) fn create_ddl(layout: TimeLayout) -> String {
    let mut ddl = String::from(CATALOG_DDL);
    for kind in StreamKind::ALL {
        let table = table(kind);
        let own: Vec<String> = columns(kind)
            .iter()
            .map(|spec| format!("    {} {} NOT NULL", spec.name, sql_type(spec.class)))
            .collect();
        let partitioning = match layout {
            TimeLayout::Partitioned => " PARTITION BY RANGE (ts_recv)",
            TimeLayout::Hypertables => "",
        };
        ddl.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n    instrument_id integer NOT NULL,\n    \
             source_id integer NOT NULL,\n    seq bigint NOT NULL,\n{}\n){partitioning};\n\
             CREATE INDEX IF NOT EXISTS {table}_by_instrument_time ON {table} \
             (instrument_id, ts_recv, seq);\n\
             CREATE INDEX IF NOT EXISTS {table}_by_source ON {table} (source_id);\n",
            own.join(",\n")
        ));
        if layout == TimeLayout::Hypertables {
            ddl.push_str(&format!(
                "SELECT create_hypertable('{table}', 'ts_recv', \
                 chunk_time_interval => {DAY_NANOS}::bigint, if_not_exists => true);\n\
                 SELECT set_integer_now_func('{table}', 'unix_nanos_now', replace_if_exists => true);\n"
            ));
        }
    }
    ddl.push_str(&trade_flow_view(layout));
    ddl
}

/// `trade_flow_1m`: one-minute bars and aggressor volumes from the stored trades (SPEC 1.4's
/// "1-minute trade flow"). Prices stay raw fixed-point like the table's.
fn trade_flow_view(layout: TimeLayout) -> String {
    let minute = 60_000_000_000_i64;
    match layout {
        TimeLayout::Partitioned => format!(
            "CREATE OR REPLACE VIEW trade_flow_1m AS
SELECT instrument_id, ts_recv - (ts_recv % {minute}) AS minute,
       (array_agg(price ORDER BY ts_recv, seq))[1] AS open, max(price) AS high,
       min(price) AS low, (array_agg(price ORDER BY ts_recv DESC, seq DESC))[1] AS close,
       sum(size) AS volume, coalesce(sum(size) FILTER (WHERE aggressor = 1), 0) AS buy_volume,
       coalesce(sum(size) FILTER (WHERE aggressor = -1), 0) AS sell_volume, count(*) AS trades
FROM trades GROUP BY 1, 2;\n"
        ),
        TimeLayout::Hypertables => format!(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS trade_flow_1m
WITH (timescaledb.continuous) AS
SELECT instrument_id, time_bucket({minute}::bigint, ts_recv) AS minute,
       first(price, ts_recv) AS open, max(price) AS high, min(price) AS low,
       last(price, ts_recv) AS close, sum(size) AS volume,
       coalesce(sum(size) FILTER (WHERE aggressor = 1), 0) AS buy_volume,
       coalesce(sum(size) FILTER (WHERE aggressor = -1), 0) AS sell_volume, count(*) AS trades
FROM trades GROUP BY 1, 2 WITH NO DATA;\n"
        ),
    }
}

/// Statements run before [`create_ddl`] for TimescaleDB: the extension and the "now" of
/// integer (ns) time that continuous aggregates and retention policies need.
pub(crate) const TIMESCALE_PRELUDE: &str = "
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE OR REPLACE FUNCTION unix_nanos_now() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT (extract(epoch FROM now()) * 1e9)::bigint $$;
";

/// The name of a kind's partition of one UTC day (`trades_20240105`).
pub(crate) fn partition_name(kind: StreamKind, day_start: UnixNanos) -> String {
    format!(
        "{}_{}",
        table(kind),
        day_start.date_string().replace('-', "")
    )
}

/// The table (or day partition) an import wrote into, to refresh its planner statistics.
pub(crate) fn written_relation(
    layout: TimeLayout,
    kind: StreamKind,
    day_start: UnixNanos,
) -> String {
    match layout {
        TimeLayout::Partitioned => partition_name(kind, day_start),
        TimeLayout::Hypertables => table(kind).to_owned(),
    }
}

/// Creates the partition of the UTC day starting at `day_start` when missing.
pub(crate) fn partition_ddl(kind: StreamKind, day_start: UnixNanos) -> String {
    // The last day before `i64::MAX` has no representable end: the bound is exclusive.
    let end = match day_start.0.checked_add(DAY_NANOS) {
        Some(end) => end.to_string(),
        None => "MAXVALUE".to_owned(),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({end})",
        partition_name(kind, day_start),
        table(kind),
        day_start.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_partitions_are_named_and_bounded_by_utc_days() {
        // 2024-01-05T00:00:00Z = 19727 days after the epoch.
        let day = UnixNanos(19_727 * DAY_NANOS);
        assert_eq!(partition_name(StreamKind::Trade, day), "trades_20240105");
        assert_eq!(
            partition_ddl(StreamKind::Depth, day),
            "CREATE TABLE IF NOT EXISTS order_book_deltas_20240105 PARTITION OF \
             order_book_deltas FOR VALUES FROM (1704412800000000000) TO (1704499200000000000)"
        );
        // The day holding i64::MAX (2262-04-11) ends at MAXVALUE: `ts_recv = i64::MAX` fits.
        let last = UnixNanos(i64::MAX).floor_day();
        assert!(partition_ddl(StreamKind::Trade, last).ends_with("TO (MAXVALUE)"));
    }

    #[test]
    fn tables_carry_the_parquet_columns_with_sql_types() {
        let ddl = create_ddl(TimeLayout::Partitioned);
        assert!(ddl.contains(
            "CREATE TABLE IF NOT EXISTS trades (\n    instrument_id integer NOT NULL,\n    \
             source_id integer NOT NULL,\n    seq bigint NOT NULL,\n    ts_event bigint NOT NULL,\n    \
             ts_recv bigint NOT NULL,\n    price bigint NOT NULL,\n    size numeric(38,9) NOT NULL,\n    \
             aggressor smallint NOT NULL,\n    trade_id bigint NOT NULL\n) PARTITION BY RANGE (ts_recv);"
        ));
        assert!(!ddl.contains("create_hypertable"));
        let timescale = create_ddl(TimeLayout::Hypertables);
        assert!(timescale.contains("SELECT create_hypertable('ohlcv', 'ts_recv'"));
        assert!(timescale.contains("timescaledb.continuous"));
        assert_eq!(
            column_list(StreamKind::Liquidation),
            "ts_event, ts_recv, side, price, size"
        );
    }
}
