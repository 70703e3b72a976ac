//! An sma_cross backtest: the bars of the replay, the crossings, the records and metrics in
//! the same [`BacktestResult`] an engine run returns.

use auction_trader_analytics::{RunRecords, compute_metrics};
use auction_trader_engine::EngineCounters;
use auction_trader_execution::Account;
use auction_trader_types::{
    Fill, Instrument, Liquidity, MarketEvent, OrderId, Quantity, UnixNanos,
};

use super::records::{BarSeries, EquityDetail, simulate_records};
use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::runner::{BacktestResult, initial_equity};

/// Collects the bars of `events` (checking their time order), then runs the crossover.
pub(crate) fn run_sma_cross<E: std::fmt::Display>(
    config: &BacktestConfig,
    instrument: Instrument,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    progress: &mut dyn FnMut(UnixNanos, u64),
) -> Result<BacktestResult, BacktestError> {
    let mut bars = Vec::new();
    let mut count: u64 = 0;
    let mut first_event = None;
    let mut last_event: Option<UnixNanos> = None;
    for event in events {
        let event = event.map_err(|error| BacktestError::Data(error.to_string()))?;
        let ts = event.ts_recv();
        if let Some(last) = last_event
            && ts < last
        {
            return Err(BacktestError::Data(format!(
                "events out of time order: {ts} after {last} (replay must be merged by ts_recv)"
            )));
        }
        first_event.get_or_insert(ts);
        last_event = Some(ts);
        if let MarketEvent::Bar(bar) = event {
            bars.push(bar);
        }
        count += 1;
        if count.is_multiple_of(65_536) {
            progress(ts, count);
        }
    }
    progress(last_event.unwrap_or_default(), count);
    if bars.is_empty() && count > 0 {
        return Err(BacktestError::Config(
            "strategy.sma_cross runs on one-minute bars and the replay holds none (set \
             data.kinds to bar or import a bar file)"
                .to_owned(),
        ));
    }
    let series = BarSeries::from_bars(bars);
    let mut result = sma_cross_result(config, &instrument, &series, EquityDetail::Full)?;
    result.counters.events = count;
    result.first_event = first_event;
    result.last_event = last_event;
    Ok(result)
}

/// The crossover over already-decoded bars (the grid runner's entry: the bars are decoded
/// once per grid).
pub fn sma_cross_result(
    config: &BacktestConfig,
    instrument: &Instrument,
    series: &BarSeries,
    detail: EquityDetail,
) -> Result<BacktestResult, BacktestError> {
    let initial = initial_equity(config)?;
    let mut records = RunRecords::new(
        config.run.name.clone(),
        instrument.key.symbol.to_string(),
        initial,
    );
    records.valuation = instrument.valuation();
    let trading_from = config.data.start_time()?.unwrap_or(UnixNanos(i64::MIN));
    let records = simulate_records(
        series,
        &config.strategy.sma_cross,
        instrument,
        records,
        trading_from,
        detail,
    )?;
    let mut account = Account::with_valuation(instrument.valuation(), initial);
    for fill in &records.fills {
        let side = fill.side;
        account.apply_fill(&Fill {
            order_id: OrderId(fill.order_id),
            ts: fill.ts,
            side,
            price: fill.price,
            quantity: fill.quantity,
            liquidity: Liquidity::Taker,
            fee: fill.fee,
            reference_mid: None,
            leaves_quantity: Quantity::ZERO,
        });
    }
    let metrics = compute_metrics(&records);
    let counters = EngineCounters {
        events: series.len() as u64,
        bars: series.len() as u64,
        intents: records.trades.len() as u64,
        intents_refused: 0,
        orders: records.orders.len() as u64,
        fills: records.fills.len() as u64,
        trades: records.trades.len() as u64,
    };
    Ok(BacktestResult {
        first_event: series.bars.first().map(|bar| bar.ts_recv),
        last_event: series.bars.last().map(|bar| bar.ts_recv),
        records,
        signals: Vec::new(),
        metrics,
        counters,
        final_account: account,
    })
}
