//! The stored runs as JSON: the list, one run's summary and metrics, and its series (bars with
//! the value area, trades, signals, equity) with every value as the run's `execution.db` and
//! `signals.db` hold it. Prices and money are the databases' exact decimal text; a time is
//! both `ts` (UTC nanoseconds as a decimal string: exact, beyond JavaScript's 2^53) and `time`
//! (whole UTC seconds, for the charts).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use auction_trader_analytics::display::run_currency;
use auction_trader_analytics::{PriceBar, RunRecords, TradeRecord};
use auction_trader_storage::run_db::{SignalRow, read_execution_db, read_signals_db};
use auction_trader_types::UnixNanos;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::library::Library;

/// Nanoseconds per second.
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Whole UTC seconds of a timestamp (floor).
pub fn seconds(ts: UnixNanos) -> i64 {
    ts.as_i64().div_euclid(NANOS_PER_SECOND)
}

fn decimal<T: ToString>(value: Option<T>) -> Option<String> {
    value.map(|value| value.to_string())
}

/// One run in the list.
#[derive(Debug, Serialize)]
pub struct RunListing {
    pub name: String,
    /// The run's `metrics.json`, `null` when the run has none.
    pub net_pnl: Value,
    pub return_pct: Value,
    pub sharpe: Value,
    pub trade_count: Value,
    pub currency: Value,
}

/// Every run, by name, with the headline figures of its `metrics.json`.
pub fn list_runs(library: &Library) -> Result<Vec<RunListing>, ApiError> {
    library
        .run_names()?
        .into_iter()
        .map(|name| {
            let metrics = read_metrics(&library.runs_dir.join(&name))?;
            let field = |key: &str| metrics.get(key).cloned().unwrap_or(Value::Null);
            Ok(RunListing {
                net_pnl: field("net_pnl"),
                return_pct: field("return_pct"),
                sharpe: field("sharpe"),
                trade_count: field("trade_count"),
                currency: field("currency"),
                name,
            })
        })
        .collect()
}

/// `metrics.json` of a run directory (`null` when missing).
/// The fill-model comparison `fills compare` wrote beside the run
/// (`<runs>/<name>-fill-models/fill_models.json`), `null` when there is none.
pub fn fill_models(library: &Library, name: &str) -> Result<Value, ApiError> {
    library.run_dir(name)?;
    let path = library
        .runs_dir
        .join(format!("{name}-fill-models"))
        .join("fill_models.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|error| ApiError::internal(format!("{}: {error}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Value::Null),
        Err(error) => Err(ApiError::internal(error)),
    }
}

