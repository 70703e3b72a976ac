//! End-to-end tests of the `auction-trader` binary over the real data in `../shared/data`
//! (skipped, with a note, where it is absent).

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{binary, run, shared};

fn last_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn book_verify_matches_every_checked_quote_of_the_usdm_capture() {
    let Some(capture) = shared("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    let output = run(binary().args(["book", "verify"]).arg(&capture));
    let line = last_line(&output);
    assert!(line.ends_with("mismatches=0 gaps=0"), "{line}");
    let checks: u64 = line
        .strip_prefix("checks=")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .expect("checks=<N>");
    assert!(checks >= 1000, "{line}");
}

#[test]
fn import_then_replay_twice_gives_byte_identical_output() {
    let Some(capture) = shared("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    let Some(trades) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    run(binary()
        .arg("import")
        .arg(&capture)
        .arg(&trades)
        .arg("--data-dir")
        .arg(&data_dir));
    let catalog = run(binary().arg("catalog").arg("--data-dir").arg(&data_dir));
    assert!(String::from_utf8_lossy(&catalog.stdout).contains("binance-usdm:BTCUSDT:perp"));
    let dumps: Vec<Vec<u8>> = (0..2)
        .map(|pass| {
            let dump = directory.path().join(format!("replay-{pass}.txt"));
            run(binary()
                .args(["replay", "--stats"])
                .arg("--data-dir")
                .arg(&data_dir)
                .arg("--dump")
                .arg(&dump));
            std::fs::read(&dump).unwrap()
        })
        .collect();
    assert!(!dumps[0].is_empty());
    assert_eq!(dumps[0], dumps[1], "two replays of the same data differ");
    // 532,923 capture events + 9,999 Tardis trades, every one replayed.
    let lines = dumps[0].iter().filter(|&&byte| byte == b'\n').count();
    assert_eq!(lines, 532_923 + 9_999);
}

#[test]
fn validate_is_strict_only_when_asked() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("trades.csv");
    // A negative size is quarantined, the rest imports; --strict turns issues into exit 1.
    std::fs::write(
        &file,
        "time,price,qty\n2024-01-01T00:00:00Z,100,1\n2024-01-01T00:00:01Z,101,-2\n",
    )
    .unwrap();
    let mapping = [
        "--format",
        "csv",
        "--timestamp-column",
        "time",
        "--price-column",
        "price",
        "--size-column",
        "qty",
        "--symbol",
        "TEST",
    ];
    let relaxed = run(binary().arg("validate").arg(&file).args(mapping));
    assert!(String::from_utf8_lossy(&relaxed.stdout).contains("TEST"));
    let strict = binary()
        .arg("validate")
        .arg(&file)
        .args(mapping)
        .arg("--strict")
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn an_unknown_layout_fails_with_a_hint_not_a_panic() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("mystery.csv");
    std::fs::write(&file, "a,b,c\n1,2,3\n").unwrap();
    let output = binary().arg("validate").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--format csv"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn download_without_a_reachable_host_says_so_clearly() {
    let directory = tempfile::tempdir().unwrap();
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    let output = binary()
        .args([
            "download",
            "--venue",
            "binance-usdm",
            "--symbol",
            "BTCUSDT",
            "--from",
            "2024-08-08",
        ])
        .arg("--out")
        .arg(directory.path())
        .args(["--base-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).to_lowercase();
    assert!(
        stderr.contains("could not reach") || stderr.contains("refused"),
        "{stderr}"
    );
}

#[test]
fn features_profile_prints_the_value_area() {
    let Some(trades) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let output = run(binary()
        .args(["features", "profile", "--bin", "5"])
        .arg(&trades));
    let line = last_line(&output);
    assert!(
        line.starts_with("poc=") && line.contains(" val=") && line.contains(" vah="),
        "{line}"
    );
}

#[test]
fn features_compute_then_export_round_trips_through_the_features_store() {
    let Some(trades) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    run(binary()
        .arg("import")
        .arg(&trades)
        .arg("--data-dir")
        .arg(&data_dir));
    let range = [
        "--venue",
        "binance-futures",
        "--symbol",
        "BTCUSDT",
        "--market",
        "perp",
    ];
    run(binary()
        .args(["features", "compute"])
        .arg("--data-dir")
        .arg(&data_dir)
        .args(range));
    let out = directory.path().join("features.csv");
    run(binary()
        .args(["features", "export"])
        .arg("--data-dir")
        .arg(&data_dir)
        .args(range)
        .arg("--out")
        .arg(&out));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("ts,"));
    // The sample spans 00:00:02 -> 02:05:47: one snapshot per closed minute, 125 of them.
    assert_eq!(lines.count(), 125);
}

/// A backtest config over two bitFlyer days, storage and runs under `root`.
fn bitflyer_config(root: &Path, name: &str) -> Option<PathBuf> {
    let executions = shared("bitflyer/bitflyer.execution.20180121.BTC_JPY.csv.gz")?;
    let tickers = shared("bitflyer/bitflyer.ticker.20180121.BTC_JPY.csv.gz")?;
    let config = root.join(format!("{name}.yaml"));
    let text = format!(
        "run:\n  name: {name}\n  output_dir: {runs}\ndata:\n  dir: {data}\n  import:\n    - {executions}\n    \
         - {tickers}\n  venue: bitflyer\n  symbol: BTC_JPY\n  market: spot\ninstrument:\n  \
         maker_fee_bps: 2\n  taker_fee_bps: 5\naccount:\n  initial_equity: 1000000\n",
        runs = root.join("runs").display(),
        data = root.join("data").display(),
        executions = executions.display(),
        tickers = tickers.display(),
    );
    std::fs::write(&config, text).expect("config written");
    Some(config)
}

#[test]
fn backtest_twice_gives_identical_databases_and_reports() {
    let directory = tempfile::tempdir().expect("temp dir");
    let (Some(first), Some(second)) = (
        bitflyer_config(directory.path(), "first"),
        bitflyer_config(directory.path(), "second"),
    ) else {
        return;
    };
    let output = run(binary().args(["backtest", "-c"]).arg(&first));
    assert!(
        last_line(&output).starts_with("report: "),
        "{}",
        last_line(&output)
    );
    run(binary().args(["backtest", "-c"]).arg(&second));
    let runs = directory.path().join("runs");
    for file in [
        "config.yaml",
        "execution.db",
        "signals.db",
        "trades.csv",
        "equity.csv",
        "metrics.json",
        "report.html",
    ] {
        assert!(runs.join("first").join(file).is_file(), "{file} missing");
    }
    let export = |name: &str| {
        let output = run(binary()
            .args(["report", "--export-rows"])
            .arg(runs.join(name)));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let (rows_first, rows_second) = (export("first"), export("second"));
    // The run title differs by construction; everything else must be identical.
    assert_eq!(
        rows_first.replace("first", "second"),
        rows_second,
        "execution.db / signals.db rows differ between two identical runs"
    );
    assert!(rows_first.lines().any(|line| line.starts_with("signals\t")));
    for file in ["trades.csv", "equity.csv", "metrics.json"] {
        let read = |name: &str| std::fs::read(runs.join(name).join(file)).expect("output read");
        assert_eq!(read("first"), read("second"), "{file} differs");
    }
    // `report` re-renders the same metrics from execution.db alone.
    let metrics_before = std::fs::read(runs.join("first/metrics.json")).expect("metrics");
    run(binary().arg("report").arg(runs.join("first")));
    let metrics_after = std::fs::read(runs.join("first/metrics.json")).expect("metrics");
    assert_eq!(metrics_before, metrics_after);
}

#[test]
fn fills_compare_prints_the_table_and_writes_the_html_section() {
    let directory = tempfile::tempdir().expect("temp dir");
    let Some(config) = bitflyer_config(directory.path(), "models") else {
        return;
    };
    let output = run(binary()
        .args(["fills", "compare", "--models", "risk_averse,prob_log", "-c"])
        .arg(&config));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("model"))
        .collect();
    // Header, the baseline first, then the requested models; money with its currency.
    assert!(
        rows[1].trim_start().starts_with("queue_fraction"),
        "{stdout}"
    );
    assert!(rows[1].trim_end().ends_with("baseline"), "{stdout}");
    assert!(rows[2].trim_start().starts_with("risk_averse"), "{stdout}");
    assert!(rows[3].trim_start().starts_with("prob_log"), "{stdout}");
    assert!(rows[1].contains(" JPY"), "{stdout}");
    let page = directory
        .path()
        .join("runs/models-fill-models/fill_models.html");
    assert_eq!(last_line(&output), format!("report: {}", page.display()));
    let html = std::fs::read_to_string(&page).expect("html written");
    assert!(html.contains("<h2>Fill models</h2>"), "{html}");
    // An unknown model is a clear error naming the known ones, not a panic.
    let output = binary()
        .args(["fills", "compare", "--models", "queue_fractoin", "-c"])
        .arg(&config)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("queue_fractoin") && stderr.contains("risk_averse"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn audit_lookahead_passes_the_auction_strategy() {
    let directory = tempfile::tempdir().expect("temp dir");
    let Some(config) = bitflyer_config(directory.path(), "audit") else {
        return;
    };
    let output = run(binary()
        .args(["audit", "lookahead", "--cuts", "2", "--seed", "3", "-c"])
        .arg(&config));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.starts_with("cut "))
            .count(),
        2,
        "{stdout}"
    );
    assert!(
        last_line(&output).starts_with("lookahead audit passed: 2 cuts"),
        "{stdout}"
    );
}

#[test]
fn backtest_config_errors_name_the_key_and_do_not_panic() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("bad.yaml");
    std::fs::write(
        &config,
        "data:\n  venue: bitflyer\n  symbol: BTC_JPY\nrisk:\n  risk_per_trad: 0.01\n",
    )
    .expect("config written");
    let output = binary()
        .args(["backtest", "-c"])
        .arg(&config)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("risk_per_trad"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn demo_runs_both_backtests_and_writes_their_reports() {
    if shared("bitflyer/bitflyer.execution.20180121.BTC_JPY.csv.gz").is_none()
        || shared("nautilus/btc-perp_1m_20211231-20220201.csv").is_none()
    {
        return;
    }
    let directory = tempfile::tempdir().expect("temp dir");
    let shared_data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let output = run(binary()
        .arg("demo")
        .arg("--shared-data")
        .arg(&shared_data)
        .arg("--data-dir")
        .arg(directory.path().join("data"))
        .arg("--runs-dir")
        .arg(directory.path().join("runs")));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for run_name in ["bitflyer-auction", "nautilus-bars"] {
        let report = directory
            .path()
            .join("runs")
            .join(run_name)
            .join("report.html");
        assert!(report.is_file(), "{run_name}: no report\n{stdout}");
        assert!(stdout.contains(run_name), "{stdout}");
    }
    // The bar-only run traded (confirmation without quotes) and its stops filled at their
    // level, never at a profit.
    let trades = std::fs::read_to_string(directory.path().join("runs/nautilus-bars/trades.csv"))
        .expect("trades.csv");
    assert!(trades.lines().count() > 10, "{trades}");
    let header: Vec<&str> = trades
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .collect();
    let column = |name: &str| header.iter().position(|field| *field == name).expect(name);
    let (reason, gross) = (column("exit_reason"), column("gross_pnl"));
    for line in trades.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[reason] == "stop_loss" {
            let pnl: f64 = fields[gross].parse().expect("gross_pnl");
            assert!(pnl <= 0.0, "a stop loss made money: {line}");
        }
    }
}

#[test]
fn features_toxicity_ends_with_the_summary_line_and_needs_depth() {
    let Some(capture) = shared("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    let output = run(binary().args(["features", "toxicity"]).arg(&capture));
    let line = last_line(&output);
    let keys: Vec<&str> = line
        .split(' ')
        .map(|pair| pair.split('=').next().unwrap_or_default())
        .collect();
    assert_eq!(
        keys,
        [
            "seconds",
            "book_ctr_p50_bid",
            "book_ctr_p50_ask",
            "toxic_share",
            "ghosts_per_sec",
            "discounted_depth_share",
            "churn_share",
            "drain_signals"
        ],
        "{line}"
    );
    assert!(line.starts_with("seconds=345 "), "{line}");
    // Trades only: a message naming the data it needs, no table, no "-0.00".
    let Some(trades) = shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv") else {
        return;
    };
    let output = binary()
        .args(["features", "toxicity"])
        .arg(&trades)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.trim().is_empty(), "{stdout}");
    assert!(
        stderr.contains("no order-book depth") && stderr.contains("L2 depth"),
        "{stderr}"
    );
}

