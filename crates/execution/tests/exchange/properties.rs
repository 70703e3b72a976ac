//! Property tests: random event and order sequences never panic, the position is the sum of
//! the signed fills, and fills respect lots and limit prices.

use std::collections::BTreeMap;

use auction_trader_execution::{FillModelConfig, LatencyConfig, LatencyModel, QueueModelKind};
use auction_trader_types::{
    AggressorSide, BookSide, ExecutionReport, MarketEvent, OrderId, OrderKind, OrderRequest,
    OrderSide, Price, Quantity, TimeoutAction,
};
use proptest::prelude::*;

use crate::support::*;

#[derive(Debug, Clone)]
enum Operation {
    Quote {
        bid: i64,
        spread: i64,
        lots: i64,
    },
    Trade {
        ticks: i64,
        lots: i64,
        aggressor: u8,
    },
    Level {
        ask: bool,
        ticks: i64,
        lots: i64,
    },
    Snapshot {
        mid: i64,
    },
    Bar {
        low: i64,
        high: i64,
    },
    Funding {
        rate_bps: i64,
    },
    Submit {
        market: bool,
        buy: bool,
        ticks: i64,
        lots: i64,
        post_only: bool,
        reduce_only: bool,
        timeout: u8,
    },
    Cancel {
        back: u64,
    },
}

fn operation() -> impl Strategy<Value = Operation> {
    let ticks = 990_i64..1_010;
    prop_oneof![
        3 => (ticks.clone(), 1_i64..4, 1_i64..50).prop_map(|(bid, spread, lots)| Operation::Quote { bid, spread, lots }),
        4 => (ticks.clone(), 1_i64..30, 0_u8..3).prop_map(|(ticks, lots, aggressor)| Operation::Trade { ticks, lots, aggressor }),
        4 => (any::<bool>(), ticks.clone(), 0_i64..40).prop_map(|(ask, ticks, lots)| Operation::Level { ask, ticks, lots }),
        1 => ticks.clone().prop_map(|mid| Operation::Snapshot { mid }),
        1 => (ticks.clone(), 0_i64..10).prop_map(|(low, range)| Operation::Bar { low, high: low + range }),
        1 => (-5_i64..5).prop_map(|rate_bps| Operation::Funding { rate_bps }),
        4 => (any::<bool>(), any::<bool>(), ticks, 0_i64..20, any::<bool>(), any::<bool>(), 0_u8..3)
            .prop_map(|(market, buy, ticks, lots, post_only, reduce_only, timeout)| Operation::Submit {
                market, buy, ticks, lots, post_only, reduce_only, timeout
            }),
        2 => (0_u64..5).prop_map(|back| Operation::Cancel { back }),
    ]
}

fn tick_price(ticks: i64) -> Price {
    Price::from_raw(ticks * 100_000_000) // tick 0.1 around 100.0
}

fn lots(count: i64) -> Quantity {
    Quantity::from_raw(count * 1_000_000)
}