fn read_metrics(dir: &Path) -> Result<Value, ApiError> {
    match std::fs::read_to_string(dir.join("metrics.json")) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|error| ApiError::internal(format!("{}: {error}", dir.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Value::Null),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// Runs read from their execution.db, kept while the file is unchanged (same size and
/// modification time): a page asks for a run's bars, trades and equity at once, and a run
/// directory is replaced whole, never edited in place.
#[derive(Debug, Default)]
pub struct RunCache {
    runs: Mutex<BTreeMap<String, CachedRun>>,
}

#[derive(Debug)]
struct CachedRun {
    stamp: (u64, Option<SystemTime>),
    records: Arc<RunRecords>,
}

/// Most runs kept in memory (a month of 1-minute bars is about 100,000 rows).
const CACHED_RUNS: usize = 8;

impl RunCache {
    /// Run `name`'s records, read again when its execution.db changed.
    pub fn load(&self, library: &Library, name: &str) -> Result<Arc<RunRecords>, ApiError> {
        let path = library.run_dir(name)?.join("execution.db");
        let metadata = std::fs::metadata(&path).map_err(ApiError::internal)?;
        let stamp = (metadata.len(), metadata.modified().ok());
        {
            let runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(cached) = runs.get(name)
                && cached.stamp == stamp
            {
                return Ok(Arc::clone(&cached.records));
            }
        }
        let records = Arc::new(read_execution_db(&path).map_err(ApiError::internal)?);
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        if runs.len() >= CACHED_RUNS && !runs.contains_key(name) {
            runs.clear();
        }
        runs.insert(
            name.to_owned(),
            CachedRun {
                stamp,
                records: Arc::clone(&records),
            },
        );
        Ok(records)
    }
}

/// Row counts of a run's tables.
#[derive(Debug, Serialize)]
pub struct Counts {
    pub bars: usize,
    pub trades: usize,
    pub orders: usize,
    pub fills: usize,
    pub equity: usize,
    pub funding: usize,
}

/// One run's summary.
#[derive(Debug, Serialize)]
pub struct RunSummary {
    pub name: String,
    pub title: String,
    pub symbol: String,
    pub currency: String,
    pub contract_type: &'static str,
    pub initial_equity: String,
    /// First and last bar (`null` without bars).
    pub first_bar: Option<Time>,
    pub last_bar: Option<Time>,
    pub counts: Counts,
    /// The run's `metrics.json` as written (`null` when missing).
    pub metrics: Value,
    /// The effective configuration (`config.yaml`), empty when missing.
    pub config: String,
}

/// A timestamp in both forms.
#[derive(Debug, Clone, Serialize)]
pub struct Time {
    pub ts: String,
    pub time: i64,
}

impl From<UnixNanos> for Time {
    fn from(ts: UnixNanos) -> Self {
        Self {
            ts: ts.as_i64().to_string(),
            time: seconds(ts),
        }
    }
}

/// The summary of run `name`.
pub fn run_summary(
    library: &Library,
    cache: &RunCache,
    name: &str,
) -> Result<RunSummary, ApiError> {
    let records = cache.load(library, name)?;
    let dir = library.run_dir(name)?;
    let config = match std::fs::read_to_string(dir.join("config.yaml")) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(ApiError::internal(error)),
    };
    Ok(RunSummary {
        name: name.to_owned(),
        currency: run_currency(&records),
        contract_type: records.valuation.contract_type.as_str(),
        initial_equity: records.initial_equity.to_string(),
        first_bar: records.bars.first().map(|bar| Time::from(bar.ts)),
        last_bar: records.bars.last().map(|bar| Time::from(bar.ts)),
        counts: Counts {
            bars: records.bars.len(),
            trades: records.trades.len(),
            orders: records.orders.len(),
            fills: records.fills.len(),
            equity: records.equity.len(),
            funding: records.funding.len(),
        },
        metrics: read_metrics(&dir)?,
        config,
        title: records.title.clone(),
        symbol: records.symbol.clone(),
    })
}

/// One bar of `market_bars` with the value area in force at its close.
#[derive(Debug, Serialize)]
pub struct BarJson {
    pub ts: String,
    pub time: i64,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub vah: Option<String>,
    pub val: Option<String>,
    pub poc: Option<String>,
}

impl From<&PriceBar> for BarJson {
    fn from(bar: &PriceBar) -> Self {
        Self {
            ts: bar.ts.as_i64().to_string(),
            time: seconds(bar.ts),
            open: bar.open.to_string(),
            high: bar.high.to_string(),
            low: bar.low.to_string(),
            close: bar.close.to_string(),
            vah: decimal(bar.vah),
            val: decimal(bar.val),
            poc: decimal(bar.poc),
        }
    }
}

/// One exit leg of a trade.
#[derive(Debug, Serialize)]
pub struct LegJson {
    pub ts: String,
    pub time: i64,
    pub price: String,
    pub quantity: String,
    pub reason: String,
}

/// One closed trade of the `trades` table with its legs.
#[derive(Debug, Serialize)]
pub struct TradeJson {
    pub trade_id: u64,
    pub setup: String,
    pub direction: String,
    pub signal: Time,
    pub entry: Time,
    pub entry_price: String,
    pub quantity: String,
    pub entry_liquidity: String,
    pub stop: String,
    pub take_profit_1: Option<String>,
    pub take_profit_2: String,
    pub exit: Time,
    pub exit_price: String,
    pub exit_reason: String,
    pub gross_pnl: String,
    pub fees: String,
    pub funding: String,
    pub slippage: String,
    pub net_pnl: String,
    pub legs: Vec<LegJson>,
}

impl From<&TradeRecord> for TradeJson {
    fn from(trade: &TradeRecord) -> Self {
        Self {
            trade_id: trade.trade_id,
            setup: trade.setup.to_string(),
            direction: trade.direction.to_string(),
            signal: trade.signal_ts.into(),
            entry: trade.entry_ts.into(),
            entry_price: trade.entry_price.to_string(),
            quantity: trade.quantity.to_string(),
            entry_liquidity: trade.entry_liquidity.to_string(),
            stop: trade.stop.to_string(),
            take_profit_1: decimal(trade.take_profit_1),
            take_profit_2: trade.take_profit_2.to_string(),
            exit: trade.exit_ts.into(),
            exit_price: trade.exit_price.to_string(),
            exit_reason: trade.exit_reason.to_string(),
            gross_pnl: trade.gross_pnl.to_string(),
            fees: trade.fees.to_string(),
            funding: trade.funding.to_string(),
            slippage: trade.slippage.to_string(),
            net_pnl: trade.net_pnl.to_string(),
            legs: trade
                .legs
                .iter()
                .map(|leg| LegJson {
                    ts: leg.ts.as_i64().to_string(),
                    time: seconds(leg.ts),
                    price: leg.price.to_string(),
                    quantity: leg.quantity.to_string(),
                    reason: leg.reason.to_string(),
                })
                .collect(),
        }
    }
}

/// One equity point.
#[derive(Debug, Serialize)]
pub struct EquityJson {
    pub ts: String,
    pub time: i64,
    pub equity: String,
    pub cash: String,
    pub unrealized: String,
    pub position: String,
}

/// The bars of run `name`.
pub fn bars(records: &RunRecords) -> Vec<BarJson> {
    records.bars.iter().map(BarJson::from).collect()
}

/// The trades of run `name`.
pub fn trades(records: &RunRecords) -> Vec<TradeJson> {
    records.trades.iter().map(TradeJson::from).collect()
}

/// The equity curve of run `name`.
pub fn equity(records: &RunRecords) -> Vec<EquityJson> {
    records
        .equity
        .iter()
        .map(|point| EquityJson {
            ts: point.ts.as_i64().to_string(),
            time: seconds(point.ts),
            equity: point.equity.to_string(),
            cash: point.cash.to_string(),
            unrealized: point.unrealized.to_string(),
            position: point.position.to_string(),
        })
        .collect()
}

/// The layout of a series answer: `rows` (one object per record, every field, prices and money
/// as exact decimal strings, exact `ts`) or `columns` (`?layout=columns`: one array per field
/// the page draws, `time` in whole seconds; the bars' and equity's prices and money as JSON
/// numbers whose text is the stored decimal unchanged — a JavaScript reader rounds them to the
/// nearest double, as the chart does anyway). A month of 1-minute bars with 10,000 trades is
/// 17 MB as rows and under 5 MB as columns, with no string to allocate per price on the page
/// (docs/benchmarks.md: the page-load benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    #[default]
    Rows,
    Columns,
}

