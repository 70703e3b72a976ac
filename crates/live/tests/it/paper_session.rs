//! A paper session from the replay source over the shared capture trades, records its fills
//! in execution.db, and its fills equal a backtest over the same data (the same engine and
//! fill model); the book checks against every quote find no mismatch.

use auction_trader_backtest::run_backtest;
use auction_trader_backtest::run_config::{configured_instrument, instrument_key};
use auction_trader_backtest::{Silent, open_store, run_on_store};
use auction_trader_live::execution_log::ExecutionLog;
use auction_trader_live::feed_source::{FeedSource, replay_events};
use auction_trader_live::paper_vs_backtest;
use auction_trader_live::{Control, Mode, Session};

use crate::support::{capture, options, paper_config};

/// (ts, side, price, quantity) of a fill, for comparisons.
type FillTuple = (i64, String, i64, i128);

#[test]
fn a_paper_session_trades_and_its_fills_equal_the_backtest() {
    let Some(capture) = capture() else {
        eprintln!("skipped: ../shared/data/binance/usdm_btcusdt_20240808.gz is absent");
        return;
    };
    let config = paper_config();
    let dir = tempfile::tempdir().unwrap();
    // Observe first: the operator enables trading before the feed starts.
    Control::open(dir.path())
        .unwrap()
        .set(true, "test", 0)
        .unwrap();
    let key = instrument_key(&config.run).unwrap();
    let source = FeedSource::Replay {
        files: vec![capture.clone()],
        speed: None,
    };
    let feed = source
        .spawn(&key, std::sync::Arc::new(auction_trader_live::SystemClock))
        .unwrap();
    let summary = Session::run(&config, options(Mode::Paper, dir.path()), feed).unwrap();
    assert!(summary.ended);
    assert_eq!(summary.events, 532_923, "{summary:?}");
    assert!(summary.book_checks >= 1000, "{summary:?}");
    assert_eq!(summary.book_mismatches, 0, "{summary:?}");
    assert!(summary.fills > 0 && summary.trades > 0, "{summary:?}");
    assert_eq!(summary.halted, None);

    // The same events through the backtest runner.
    let instrument = configured_instrument(&config.run, &mut Silent).unwrap();
    let events = replay_events(std::slice::from_ref(&capture), &key).unwrap();
    let backtest = run_backtest(
        &config.run,
        instrument,
        events.into_iter().map(Ok::<_, std::convert::Infallible>),
        &mut |_, _| {},
    )
    .unwrap();
    let log = ExecutionLog::open(dir.path()).unwrap();
    let paper: Vec<FillTuple> = log
        .fills(0)
        .unwrap()
        .iter()
        .map(|stored| {
            let fill = stored.fill;
            (
                fill.ts.0,
                fill.side.as_str().to_owned(),
                fill.price.raw(),
                fill.quantity.raw(),
            )
        })
        .collect();
    let expected: Vec<FillTuple> = backtest
        .records
        .fills
        .iter()
        .map(|fill| {
            (
                fill.ts.0,
                fill.side.as_str().to_owned(),
                fill.price.raw(),
                fill.quantity.raw(),
            )
        })
        .collect();
    assert_eq!(paper.len() as u64, summary.fills);
    assert_eq!(paper, expected);
    // The orders were committed before they were sent, one row each.
    assert_eq!(log.orders(0).unwrap().len(), backtest.records.orders.len());

    // And the backtest of the data directory path (`auction-trader backtest`: import into
    // the store, replay the store) gives the same fills.
    let store_dir = tempfile::tempdir().unwrap();
    let mut stored_config = config.run.clone();
    stored_config.data.dir = store_dir.path().to_path_buf();
    stored_config.data.import = vec![capture];
    let store = open_store(&stored_config).unwrap();
    let from_store = run_on_store(&stored_config, &store, &mut Silent).unwrap();
    let stored: Vec<FillTuple> = from_store
        .records
        .fills
        .iter()
        .map(|fill| {
            (
                fill.ts.0,
                fill.side.as_str().to_owned(),
                fill.price.raw(),
                fill.quantity.raw(),
            )
        })
        .collect();
    assert_eq!(paper, stored);

    // The paper-vs-backtest report over the recorded session finds no difference.
    let report = paper_vs_backtest::compare(dir.path(), None).unwrap();
    assert_eq!(report.generation, 0);
    assert_eq!(report.fill_differences, 0, "{}", report.to_text());
    assert_eq!(report.signal_differences, 0, "{}", report.to_text());
    assert_eq!(report.matched_fills as usize, paper.len());
    assert_eq!(report.net_pnl_difference, "0", "{}", report.to_text());
    // The daily report of the capture's day.
    assert!(dir.path().join("reports/daily-2024-08-08.txt").is_file());

    // The state the dashboard reads: the session's last publication says it ended, with the
    // summary's figures, and the view's fills are execution.db's newest.
    let view = auction_trader_live::read_live_view(dir.path(), 0).unwrap();
    assert_eq!(
        view.status,
        auction_trader_live::live_state::SessionStatus::Ended
    );
    let state = view.state.unwrap();
    assert_eq!((state.events, state.fills), (summary.events, summary.fills));
    assert_eq!(state.position, summary.position);
    assert_eq!(state.realized_pnl, summary.realized_pnl);
    assert_eq!(state.mode, "paper");
    let newest = stored.last().unwrap();
    let shown = &view.recent_fills[0];
    assert_eq!(
        (shown.ts.as_str(), shown.side.as_str()),
        (newest.0.to_string().as_str(), newest.1.as_str())
    );
    assert_eq!(view.recent_fills.len(), stored.len().min(50));
}