fn run(operations: &[(Operation, i64)], config: FillModelConfig) -> Result<(), TestCaseError> {
    let mut exchange = exchange_with(config);
    let mut reports: Vec<ExecutionReport> = Vec::new();
    let mut limits: BTreeMap<OrderId, (OrderSide, Option<Price>)> = BTreeMap::new();
    let mut clock = 0_i64;
    let mut next_id = 1_u64;
    for (operation, step) in operations {
        clock += step;
        let ts = ms(clock);
        let events: Vec<MarketEvent> = match *operation {
            Operation::Quote {
                bid,
                spread,
                lots: size,
            } => {
                let bid = tick_price(bid).to_string();
                vec![MarketEvent::Quote(auction_trader_types::Quote {
                    ts_event: ts,
                    ts_recv: ts,
                    bid_price: price(&bid),
                    bid_size: lots(size),
                    ask_price: Price::from_raw(price(&bid).raw() + spread * 100_000_000),
                    ask_size: lots(size),
                    update_id: 0,
                    flags: auction_trader_types::QuoteFlags::default(),
                })]
            }
            Operation::Trade {
                ticks,
                lots: size,
                aggressor,
            } => {
                let aggressor = match aggressor {
                    0 => AggressorSide::Buy,
                    1 => AggressorSide::Sell,
                    _ => AggressorSide::Unknown,
                };
                vec![trade(
                    ts,
                    &tick_price(ticks).to_string(),
                    &lots(size).to_string(),
                    aggressor,
                )]
            }
            Operation::Level {
                ask,
                ticks,
                lots: size,
            } => {
                let side = if ask { BookSide::Ask } else { BookSide::Bid };
                vec![level(
                    ts,
                    side,
                    &tick_price(ticks).to_string(),
                    &lots(size).to_string(),
                )]
            }
            Operation::Snapshot { mid } => {
                let bid = tick_price(mid).to_string();
                let ask = tick_price(mid + 1).to_string();
                snapshot(ts, &[(&bid, "0.02")], &[(&ask, "0.02")])
            }
            Operation::Bar { low, high } => {
                let (low, high) = (tick_price(low).to_string(), tick_price(high).to_string());
                vec![bar(ts, &low, &high, &low, &high)]
            }
            Operation::Funding { rate_bps } => {
                vec![funding(
                    ts,
                    &format!("{}", rate_bps as f64 / 10_000.0),
                    "100",
                )]
            }
            Operation::Submit {
                market,
                buy,
                ticks,
                lots: size,
                post_only,
                reduce_only,
                timeout,
            } => {
                let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
                let limit_price = (!market).then(|| tick_price(ticks));
                let request = OrderRequest {
                    id: OrderId(next_id),
                    side,
                    quantity: lots(size),
                    kind: match limit_price {
                        Some(price) => OrderKind::Limit { price, post_only },
                        None => OrderKind::Market,
                    },
                    reduce_only,
                    timeout: match timeout {
                        1 => Some((500_000_000, TimeoutAction::Cancel)),
                        2 => Some((500_000_000, TimeoutAction::ConvertToMarket)),
                        _ => None,
                    },
                    trigger: None,
                };
                limits.insert(OrderId(next_id), (side, limit_price));
                next_id += 1;
                exchange.submit(ts, request);
                Vec::new()
            }
            Operation::Cancel { back } => {
                exchange.cancel(ts, OrderId(next_id.saturating_sub(back + 1)));
                Vec::new()
            }
        };
        for event in &events {
            exchange.on_market_event(event, &mut reports);
        }
    }
    exchange.advance_to(ms(clock + 10_000), &mut reports);

    let mut position = 0_i64;
    let mut last_ts = i64::MIN;
    for report in &reports {
        prop_assert!(
            report.ts().as_i64() >= last_ts,
            "reports out of time order: {report:?}"
        );
        last_ts = report.ts().as_i64();
        if let ExecutionReport::Filled(fill) = report {
            prop_assert!(fill.quantity.is_positive());
            prop_assert_eq!(fill.quantity.raw() % 1_000_000, 0, "fill not in whole lots");
            position += fill.quantity.raw() * fill.side.sign();
            let (side, limit) = limits[&fill.order_id];
            prop_assert_eq!(side, fill.side);
            // A limit's fills (taker on arrival or maker later) are never worse than its
            // limit; orders converted to market after their timeout are exempt.
            let converted = reports.contains(&ExecutionReport::ConvertedToMarket {
                order_id: fill.order_id,
                ts: fill.ts,
            });
            if let (Some(limit), false) = (limit, converted) {
                match side {
                    OrderSide::Buy => prop_assert!(fill.price <= limit, "{fill:?} above {limit}"),
                    OrderSide::Sell => prop_assert!(fill.price >= limit, "{fill:?} below {limit}"),
                }
            }
        }
    }
    prop_assert_eq!(exchange.account().position().raw(), position);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_sequences_keep_the_ledger_consistent(
        operations in prop::collection::vec((operation(), 0_i64..400), 1..120),
        model in 0_usize..QueueModelKind::ALL.len(),
        uniform: bool,
        seed in 0_u64..1_000,
    ) {
        let config = FillModelConfig {
            queue_model: QueueModelKind::ALL[model],
            seed,
            latency: LatencyConfig {
                model: if uniform { LatencyModel::Uniform } else { LatencyModel::Fixed },
                ..LatencyConfig::default()
            },
            funding_interval_hours: 1,
            ..FillModelConfig::default()
        };
        run(&operations, config)?;
    }
}