impl Layout {
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        match value {
            "rows" => Ok(Self::Rows),
            "columns" => Ok(Self::Columns),
            _ => Err(ApiError::BadRequest(format!(
                "layout {value:?}: expected rows or columns"
            ))),
        }
    }
}

/// A JSON object of equal-length arrays, written directly: stored decimals go out as JSON
/// numbers with their exact text (the `Price`/`Money` display form is a valid JSON number:
/// optional `-`, digits, optional `.digits`), which serde cannot do without changing
/// serde_json's features for the whole workspace.
#[derive(Debug)]
pub struct ColumnsWriter {
    text: String,
    first: bool,
}

impl ColumnsWriter {
    pub fn new() -> Self {
        Self {
            text: String::from("{"),
            first: true,
        }
    }

    fn open(&mut self, name: &str) {
        if !self.first {
            self.text.push(',');
        }
        self.first = false;
        self.push_string(name);
        self.text.push_str(":[");
    }

    fn push_string(&mut self, value: &str) {
        // A `&str` always serializes.
        self.text
            .push_str(&serde_json::to_string(value).unwrap_or_default());
    }

    /// An array of numbers (`None` → `null`), each written with its `Display` text.
    pub fn numbers<T: std::fmt::Display>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<T>>,
    ) -> &mut Self {
        use std::fmt::Write;
        self.open(name);
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            match value {
                Some(value) => {
                    let _ = write!(self.text, "{value}");
                }
                None => self.text.push_str("null"),
            }
        }
        self.text.push(']');
        self
    }

    /// An array of strings.
    pub fn strings<'a>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        self.open(name);
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            self.push_string(value);
        }
        self.text.push(']');
        self
    }

    pub fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.text);
        text.push('}');
        text
    }
}

impl Default for ColumnsWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// The bars of a run as columns: time, the candle, the value area in force at each close.
pub fn bar_columns(records: &RunRecords) -> String {
    let bars = &records.bars;
    ColumnsWriter::new()
        .numbers("time", bars.iter().map(|bar| Some(seconds(bar.ts))))
        .numbers("open", bars.iter().map(|bar| Some(bar.open)))
        .numbers("high", bars.iter().map(|bar| Some(bar.high)))
        .numbers("low", bars.iter().map(|bar| Some(bar.low)))
        .numbers("close", bars.iter().map(|bar| Some(bar.close)))
        .numbers("vah", bars.iter().map(|bar| bar.vah))
        .numbers("val", bars.iter().map(|bar| bar.val))
        .numbers("poc", bars.iter().map(|bar| bar.poc))
        .finish()
}

