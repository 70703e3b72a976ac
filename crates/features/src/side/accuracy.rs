//! Accuracy of trade-side inference against the venue's true aggressor labels (SPEC 2.3:
//! where the venue labels trades, inference still runs and its accuracy is reported).
//!
//! Every rule sees the same aggregated trades (same-timestamp fills per label, SPEC 2.3):
//! - quote rule alone: the SPEC quote rule with the SPEC quote (exchange-time selection);
//! - tick rule alone: zero-tick continuation;
//! - Lee-Ready: the quote rule with the standard quote (latest received, no exchange-time
//!   filter), tick rule for trades at the mid;
//! - EMO (Ellis–Michaely–O'Hara): at the ask → buy, at the bid → sell (standard quote), tick
//!   rule for everything else;
//! - SPEC combined: quote rule with the SPEC quote, tick rule at the mid;
//! - SPEC combined, receive order: the same with untimed quotes taken in receive order (the
//!   SPEC text before the untimed-quote extension, `side::quote_timing`); identical to
//!   `combined` on feeds whose quotes carry exchange times.

use auction_trader_types::{AggressorSide, MarketEvent};
use serde::Serialize;

use crate::config::FeatureConfig;
use crate::quotes::QuoteTracker;
use crate::side::aggregation::{AggregatedTrade, TradeAggregator};
use crate::side::classifier::quote_age_nanos;
use crate::side::quote_timing::{QuoteTiming, UntimedQuotePolicy};
use crate::side::rules::{TickRule, emo_quote_test, quote_else_tick, quote_rule};

/// Counts of one rule against the true labels (trades = aggregated trades).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RuleAccuracy {
    /// Labelled trades the rule classified.
    pub classified: u64,
    pub correct: u64,
    /// Labelled trades the rule left unclassified.
    pub unclassified: u64,
    /// Volumes in raw fixed-point units (10^-9).
    pub classified_volume: i128,
    pub correct_volume: i128,
    /// correct / classified.
    pub accuracy: Option<f64>,
    /// correct / all labelled trades (unclassified count as wrong).
    pub accuracy_all: Option<f64>,
    /// classified / all labelled trades.
    pub coverage: Option<f64>,
    /// correct_volume / classified_volume.
    pub volume_accuracy: Option<f64>,
}

impl RuleAccuracy {
    fn record(&mut self, inferred: AggressorSide, truth: AggressorSide, volume: i128) {
        if inferred == AggressorSide::Unknown {
            self.unclassified += 1;
            return;
        }
        self.classified += 1;
        self.classified_volume += volume;
        if inferred == truth {
            self.correct += 1;
            self.correct_volume += volume;
        }
    }

    fn finish(&mut self) {
        let labelled = self.classified + self.unclassified;
        self.accuracy = ratio(self.correct as f64, self.classified as f64);
        self.accuracy_all = ratio(self.correct as f64, labelled as f64);
        self.coverage = ratio(self.classified as f64, labelled as f64);
        self.volume_accuracy = ratio(self.correct_volume as f64, self.classified_volume as f64);
    }
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// The report of [`side_accuracy`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SideAccuracyReport {
    pub quotes: u64,
    /// Raw fills read.
    pub fills: u64,
    /// Aggregated trades (same `ts_event`, per label).
    pub trades: u64,
    /// Aggregated trades with a venue label (the accuracy base).
    pub labelled_trades: u64,
    pub volume: i128,
    pub quote_rule: RuleAccuracy,
    pub tick_rule: RuleAccuracy,
    pub lee_ready: RuleAccuracy,
    pub emo: RuleAccuracy,
    pub combined: RuleAccuracy,
    /// SPEC combined with untimed quotes in receive order (the behaviour before the
    /// untimed-quote extension), for comparison.
    pub combined_receive_order: RuleAccuracy,
    /// The untimed-quote policy `combined` used.
    pub untimed_quote_policy: UntimedQuotePolicy,
    /// Share of all volume the SPEC quote rule could not classify (ambiguous_trade_frac over
    /// the whole capture, labels ignored).
    pub ambiguous_volume_fraction: Option<f64>,
    /// Trades the SPEC quote rule classified with a quote older than the stale threshold.
    pub stale_classifications: u64,
    /// Trades with no quote strictly before them on the exchange clock.
    pub quote_lookup_misses: u64,
}

/// [`side_accuracy_configured`] with the default configuration (stale threshold 250 ms,
/// SPEC 10; untimed quotes by clock offset).
pub fn side_accuracy<'a>(events: impl IntoIterator<Item = &'a MarketEvent>) -> SideAccuracyReport {
    side_accuracy_configured(events, &FeatureConfig::default())
}

/// [`side_accuracy_configured`] with a given stale threshold and the default quote timing.
pub fn side_accuracy_with<'a>(
    events: impl IntoIterator<Item = &'a MarketEvent>,
    stale_after_nanos: i64,
) -> SideAccuracyReport {
    score_events(events, stale_after_nanos, QuoteTiming::default())
}

