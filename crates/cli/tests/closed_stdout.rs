//! A closed stdout (`auction-trader ... | head -1`) ends every command quietly: exit 0 (or the
//! conventional 141), never a panic, never a half-written run directory. Each command runs
//! twice: its stdout read for one line and then closed, and closed before it writes at all
//! (so the write that meets the closed pipe is certain). Reads `../shared/data` in place
//! (skipped, with a note, where it is absent).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

mod common;
use common::{binary, shared};

/// Runs `args` with stdout into a reader that keeps `lines` lines and then closes the pipe.
fn run_into_closing_reader(args: &[&str], lines: usize) {
    let mut child = binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("a line") == 0 {
            break;
        }
    }
    drop(reader);
    let output = child.wait_with_output().expect("the binary ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?} after {lines} line(s):\n{stderr}"
    );
    assert!(
        matches!(output.status.code(), Some(0 | 141)),
        "{args:?} after {lines} line(s) exited {:?}:\n{stderr}",
        output.status
    );
}

fn survives_a_closed_stdout(args: &[&str]) {
    run_into_closing_reader(args, 1);
    run_into_closing_reader(args, 0);
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn run_ok(args: &[&str]) {
    let output = binary().args(args).output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_command_ends_quietly_when_its_reader_goes_away() {
    let (Some(trades), Some(capture), Some(executions), Some(tickers), Some(bars)) = (
        shared("tardis/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv"),
        shared("binance/usdm_btcusdt_20240808.gz"),
        shared("bitflyer/bitflyer.execution.20180121.BTC_JPY.csv.gz"),
        shared("bitflyer/bitflyer.ticker.20180121.BTC_JPY.csv.gz"),
        shared("nautilus/btc-perp_1m_20211231-20220201.csv"),
    ) else {
        return;
    };
    let directory = tempfile::tempdir().expect("temp dir");
    let root = directory.path();
    let data = root.join("data");
    let (trades, capture, data) = (text(&trades), text(&capture), text(&data));
    run_ok(&["import", trades, "--data-dir", data]);

    // The store and file readers.
    survives_a_closed_stdout(&["import", trades, "--data-dir", data]);
    survives_a_closed_stdout(&["catalog", "--json", "--data-dir", data]);
    survives_a_closed_stdout(&["catalog", "--partitions", "--data-dir", data]);
    survives_a_closed_stdout(&["validate", "--json", trades]);
    survives_a_closed_stdout(&["validate", trades]);
    survives_a_closed_stdout(&["replay", "--data-dir", data]);
    survives_a_closed_stdout(&["book", "verify", capture]);
    survives_a_closed_stdout(&["bench", "ingest", "--repeat", "1", capture]);
    // The feature tools.
    survives_a_closed_stdout(&["features", "profile", "--histogram", "--bin", "1", trades]);
    survives_a_closed_stdout(&["features", "side-accuracy", capture]);
    survives_a_closed_stdout(&["features", "toxicity", capture]);
    let matrix = root.join("matrix.parquet");
    survives_a_closed_stdout(&["features", "matrix", trades, "--out", text(&matrix)]);
    let range = ["--venue", "binance-futures", "--symbol", "BTCUSDT"];
    survives_a_closed_stdout(&[&["features", "compute", "--data-dir", data][..], &range].concat());

    // A backtest: whatever the moment the pipe closes, no half-written run directory.
    let runs = root.join("runs");
    let config = root.join("run.yaml");
    std::fs::write(
        &config,
        format!(
            "run:\n  name: piped\n  output_dir: {}\ndata:\n  dir: {}\n  import:\n    - {}\n    \
             - {}\n  venue: bitflyer\n  symbol: BTC_JPY\n  market: spot\n",
            runs.display(),
            root.join("bitflyer-data").display(),
            executions.display(),
            tickers.display()
        ),
    )
    .expect("config written");
    survives_a_closed_stdout(&["backtest", "-c", text(&config)]);
    let assert_whole_runs = || {
        for entry in std::fs::read_dir(&runs).into_iter().flatten() {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            assert!(!name.starts_with('.'), "staging left behind: {name}");
            for file in ["config.yaml", "execution.db", "metrics.json", "report.html"] {
                assert!(path.join(file).is_file(), "{name} lacks {file}");
            }
        }
    };
    assert_whole_runs();
    run_ok(&["backtest", "-c", text(&config)]);
    let run = runs.join("piped");
    survives_a_closed_stdout(&["backtest", "-c", text(&config)]);
    assert_whole_runs();
    // With --json the notes go to stderr: the run completes, then its one document meets the
    // closed pipe.
    std::fs::remove_dir_all(&run).expect("run removed");
    survives_a_closed_stdout(&["backtest", "-c", text(&config), "--json"]);
    assert!(run.join("report.html").is_file());
    assert_whole_runs();
    survives_a_closed_stdout(&["report", text(&run), "--export-rows"]);
    survives_a_closed_stdout(&["report", text(&run)]);
    survives_a_closed_stdout(&["report", text(&run), "--json"]);
    assert_whole_runs();

    // Re-making the run from its manifest.
    survives_a_closed_stdout(&["rerun", text(&run), "--out", text(&root.join("remade"))]);

    // The strategy validations (a week of the 1-minute month, a 2-combination sweep).
    let validation = |name: &str, start: &str, end: &str| {
        let path = root.join(format!("{name}.yaml"));
        std::fs::write(
            &path,
            format!(
                "run:\n  name: {name}\n  output_dir: {}\ndata:\n  dir: {}\n  import: [{}]\n  \
                 bar_label: close\n  venue: nautilus\n  symbol: BTC-PERP\n  start: {start}\n  \
                 end: {end}\n  warmup_minutes: 60\ninstrument:\n  tick_size: 1\n  lot_size: \
                 0.0001\naccount:\n  initial_equity: 10000\nstrategy:\n  kind: sma_cross\n",
                runs.display(),
                root.join("bars-data").display(),
                bars.display()
            ),
        )
        .expect("config written");
        path
    };
    let week = validation("week", "2022-01-03", "2022-01-10");
    let other = validation("other-week", "2022-01-17", "2022-01-24");
    let sweep = root.join("sweep.yaml");
    std::fs::write(
        &sweep,
        "parameters:\n  strategy.sma_cross.fast: {values: [5, 10]}\n",
    )
    .expect("sweep written");
    let (week, other, sweep) = (text(&week), text(&other), text(&sweep));
    let out = text(&root.join("validation")).to_owned();
    let common = ["--out", out.as_str(), "--workers", "1"];
    for command in [
        vec!["costs", "-c", week],
        vec!["regimes", "-c", week],
        vec![
            "walk-forward",
            "-c",
            week,
            "--sweep",
            sweep,
            "--segments",
            "3",
        ],
        vec![
            "kfold",
            "-c",
            week,
            "--sweep",
            sweep,
            "--folds",
            "3",
            "--embargo-minutes",
            "60",
        ],
        vec!["cross-symbol", "-c", week, "--on", other],
    ] {
        let args: Vec<&str> = std::iter::once("validate-strategy")
            .chain(command)
            .chain(common)
            .collect();
        survives_a_closed_stdout(&args);
    }
}
