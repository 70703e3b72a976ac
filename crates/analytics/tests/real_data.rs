//! Cross-check of the risk/return statistics against empyrical on real data:
//! a buy-and-hold of 1 unit over a month of one-minute BTC-PERP bars (equity = close). The
//! expected numbers come from `tools/stats_crosscheck/run.sh` (empyrical-reloaded 0.7.1,
//! annualization 365) and are committed in `expected_stats.json`; the test reads the same CSV
//! from the shared data in place and skips when it is absent.

use auction_trader_analytics::{
    EquityPoint, ExitLeg, PriceBar, RunRecords, TradeRecord, compute_metrics, daily_equity,
    daily_returns, render_html,
};
use auction_trader_testkit::{NAUTILUS_BTC_PERP_MONTH, shared_data};
use auction_trader_types::{
    Direction, EntryLiquidity, ExitReason, Money, Price, Quantity, SetupKind, UnixNanos,
};
use serde_json::Value;

const EXPECTED: &str = include_str!("expected_stats.json");
const RELATIVE_TOLERANCE: f64 = 1e-9;

/// `2021-12-31 23:01:00.000000` → UTC nanoseconds.
fn parse_timestamp(text: &str) -> UnixNanos {
    let number = |range: std::ops::Range<usize>| -> i64 { text[range].parse().expect("digits") };
    let seconds_of_day = number(11..13) * 3600 + number(14..16) * 60 + number(17..19);
    let base = UnixNanos::from_civil(
        number(0..4),
        number(5..7) as u32,
        number(8..10) as u32,
        seconds_of_day,
    );
    UnixNanos(base.0 + number(20..26) * 1000)
}

fn rfc3339_to_nanos(text: &str) -> UnixNanos {
    // Python's isoformat: `2022-01-24T11:06:00+00:00`.
    parse_timestamp(&format!("{} {}.000000", &text[0..10], &text[11..19]))
}

fn buy_and_hold() -> Option<RunRecords> {
    let path = shared_data(NAUTILUS_BTC_PERP_MONTH)?;
    let mut reader = csv::Reader::from_path(path).expect("the bars CSV opens");
    let mut equity = Vec::new();
    let mut bars = Vec::new();
    for row in reader.records() {
        let row = row.expect("a CSV row");
        let price = |column: usize| Price::from_decimal_str(&row[column]).expect("a price");
        let close = price(4);
        let ts = parse_timestamp(&row[0]);
        bars.push(PriceBar {
            ts,
            open: price(1),
            high: price(2),
            low: price(3),
            close,
            vah: None,
            val: None,
            poc: None,
        });
        equity.push(EquityPoint {
            ts,
            equity: Money::from_raw(i128::from(close.raw())),
            cash: Money::ZERO,
            unrealized: Money::from_raw(i128::from(close.raw())),
            position: Quantity::ONE,
        });
    }
    let mut records = RunRecords::new("buy and hold", "BTC-PERP", equity[0].equity);
    records.equity = equity;
    records.bars = bars;
    Some(records)
}

fn expected() -> Value {
    serde_json::from_str(EXPECTED).expect("expected_stats.json")
}