/// Runs every rule over the events of one instrument (in `ts_recv` order) and scores them
/// against the venue's labels, with the config's stale threshold and untimed-quote policy.
pub fn side_accuracy_configured<'a>(
    events: impl IntoIterator<Item = &'a MarketEvent>,
    config: &FeatureConfig,
) -> SideAccuracyReport {
    score_events(events, config.stale_quote_nanos(), config.quote_timing())
}

fn score_events<'a>(
    events: impl IntoIterator<Item = &'a MarketEvent>,
    stale_after_nanos: i64,
    timing: QuoteTiming,
) -> SideAccuracyReport {
    let mut scorer = Scorer {
        report: SideAccuracyReport {
            untimed_quote_policy: timing.policy(),
            ..SideAccuracyReport::default()
        },
        tick_rule: TickRule::new(),
        ambiguous_volume: 0,
        stale_after_nanos,
    };
    let mut quotes = QuoteTracker::new();
    let mut aggregator = TradeAggregator::with_timing(timing);
    for event in events {
        match event {
            MarketEvent::Quote(quote) => {
                scorer.report.quotes += 1;
                quotes.on_quote(quote);
            }
            MarketEvent::Trade(trade) => {
                scorer.report.fills += 1;
                aggregator.push(trade, &mut quotes, &mut |aggregate| {
                    scorer.score(&aggregate)
                });
            }
            _ => {}
        }
    }
    aggregator.flush(&mut |aggregate| scorer.score(&aggregate));
    let mut report = scorer.report;
    report.quote_lookup_misses = quotes.lookup_misses;
    report.ambiguous_volume_fraction = ratio(scorer.ambiguous_volume as f64, report.volume as f64);
    for rule in [
        &mut report.quote_rule,
        &mut report.tick_rule,
        &mut report.lee_ready,
        &mut report.emo,
        &mut report.combined,
        &mut report.combined_receive_order,
    ] {
        rule.finish();
    }
    report
}

struct Scorer {
    report: SideAccuracyReport,
    tick_rule: TickRule,
    ambiguous_volume: i128,
    stale_after_nanos: i64,
}

impl Scorer {
    fn score(&mut self, trade: &AggregatedTrade) {
        let volume = trade.size.raw();
        let report = &mut self.report;
        report.trades += 1;
        report.volume += volume;
        let spec_quote = quote_rule(trade.price, trade.spec_quote.as_ref());
        let tick = self.tick_rule.classify(trade.price);
        let lee_ready_quote = quote_rule(trade.price, trade.latest_quote.as_ref());
        let emo_quote = emo_quote_test(trade.price, trade.latest_quote.as_ref());
        let receive_order_quote = quote_rule(trade.price, trade.receive_order_quote.as_ref());
        if spec_quote == AggressorSide::Unknown {
            self.ambiguous_volume += volume;
        } else if trade
            .spec_quote
            .is_some_and(|quote| quote_age_nanos(trade, &quote) > self.stale_after_nanos)
        {
            report.stale_classifications += 1;
        }
        let truth = trade.venue_side;
        if truth == AggressorSide::Unknown {
            return;
        }
        report.labelled_trades += 1;
        report.quote_rule.record(spec_quote, truth, volume);
        report.tick_rule.record(tick, truth, volume);
        report
            .lee_ready
            .record(quote_else_tick(lee_ready_quote, tick), truth, volume);
        report
            .emo
            .record(quote_else_tick(emo_quote, tick), truth, volume);
        report
            .combined
            .record(quote_else_tick(spec_quote, tick), truth, volume);
        report.combined_receive_order.record(
            quote_else_tick(receive_order_quote, tick),
            truth,
            volume,
        );
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Price, Quantity, Quote, QuoteFlags, Trade, TradeId, UnixNanos};

    use super::*;