/// The trades of a run as columns: what the chart's markers and the trades table show
/// (prices and P&L stay exact decimal strings: the table prints them as stored).
pub fn trade_columns(records: &RunRecords) -> String {
    let trades = &records.trades;
    let text = |values: &dyn Fn(&TradeRecord) -> String| -> Vec<String> {
        trades.iter().map(values).collect()
    };
    let setups = text(&|trade| trade.setup.to_string());
    let directions = text(&|trade| trade.direction.to_string());
    let entry_prices = text(&|trade| trade.entry_price.to_string());
    let exit_prices = text(&|trade| trade.exit_price.to_string());
    let reasons = text(&|trade| trade.exit_reason.to_string());
    let net = text(&|trade| trade.net_pnl.to_string());
    ColumnsWriter::new()
        .numbers("trade_id", trades.iter().map(|trade| Some(trade.trade_id)))
        .strings("setup", setups.iter().map(String::as_str))
        .strings("direction", directions.iter().map(String::as_str))
        .numbers(
            "entry_time",
            trades.iter().map(|trade| Some(seconds(trade.entry_ts))),
        )
        .strings("entry_price", entry_prices.iter().map(String::as_str))
        .numbers(
            "exit_time",
            trades.iter().map(|trade| Some(seconds(trade.exit_ts))),
        )
        .strings("exit_price", exit_prices.iter().map(String::as_str))
        .strings("exit_reason", reasons.iter().map(String::as_str))
        .strings("net_pnl", net.iter().map(String::as_str))
        .finish()
}

/// The equity curve of a run as columns, one point per second at most (points within one
/// second keep the last, as the chart draws them).
pub fn equity_columns(records: &RunRecords) -> String {
    let mut points: Vec<&auction_trader_types::EquityPoint> = Vec::new();
    for point in &records.equity {
        if points
            .last()
            .is_some_and(|last| seconds(last.ts) == seconds(point.ts))
        {
            points.pop();
        }
        points.push(point);
    }
    ColumnsWriter::new()
        .numbers("time", points.iter().map(|point| Some(seconds(point.ts))))
        .numbers("equity", points.iter().map(|point| Some(point.equity)))
        .numbers("position", points.iter().map(|point| Some(point.position)))
        .finish()
}

/// One row of signals.db.
#[derive(Debug, Serialize)]
pub struct SignalJson {
    pub ts: String,
    pub time: i64,
    pub kind: String,
    pub setup: Option<String>,
    pub direction: Option<String>,
    pub machine: String,
    pub from_state: String,
    pub to_state: String,
    pub detail: String,
}

/// Signal kinds signals.db holds (SPEC 3: transitions, signals, near misses, suppressed).
pub const SIGNAL_KINDS: [&str; 4] = ["transition", "signal", "near_miss", "suppressed"];

/// The signals.db rows of run `name` whose kind is in `kinds` (every kind when empty).
pub fn signals(
    library: &Library,
    name: &str,
    kinds: &[String],
) -> Result<Vec<SignalJson>, ApiError> {
    for kind in kinds {
        if !SIGNAL_KINDS.contains(&kind.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "kind {kind:?}: expected one of {}",
                SIGNAL_KINDS.join(", ")
            )));
        }
    }
    let path = library.run_dir(name)?.join("signals.db");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let rows = read_signals_db(&path).map_err(ApiError::internal)?;
    Ok(rows
        .into_iter()
        .filter(|row| kinds.is_empty() || kinds.contains(&row.kind))
        .map(|row: SignalRow| SignalJson {
            ts: row.ts.as_i64().to_string(),
            time: seconds(row.ts),
            kind: row.kind,
            setup: row.setup,
            direction: row.direction,
            machine: row.machine,
            from_state: row.from_state,
            to_state: row.to_state,
            detail: row.detail,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_floor_toward_minus_infinity() {
        assert_eq!(seconds(UnixNanos(1_700_000_000_999_999_999)), 1_700_000_000);
        assert_eq!(seconds(UnixNanos(-1)), -1);
        let time = Time::from(UnixNanos(1_516_492_800_000_000_001));
        assert_eq!(time.ts, "1516492800000000001");
        assert_eq!(time.time, 1_516_492_800);
    }

    #[test]
    fn equity_columns_keep_the_last_point_of_each_second() {
        use auction_trader_types::{EquityPoint, Money, Quantity};
        let money = |text: &str| Money::from_decimal_str(text).unwrap_or(Money::ZERO);
        let point = |ts: i64, equity: &str| EquityPoint {
            ts: UnixNanos(ts),
            equity: money(equity),
            cash: Money::ZERO,
            unrealized: Money::ZERO,
            position: Quantity::ZERO,
        };
        let mut records = RunRecords::new("t", "X", Money::ZERO);
        // Two points in second 10 (the fill, then the minute close), one in second 11.
        records.equity = vec![
            point(10_000_000_000, "1"),
            point(10_500_000_000, "-0.001"),
            point(11_000_000_000, "3.25"),
        ];
        assert_eq!(
            equity_columns(&records),
            r#"{"time":[10,11],"equity":[-0.001,3.25],"position":[0,0]}"#
        );
        assert_eq!(
            ColumnsWriter::new()
                .strings("a\"b", ["x", "y\n"])
                .numbers::<i64>("n", [None, Some(-2)])
                .finish(),
            r#"{"a\"b":["x","y\n"],"n":[null,-2]}"#
        );
    }
}