#[test]
fn dry_run_signals_without_orders_and_shadow_flags_an_injected_divergence() {
    let Some(capture) = capture() else {
        eprintln!("skipped: the shared capture is absent");
        return;
    };
    let config = paper_config();
    let key = instrument_key(&config.run).unwrap();
    let source = FeedSource::Replay {
        files: vec![capture],
        speed: None,
    };
    // Dry-run: enabled by the operator or not, no order ever leaves.
    let dry = tempfile::tempdir().unwrap();
    Control::open(dry.path())
        .unwrap()
        .set(true, "test", 0)
        .unwrap();
    let summary = Session::run(
        &config,
        options(Mode::DryRun, dry.path()),
        source
            .spawn(&key, std::sync::Arc::new(auction_trader_live::SystemClock))
            .unwrap(),
    )
    .unwrap();
    assert!(summary.signals > 0, "{summary:?}");
    assert_eq!((summary.orders_new, summary.fills), (0, 0), "{summary:?}");

    // Shadow: the backtest replay runs with a 2.5 s order latency instead of 130 ms (a
    // deliberate divergence): fills differ, alerts fire, the session runs to the end.
    let shadow = tempfile::tempdir().unwrap();
    Control::open(shadow.path())
        .unwrap()
        .set(true, "test", 0)
        .unwrap();
    let mut session_options = options(Mode::Shadow, shadow.path());
    let mut twin = config.run.clone();
    twin.execution.latency.entry_ms = 2500.0;
    twin.execution.latency.cancel_ms = 2500.0;
    session_options.shadow_config = Some(twin);
    let summary = Session::run(
        &config,
        session_options,
        source
            .spawn(&key, std::sync::Arc::new(auction_trader_live::SystemClock))
            .unwrap(),
    )
    .unwrap();
    assert!(summary.ended);
    assert!(summary.fills > 0);
    assert!(summary.shadow_fill_divergences > 0, "{summary:?}");
    let alerts = ExecutionLog::open(shadow.path()).unwrap().alerts().unwrap();
    assert!(
        alerts.iter().any(|(kind, _)| kind == "shadow_divergence"),
        "{alerts:?}"
    );

    // Without the injected difference shadow mode agrees with itself.
    let same = tempfile::tempdir().unwrap();
    Control::open(same.path())
        .unwrap()
        .set(true, "test", 0)
        .unwrap();
    let summary = Session::run(
        &config,
        options(Mode::Shadow, same.path()),
        source
            .spawn(&key, std::sync::Arc::new(auction_trader_live::SystemClock))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (
            summary.shadow_signal_divergences,
            summary.shadow_fill_divergences
        ),
        (0, 0),
        "{summary:?}"
    );
}
