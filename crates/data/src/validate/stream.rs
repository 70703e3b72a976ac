//! The running checks of one instrument's stream of one kind.

use auction_trader_types::{
    AggressorSide, Bar, BookDelta, Funding, InstrumentKey, Liquidation, MarketEvent, Price,
    Quantity, Quote, StreamKind, Trade, UnixNanos,
};

use super::ValidationSettings;
use super::report::{AggressorCoverage, Gap, StreamReport, TradeIdCheck, VolumeSum};
use super::sequence::{SequenceChecker, SequenceRule};
use super::trade_ids::TradeIdSet;

/// Running state of one stream; [`StreamState::report`] snapshots it at any time.
#[derive(Debug, Clone)]
pub(crate) struct StreamState {
    report: StreamReport,
    gap_threshold_nanos: i64,
    previous_ts_recv: Option<UnixNanos>,
    previous_ts_event: Option<UnixNanos>,
    /// Latest `ts_recv` so far: gaps are measured from it, so a stream delivered in
    /// descending batches does not invent gaps.
    latest_ts_recv: Option<UnixNanos>,
    trade_ids: Option<TradeIdSet>,
    sequence: Option<SequenceChecker>,
}

impl StreamState {
    pub(crate) fn new(
        instrument: InstrumentKey,
        kind: StreamKind,
        settings: &ValidationSettings,
    ) -> Self {
        let mut report = StreamReport::empty(instrument, kind);
        let mut trade_ids = None;
        let mut sequence = None;
        match kind {
            StreamKind::Trade => {
                report.trade_ids = Some(TradeIdCheck::default());
                report.aggressor = Some(AggressorCoverage::default());
                trade_ids = Some(TradeIdSet::new(settings.trade_id_capacity));
            }
            StreamKind::Depth => {
                let rule = SequenceRule::for_venue(&report.instrument.venue);
                sequence = Some(SequenceChecker::new(
                    rule,
                    settings.max_sequence_breaks_listed,
                ));
            }
            _ => {}
        }
        Self {
            report,
            gap_threshold_nanos: settings.gap_threshold_nanos,
            previous_ts_recv: None,
            previous_ts_event: None,
            latest_ts_recv: None,
            trade_ids,
            sequence,
        }
    }

    pub(crate) fn add_crossed_books(&mut self, count: u64) {
        self.report.crossed_books += count;
    }

    /// The report as of now.
    pub(crate) fn report(&self) -> StreamReport {
        let mut report = self.report.clone();
        if let (Some(check), Some(ids)) = (report.trade_ids.as_mut(), self.trade_ids.as_ref()) {
            check.evicted_ranges = ids.evicted_ranges();
        }
        if let Some(coverage) = report.aggressor.as_mut() {
            let given = coverage.buy_volume.0 + coverage.sell_volume.0;
            let total = given + coverage.unknown_volume.0;
            coverage.given_volume_share =
                (total > 0).then(|| VolumeSum(given).as_f64() / VolumeSum(total).as_f64());
        }
        report.sequence = self.sequence.as_ref().map(SequenceChecker::report);
        report
    }

    /// Runs every check on one event of this stream.
    pub(crate) fn observe(&mut self, event: &MarketEvent) {
        self.report.events += 1;
        self.observe_time(event.ts_recv(), event.ts_event());
        match event {
            MarketEvent::Trade(trade) => self.observe_trade(trade),
            MarketEvent::Quote(quote) => self.observe_quote(quote),
            MarketEvent::Depth(delta) => self.observe_depth(delta),
            MarketEvent::Liquidation(liquidation) => self.observe_liquidation(liquidation),
            MarketEvent::Funding(funding) => self.observe_funding(funding),
            MarketEvent::Bar(bar) => self.observe_bar(bar),
        }
    }