#[test]
fn grid_runs_resumes_and_is_queryable_and_runs_carry_a_manifest() {
    let Some(bars) = shared("nautilus/btc-perp_1m_20211231-20220201.csv") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("sma.yaml");
    std::fs::write(
        &config,
        format!(
            "run:\n  name: sma\n  output_dir: {}\ndata:\n  dir: {}\n  import: [{}]\n  \
             bar_label: close\n  venue: nautilus\n  symbol: BTC-PERP\n  start: 2022-01-03\n  \
             end: 2022-01-06\n  warmup_minutes: 60\ninstrument:\n  tick_size: 1\n  lot_size: \
             0.0001\n  taker_fee_bps: 5\naccount:\n  initial_equity: 10000\nstrategy:\n  kind: \
             sma_cross\n",
            dir.path().join("runs").display(),
            dir.path().join("data").display(),
            bars.display()
        ),
    )
    .expect("config written");
    let sweep = dir.path().join("sweep.yaml");
    std::fs::write(
        &sweep,
        "parameters:\n  strategy.sma_cross.fast: {values: [5, 10]}\n  \
         strategy.sma_cross.slow: {values: [20, 40]}\n",
    )
    .expect("sweep written");
    let db = dir.path().join("grid.db");
    let grid = |args: &[&str]| {
        let mut command = binary();
        command.arg("grid").args(args).arg("--db").arg(&db);
        run(&mut command)
    };
    let first = grid(&[
        "run",
        "-c",
        text(&config),
        "--sweep",
        text(&sweep),
        "--workers",
        "2",
    ]);
    assert!(
        last_line(&first).starts_with("combos=4 seconds="),
        "{}",
        last_line(&first)
    );
    let again = grid(&["run", "-c", text(&config), "--sweep", text(&sweep)]);
    assert!(
        last_line(&again).starts_with("combos=0 "),
        "{}",
        last_line(&again)
    );
    let listed = String::from_utf8_lossy(&grid(&["list", "--sort", "net_pnl"]).stdout).into_owned();
    assert_eq!(listed.lines().count(), 2 + 4, "{listed}");
    let best =
        String::from_utf8_lossy(&grid(&["best", "--where", "trades > 0"]).stdout).into_owned();
    assert_eq!(best.lines().count(), 3, "{best}");
    let csv = dir.path().join("grid.csv");
    grid(&["export", "--csv", text(&csv)]);
    let exported = std::fs::read_to_string(&csv).expect("csv");
    assert_eq!(exported.lines().count(), 5, "{exported}");
    let run_id = exported
        .lines()
        .nth(1)
        .and_then(|line| line.split(',').nth(1))
        .expect("run id");
    let mut show = binary();
    show.args(["grid", "show", run_id, "--db"]).arg(&db);
    let shown = String::from_utf8_lossy(&run(&mut show).stdout).into_owned();
    assert!(
        shown.contains("effective config:") && shown.contains("sha256:"),
        "{shown}"
    );
    run(binary().args(["backtest", "-c", text(&config)]));
    let manifest = run(binary()
        .args(["report", "--manifest"])
        .arg(dir.path().join("runs/sma")));
    let manifest = String::from_utf8_lossy(&manifest.stdout).into_owned();
    assert!(
        manifest.contains("\"content_hash\": \"sha256:"),
        "{manifest}"
    );
    assert!(manifest.contains("auction-trader 0."), "{manifest}");
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn mock_exchange_replays_to_the_end_and_exits_with_its_summary() {
    let Some(capture) = shared("binance/usdm_btcusdt_20240718.gz") else {
        return;
    };
    // No client: the replay starts at once and runs as fast as it can, then the process ends.
    let output = run(binary()
        .args(["mock-exchange", "--venue", "binance-usdm", "--replay"])
        .arg(&capture)
        .args(["--speed", "max", "--port", "0", "--start-immediately"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("mock-exchange binance-usdm: REST http://127.0.0.1:"),
        "{first}"
    );
    let line = last_line(&output);
    // 11,413 frames in the file, 12 recorded before the snapshot's bridge.
    assert!(
        line.starts_with("mock-exchange binance-usdm BTCUSDT: replayed 11401 frames (3321 depth)"),
        "{line}"
    );
}