fn expected_number(expected: &Value, key: &str) -> f64 {
    expected[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in JSON"))
}

fn assert_close(name: &str, actual: f64, expected: f64) {
    let error = (actual - expected).abs() / expected.abs().max(f64::MIN_POSITIVE);
    eprintln!("{name}: ours {actual} empyrical {expected} relative error {error:e}");
    assert!(
        error <= RELATIVE_TOLERANCE,
        "{name}: ours {actual} vs empyrical {expected} (relative error {error:e})"
    );
}

#[test]
fn daily_statistics_match_empyrical() {
    let Some(records) = buy_and_hold() else {
        return;
    };
    let expected = expected();
    let number = |key: &str| expected_number(&expected, key);
    assert_eq!(
        records.equity.len() as u64,
        expected["bars"].as_u64().expect("bars")
    );

    // The daily sampling itself: every day end and every return.
    let day_ends = daily_equity(&records.equity);
    let returns = daily_returns(records.initial_equity, &day_ends);
    let expected_ends = expected["day_ends"].as_array().expect("day_ends");
    let expected_returns = expected["daily_returns"].as_array().expect("daily_returns");
    assert_eq!(day_ends.len(), expected_ends.len());
    for ((day, ours), (end, theirs)) in day_ends
        .iter()
        .zip(&returns)
        .zip(expected_ends.iter().zip(expected_returns))
    {
        assert_eq!(day.ts, rfc3339_to_nanos(end.as_str().expect("a day end")));
        let theirs = theirs.as_f64().expect("a return");
        assert!(
            (ours - theirs).abs() <= 1e-15,
            "{}: {ours} vs {theirs}",
            day.ts
        );
    }

    let metrics = compute_metrics(&records);
    assert_eq!(
        metrics.daily.days as u64,
        expected["days"].as_u64().expect("days")
    );
    assert_close("sharpe", metrics.sharpe.expect("sharpe"), number("sharpe"));
    assert_close(
        "sortino",
        metrics.sortino.expect("sortino"),
        number("sortino"),
    );
    assert_close(
        "annual volatility",
        metrics.daily.annual_volatility.expect("volatility"),
        number("annual_volatility"),
    );
    // empyrical's downside_risk is annualized: ours × √365.
    assert_close(
        "downside risk",
        metrics.daily.downside_deviation.expect("downside") * 365f64.sqrt(),
        number("downside_risk_annualized"),
    );
    // empyrical reports drawdowns as negative fractions; ours are positive percentages.
    let daily_drawdown = metrics.daily_max_drawdown.expect("daily drawdown");
    assert_close(
        "daily max drawdown",
        -daily_drawdown.percent / 100.0,
        number("max_drawdown_daily"),
    );
}

#[test]
fn intraday_max_drawdown_matches_empyrical_on_minute_returns() {
    let Some(records) = buy_and_hold() else {
        return;
    };
    let expected = expected();
    let number = |key: &str| expected_number(&expected, key);
    let metrics = compute_metrics(&records);
    let drawdown = metrics.max_drawdown.expect("drawdown");
    assert_close(
        "minute max drawdown",
        -drawdown.percent / 100.0,
        number("max_drawdown_minute"),
    );
    assert_close(
        "minute max drawdown (pandas)",
        -drawdown.percent / 100.0,
        number("max_drawdown_minute_pandas"),
    );
    let text = |key: &str| {
        expected[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in JSON"))
            .to_owned()
    };
    assert_eq!(
        drawdown.peak_ts,
        rfc3339_to_nanos(&text("max_drawdown_minute_peak_ts"))
    );
    assert_eq!(
        drawdown.trough_ts,
        rfc3339_to_nanos(&text("max_drawdown_minute_trough_ts"))
    );
    // Buy-and-hold: always in the market; net P&L = last close − first close.
    assert_eq!(metrics.exposure_pct, Some(100.0));
    assert_eq!(
        metrics.net_pnl,
        Money::from_decimal_str("-7833").expect("money")
    );
}

#[test]
fn report_of_a_month_of_minutes_stays_light() {
    let Some(mut records) = buy_and_hold() else {
        return;
    };
    // One illustrative trade so that markers are drawn: long 1 from the first close, out at
    // the close of 2022-01-10 00:00.
    let exit = records
        .bars
        .iter()
        .find(|bar| bar.ts >= rfc3339_to_nanos("2022-01-10T00:00:00+00:00"))
        .copied()
        .expect("a bar on 2022-01-10");
    let first = records.bars[0];
    let gross = Money::from_raw(i128::from(exit.close.raw() - first.close.raw()));
    records.trades.push(TradeRecord {
        trade_id: 1,
        setup: SetupKind::Other,
        direction: Direction::Long,
        signal_ts: first.ts,
        entry_ts: first.ts,
        entry_price: first.close,
        quantity: Quantity::ONE,
        entry_liquidity: EntryLiquidity::Taker,
        stop: Price::ZERO,
        take_profit_1: None,
        take_profit_2: Price::MAX,
        exit_ts: exit.ts,
        exit_price: exit.close,
        exit_reason: ExitReason::Strategy,
        legs: vec![ExitLeg {
            ts: exit.ts,
            price: exit.close,
            quantity: Quantity::ONE,
            reason: ExitReason::Strategy,
            fee: Money::ZERO,
            slippage: Money::ZERO,
        }],
        gross_pnl: gross,
        fees: Money::ZERO,
        funding: Money::ZERO,
        slippage: Money::ZERO,
        net_pnl: gross,
    });
    let metrics = compute_metrics(&records);
    let html = render_html(&records, &metrics, "mode: bars\n");
    // 45,031 minutes → at most 4,000 points per line, and the two zoom levels of the price
    // and equity charts keep the page under 800 kB.
    let largest_line = html
        .split("<polyline")
        .skip(1)
        .map(|line| {
            line.split('"')
                .nth(3)
                .map_or(0, |points| points.split(' ').count())
        })
        .max()
        .unwrap_or(0);
    assert!(largest_line <= 4000, "{largest_line} points");
    assert!(html.len() < 800_000, "{} bytes", html.len());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("buy_and_hold_report.html");
    std::fs::write(&path, &html).expect("write the report");
    eprintln!(
        "report: {} ({} bytes, largest line {largest_line} points)",
        path.display(),
        html.len()
    );
}