    fn observe_time(&mut self, ts_recv: UnixNanos, ts_event: UnixNanos) {
        // SPEC 1.3: timestamps monotonic per stream; report out-of-order counts. Equal
        // timestamps are in order (rows of one message share them).
        if let Some(previous) = self.previous_ts_recv
            && ts_recv < previous
        {
            self.report.out_of_order_ts_recv += 1;
            let step_back = previous.as_i64().saturating_sub(ts_recv.as_i64());
            self.report.largest_ts_recv_step_back_nanos =
                self.report.largest_ts_recv_step_back_nanos.max(step_back);
        }
        if let Some(previous) = self.previous_ts_event
            && ts_event < previous
        {
            self.report.out_of_order_ts_event += 1;
        }
        self.previous_ts_recv = Some(ts_recv);
        self.previous_ts_event = Some(ts_event);

        // SPEC 1.3: report every gap longer than the threshold.
        if let Some(latest) = self.latest_ts_recv {
            let duration = ts_recv.as_i64().saturating_sub(latest.as_i64());
            if duration > self.gap_threshold_nanos {
                self.report.gaps.push(Gap {
                    start: latest,
                    end: ts_recv,
                    duration_nanos: duration,
                });
            }
        }
        self.latest_ts_recv = Some(
            self.latest_ts_recv
                .map_or(ts_recv, |latest| latest.max(ts_recv)),
        );
        self.report.first_ts_recv = Some(
            self.report
                .first_ts_recv
                .map_or(ts_recv, |first| first.min(ts_recv)),
        );
        self.report.last_ts_recv = self.latest_ts_recv;
    }

    fn count_prices(&mut self, prices: &[Price], zero_is_bad: bool) {
        if prices.iter().any(|price| price.raw() < 0) {
            self.report.negative_prices += 1;
        }
        if zero_is_bad && prices.iter().any(|price| price.raw() == 0) {
            self.report.zero_prices += 1;
        }
    }

    fn count_sizes(&mut self, sizes: &[Quantity], zero_is_bad: bool) {
        if sizes.iter().any(|size| size.raw() < 0) {
            self.report.negative_sizes += 1;
        }
        if zero_is_bad && sizes.iter().any(|size| size.raw() == 0) {
            self.report.zero_sizes += 1;
        }
    }

    fn observe_trade(&mut self, trade: &Trade) {
        // SPEC 1.3: no negative and no zero trade price or size.
        self.count_prices(&[trade.price], true);
        self.count_sizes(&[trade.size], true);
        if let (Some(check), Some(ids)) = (self.report.trade_ids.as_mut(), self.trade_ids.as_mut())
        {
            // TradeId 0 = absent (sources without ids): not checked.
            if trade.trade_id.0 == 0 {
                check.without_id += 1;
            } else if !ids.insert(trade.trade_id.0) {
                check.duplicates += 1;
            }
        }
        if let Some(coverage) = self.report.aggressor.as_mut() {
            let volume = trade.size.raw();
            let (count, sum) = match trade.aggressor {
                AggressorSide::Buy => (&mut coverage.buy_trades, &mut coverage.buy_volume),
                AggressorSide::Sell => (&mut coverage.sell_trades, &mut coverage.sell_volume),
                AggressorSide::Unknown => {
                    (&mut coverage.unknown_trades, &mut coverage.unknown_volume)
                }
            };
            *count += 1;
            sum.0 += volume;
        }
    }

    fn observe_quote(&mut self, quote: &Quote) {
        // SPEC 1.3: no zero quote price; no crossed book (bid >= ask) in quotes.
        self.count_prices(&[quote.bid_price, quote.ask_price], true);
        self.count_sizes(&[quote.bid_size, quote.ask_size], false);
        if quote.bid_price.raw() > 0
            && quote.ask_price.raw() > 0
            && quote.bid_price >= quote.ask_price
        {
            self.report.crossed_quotes += 1;
        }
        if !quote.flags.has_exchange_time() {
            self.report.without_exchange_time += 1;
        }
    }

    fn observe_depth(&mut self, delta: &BookDelta) {
        // SPEC 1.1/1.3: zero is valid only as a depth-delta size (it removes the level); an
        // EMPTY row carries no level, so its zero price is by design.
        if !delta.flags.is_empty_message() {
            self.count_prices(&[delta.price], true);
            self.count_sizes(&[delta.size], false);
        }
        if let Some(sequence) = self.sequence.as_mut() {
            sequence.observe(delta);
        }
    }

    fn observe_liquidation(&mut self, liquidation: &Liquidation) {
        self.count_prices(&[liquidation.price], true);
        self.count_sizes(&[liquidation.size], true);
    }

    fn observe_funding(&mut self, funding: &Funding) {
        // Rates may be negative; mark and index prices are zero when absent.
        self.count_prices(&[funding.mark_price, funding.index_price], false);
    }

    fn observe_bar(&mut self, bar: &Bar) {
        // A bar without trades repeats the previous close and may have zero volume (SPEC 2.1).
        self.count_prices(&[bar.open, bar.high, bar.low, bar.close, bar.vwap], false);
        self.count_sizes(&[bar.volume, bar.buy_volume, bar.sell_volume], false);
    }
}
