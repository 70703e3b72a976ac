//! Writes a synthetic run directory for the dashboard's page-load benchmark
//! (docs/benchmarks.md): a month of 1-minute bars (44,640, with a value area on each) and
//! 10,000 closed trades, deterministic (no randomness).
//!
//! `cargo run -p auction-trader-api --example synthetic_run -- <runs dir> [name]`

use std::path::PathBuf;

use auction_trader_analytics::{EquityPoint, ExitLeg, PriceBar, RunRecords, TradeRecord};
use auction_trader_storage::run_db::write_execution_db;
use auction_trader_types::{
    Direction, EntryLiquidity, ExitReason, Money, Price, Quantity, SetupKind, UnixNanos,
};

/// 2022-01-01 00:00:00 UTC.
const START: i64 = 1_640_995_200_000_000_000;
const MINUTE: i64 = 60_000_000_000;
const BARS: i64 = 31 * 1440;
const TRADES: i64 = 10_000;

fn price(value: i64) -> Price {
    Price::from_raw(value * 1_000_000_000)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs = PathBuf::from(
        args.next()
            .ok_or("usage: synthetic_run <runs dir> [name]")?,
    );
    let name = args.next().unwrap_or_else(|| "synthetic-month".to_owned());
    let mut records = RunRecords::new(
        "synthetic month",
        "BTCUSDT",
        Money::from_raw(10_000 * 1_000_000_000),
    );
    // A slow triangle wave with a faster one on top: prices 38 000 - 42 000.
    let close = |minute: i64| 40_000 + ((minute % 2_000) - 1_000).abs() * 2 - 1_000 + (minute % 37);
    for minute in 0..BARS {
        let open = close(minute - 1);
        let last = close(minute);
        records.bars.push(PriceBar {
            ts: UnixNanos(START + minute * MINUTE),
            open: price(open),
            high: price(open.max(last) + 5),
            low: price(open.min(last) - 5),
            close: price(last),
            vah: Some(price(last + 60)),
            val: Some(price(last - 60)),
            poc: Some(price(last)),
        });
        records.equity.push(EquityPoint {
            ts: UnixNanos(START + minute * MINUTE),
            equity: Money::from_raw(i128::from(10_000 + minute % 100) * 1_000_000_000),
            cash: Money::from_raw(10_000 * 1_000_000_000),
            unrealized: Money::ZERO,
            position: Quantity::ZERO,
        });
    }
    let step = BARS / TRADES;
    for index in 0..TRADES {
        let entry_minute = index * step;
        let exit_minute = entry_minute + 2;
        let long = index % 2 == 0;
        let (entry, exit) = (close(entry_minute), close(exit_minute));
        let pnl = if long { exit - entry } else { entry - exit };
        records.trades.push(TradeRecord {
            trade_id: index as u64 + 1,
            setup: SetupKind::BreakIn,
            direction: if long {
                Direction::Long
            } else {
                Direction::Short
            },
            signal_ts: UnixNanos(START + entry_minute * MINUTE),
            entry_ts: UnixNanos(START + entry_minute * MINUTE + 1),
            entry_price: price(entry),
            quantity: Quantity::ONE,
            entry_liquidity: EntryLiquidity::Maker,
            stop: price(if long { entry - 100 } else { entry + 100 }),
            take_profit_1: None,
            take_profit_2: price(if long { entry + 100 } else { entry - 100 }),
            exit_ts: UnixNanos(START + exit_minute * MINUTE),
            exit_price: price(exit),
            exit_reason: ExitReason::MaxHold,
            legs: vec![ExitLeg {
                ts: UnixNanos(START + exit_minute * MINUTE),
                price: price(exit),
                quantity: Quantity::ONE,
                reason: ExitReason::MaxHold,
                fee: Money::ZERO,
                slippage: Money::ZERO,
            }],
            gross_pnl: Money::from_raw(i128::from(pnl) * 1_000_000_000),
            fees: Money::ZERO,
            funding: Money::ZERO,
            slippage: Money::ZERO,
            net_pnl: Money::from_raw(i128::from(pnl) * 1_000_000_000),
        });
    }
    let dir = runs.join(&name);
    std::fs::create_dir_all(&dir)?;
    write_execution_db(&dir.join("execution.db"), &records)?;
    println!(
        "{}: {} bars, {} trades",
        dir.display(),
        records.bars.len(),
        records.trades.len()
    );
    Ok(())
}