    fn quote(ts_event: i64, ts_recv: i64, bid: i64, ask: i64) -> MarketEvent {
        MarketEvent::Quote(Quote {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_recv),
            bid_price: Price::from_units(bid).unwrap(),
            bid_size: Quantity::ONE,
            ask_price: Price::from_units(ask).unwrap(),
            ask_size: Quantity::ONE,
            update_id: 0,
            flags: QuoteFlags::default(),
        })
    }

    fn trade(ts_event: i64, ts_recv: i64, price: i64, side: AggressorSide) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts_event),
            ts_recv: UnixNanos(ts_recv),
            price: Price::from_units(price).unwrap(),
            size: Quantity::ONE,
            aggressor: side,
            trade_id: TradeId(0),
        })
    }

    #[test]
    fn scores_each_rule_on_a_hand_worked_tape() {
        use AggressorSide::{Buy, Sell};
        // Quote 100/104 (mid 102) at exchange time 10.
        // T1 @104 (true buy): quote buy, tick none (first), LR buy, EMO buy, SPEC buy.
        // Post-trade quote 104/108 (exchange time 20) received BEFORE trade T2 whose exchange
        //   time is also 20: the SPEC quote is still 100/104; the standard quote is 104/108.
        // T2 @103 (true buy): SPEC quote: inside, nearer the ask -> buy. LR with 104/108:
        //   103 <= bid 104 -> sell (wrong). EMO: not at 104/108 quotes -> tick: down from 104
        //   -> sell (wrong). Tick: sell (wrong).
        // T3 @106 (true sell) at exchange time 30: SPEC quote 104/108 (mid 106) -> ambiguous ->
        //   tick: up from 103 -> buy (wrong). LR same -> buy (wrong). EMO: tick buy (wrong).
        let events = [
            quote(10, 11, 100, 104),
            trade(15, 16, 104, Buy),
            quote(20, 21, 104, 108),
            trade(20, 22, 103, Buy),
            trade(30, 31, 106, Sell),
        ];
        let report = side_accuracy(events.iter());
        assert_eq!(
            (report.trades, report.labelled_trades, report.quotes),
            (3, 3, 2)
        );
        // Quote rule alone: T1 right, T2 right, T3 unclassified.
        assert_eq!(
            (report.quote_rule.classified, report.quote_rule.correct),
            (2, 2)
        );
        assert_eq!(report.quote_rule.unclassified, 1);
        // Tick: T1 unclassified, T2 wrong, T3 wrong.
        assert_eq!(
            (report.tick_rule.classified, report.tick_rule.correct),
            (2, 0)
        );
        // Lee-Ready: T1 right, T2 wrong, T3 wrong.
        assert_eq!(
            (report.lee_ready.classified, report.lee_ready.correct),
            (3, 1)
        );
        // EMO: T1 right, T2 wrong, T3 wrong.
        assert_eq!((report.emo.classified, report.emo.correct), (3, 1));
        // SPEC combined: T1 right, T2 right, T3 wrong.
        assert_eq!(
            (report.combined.classified, report.combined.correct),
            (3, 2)
        );
        assert_eq!(report.combined.accuracy, Some(2.0 / 3.0));
        // Ambiguous volume: T3 only, 1 of 3 units.
        assert_eq!(report.ambiguous_volume_fraction, Some(1.0 / 3.0));
        assert_eq!(report.stale_classifications, 0);
    }

    #[test]
    fn untimed_quotes_by_clock_offset_and_in_receive_order() {
        use AggressorSide::Sell;
        let untimed = |ts_recv: i64, bid: i64, ask: i64| {
            let MarketEvent::Quote(mut inner) = quote(ts_recv, ts_recv, bid, ask) else {
                unreachable!()
            };
            inner.flags = QuoteFlags(QuoteFlags::NO_EXCHANGE_TIME);
            MarketEvent::Quote(inner)
        };
        // Recorder clock 1000 ns ahead of the exchange, fastest trade latency 2 ns.
        // T1 sell @100 at exchange 0, received 1002 (offset 1002), quote 100/101 received 990.
        // The post-trade quote 99/100 (the bid at 100 was taken by T2) is received at 1013,
        // before T2 itself: T2 sell @100 at exchange 10, received 1020 (latency 18).
        // Clock offset: cutoff = 10 + 1002 = 1012 -> quote 100/101 (received 990): 100 <= bid
        //   -> sell (right). Receive order: 99/100 -> 100 >= ask -> buy (wrong).
        // Tick: T1 first -> unclassified, T2 zero tick -> unclassified.
        let events = [
            untimed(990, 100, 101),
            trade(0, 1002, 100, Sell),
            untimed(1013, 99, 100),
            trade(10, 1020, 100, Sell),
        ];
        let report = side_accuracy(events.iter());
        assert_eq!(report.untimed_quote_policy, UntimedQuotePolicy::ClockOffset);
        assert_eq!(
            (report.combined.classified, report.combined.correct),
            (2, 2)
        );
        assert_eq!(
            (
                report.combined_receive_order.classified,
                report.combined_receive_order.correct
            ),
            (2, 1)
        );
        // Lee-Ready uses the latest received quote: same as receive order here.
        assert_eq!(report.lee_ready.correct, 1);
        // EMO: T2 at the ask 100 of 99/100 -> buy (wrong); T1 at the bid -> sell.
        assert_eq!(report.emo.correct, 1);
        // The SPEC rule as written, configured explicitly, reproduces the comparison row.
        let config = FeatureConfig {
            untimed_quote_policy: UntimedQuotePolicy::ReceiveOrder,
            ..FeatureConfig::default()
        };
        let written = side_accuracy_configured(events.iter(), &config);
        assert_eq!(written.combined, report.combined_receive_order);
    }

    #[test]
    fn stale_classifications_are_counted() {
        // Quote at exchange time 0; trade 1 s later at the ask -> classified with a stale quote.
        let events = [
            quote(0, 0, 100, 101),
            trade(1_000_000_000, 1_000_000_000, 101, AggressorSide::Buy),
        ];
        let report = side_accuracy(events.iter());
        assert_eq!(report.stale_classifications, 1);
        assert_eq!(report.quote_rule.correct, 1);
    }
}
