//! Interpolated order latency (SPEC 5): latency from a file of recorded round trips, linear in
//! the request time between rows; clear errors on a bad file.

use std::path::PathBuf;

use auction_trader_execution::{ExecutionError, FillModelConfig, LatencyConfig, LatencyModel};
use auction_trader_types::{ExecutionReport, OrderId, OrderSide};

use crate::support::*;

/// Writes `text` to a file of its own under the system temp directory.
fn latency_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exchange-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn interpolated(path: PathBuf) -> FillModelConfig {
    FillModelConfig {
        latency: LatencyConfig {
            model: LatencyModel::Interpolated,
            file: Some(path),
            ..LatencyConfig::default()
        },
        ..FillModelConfig::default()
    }
}

#[test]
fn orders_and_cancels_take_the_latency_recorded_around_their_send_time() {
    // Round trips sent at 0 s (acknowledged 100 ms later) and 10 s (300 ms later).
    let path = latency_file(
        "two_rows.csv",
        "request_ns,exchange_ns,response_ns\n0,100000000,150000000\n\
         10000000000,10300000000,10350000000\n",
    );
    let mut exchange = exchange_with(interpolated(path));
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("100.0", "1")], &[("100.1", "1")]),
        &mut reports,
    );
    // Sent at 5 s: halfway, 200 ms -> arrives 5.2 s. Its cancel sent at 7.5 s: 250 ms ->
    // 7.75 s. An order sent at 20 s (after the last row): 300 ms.
    exchange.submit(ms(5_000), limit(1, OrderSide::Buy, "99.0", "0.001"));
    exchange.cancel(ms(7_500), OrderId(1));
    exchange.submit(ms(20_000), limit(2, OrderSide::Buy, "99.0", "0.001"));
    exchange.advance_to(ms(30_000), &mut reports);
    let times: Vec<_> = reports
        .iter()
        .filter_map(|report| match report {
            ExecutionReport::Accepted { order_id, ts } => Some((*order_id, "accepted", *ts)),
            ExecutionReport::Canceled { order_id, ts, .. } => Some((*order_id, "canceled", *ts)),
            _ => None,
        })
        .collect();
    assert_eq!(
        times,
        [
            (OrderId(1), "accepted", ms(5_200)),
            (OrderId(1), "canceled", ms(7_750)),
            (OrderId(2), "accepted", ms(20_300)),
        ]
    );
}

#[test]
fn a_bad_latency_file_is_refused_with_its_line() {
    let path = latency_file(
        "bad.csv",
        "request_ns,exchange_ns,response_ns\n0,100,150\n10,x,30\n",
    );
    let error = interpolated(path).validate().unwrap_err();
    match &error {
        ExecutionError::LatencyFile { line, reason, .. } => {
            assert_eq!(*line, 3);
            assert!(reason.contains("exchange_ns"), "{reason}");
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(error.to_string().contains("bad.csv, line 3"), "{error}");
    let missing = interpolated(PathBuf::from("/nonexistent/latency.csv"));
    assert!(matches!(
        missing.validate(),
        Err(ExecutionError::LatencyFile { line: 0, .. })
    ));
    let no_file = FillModelConfig {
        latency: LatencyConfig {
            model: LatencyModel::Interpolated,
            ..LatencyConfig::default()
        },
        ..FillModelConfig::default()
    };
    assert!(
        no_file
            .validate()
            .unwrap_err()
            .to_string()
            .contains("latency.file")
    );
}
