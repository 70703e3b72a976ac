//! End-to-end tests of the data commands (`import`, `catalog`, `quarantine`, `book verify`)
//! on small files written by each test: sources keyed by content, one failed job not
//! stopping the others, and clear messages for corrupt or empty inputs.

// Helpers outside `#[test]` functions unwrap too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_auction-trader"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_ok(command: &mut Command) -> Output {
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{command:?} failed:\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// A `time,price,qty,side` trades file of `rows` rows starting at id `first`.
fn trades_csv(path: &Path, first: u64, rows: u64) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut content = String::from("time,price,qty,side\n");
    for index in first..first + rows {
        content.push_str(&format!(
            "{},{}.5,0.01,buy\n",
            1_700_000_000_000_u64 + index * 1_000,
            30_000 + index % 100
        ));
    }
    std::fs::write(path, content).unwrap();
    path.to_path_buf()
}

/// Rows of every stream in the catalog.
fn catalog_rows(data_dir: &Path) -> u64 {
    let output = run_ok(
        binary()
            .arg("catalog")
            .arg("--json")
            .arg("--data-dir")
            .arg(data_dir),
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    document["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|partition| partition["rows"].as_u64().unwrap())
        .sum()
}

const MAPPING: [&str; 8] = [
    "--format",
    "csv",
    "--timestamp-column",
    "time",
    "--price-column",
    "price",
    "--size-column",
    "qty",
];

#[test]
fn two_files_with_the_same_name_keep_all_their_rows() {
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    let a = trades_csv(&directory.path().join("a/trades.csv"), 0, 5_000);
    let b = trades_csv(&directory.path().join("b/trades.csv"), 5_000, 4_999);
    for file in [&a, &b] {
        run_ok(
            binary()
                .arg("import")
                .arg(file)
                .args(MAPPING)
                .arg("--data-dir")
                .arg(&data_dir),
        );
    }
    assert_eq!(catalog_rows(&data_dir), 9_999);
    // The same content again changes nothing.
    let again = run_ok(
        binary()
            .arg("import")
            .arg(&a)
            .args(MAPPING)
            .arg("--data-dir")
            .arg(&data_dir),
    );
    assert!(
        text(&again.stdout).contains("nothing new"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(catalog_rows(&data_dir), 9_999);
}

/// A bitFlyer executions day file with trades `ids`.
fn bitflyer_day(path: &Path, day: u32, ids: std::ops::Range<u64>) -> PathBuf {
    let mut content = String::from(
        "\"domain\",\"product_code\",\"loaded\",\"id\",\"exec_date\",\"side\",\"price\",\"size\"\n",
    );
    for id in ids {
        content.push_str(&format!(
            "\"bitflyer.jp\",\"BTC_JPY\",\"x\",\"{id}\",\"2018-01-{day:02}T10:00:{:02}.000+09:00\",\"BUY\",\"1400000\",\"0.01\"\n",
            id % 60
        ));
    }
    std::fs::write(path, content).unwrap();
    path.to_path_buf()
}

#[test]
fn a_day_imported_alone_after_its_group_adds_no_duplicate_parts() {
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    let day_1 = bitflyer_day(
        &directory
            .path()
            .join("bitflyer.execution.20180121.BTC_JPY.csv"),
        21,
        0..40,
    );
    let day_2 = bitflyer_day(
        &directory
            .path()
            .join("bitflyer.execution.20180122.BTC_JPY.csv"),
        22,
        100..130,
    );
    run_ok(
        binary()
            .arg("import")
            .arg(&day_1)
            .arg(&day_2)
            .arg("--data-dir")
            .arg(&data_dir),
    );
    assert_eq!(catalog_rows(&data_dir), 70);
    let alone = run_ok(
        binary()
            .arg("import")
            .arg(&day_2)
            .arg("--data-dir")
            .arg(&data_dir),
    );
    assert!(
        text(&alone.stdout).contains("already stored as part of"),
        "{}",
        text(&alone.stdout)
    );
    assert_eq!(catalog_rows(&data_dir), 70);
}

#[test]
fn a_failed_job_does_not_skip_the_next_one() {
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    let tardis = directory.path().join("t.csv.gz");
    // A gzip member followed by bytes that are not gzip.
    let mut bytes = Vec::new();
    {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(&mut bytes, flate2::Compression::default());
        encoder
            .write_all(b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nbinance-futures,BTCUSDT,1582329600000000,1582329600000001,1,buy,9700,1\n")
            .unwrap();
        encoder.finish().unwrap();
    }
    bytes.extend_from_slice(b"garbage after the member");
    std::fs::write(&tardis, bytes).unwrap();
    let good = trades_csv(&directory.path().join("good.csv"), 0, 10);
    let output = binary()
        .arg("import")
        .arg(&tardis)
        .arg(&good)
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // Said once: the cause is not repeated by the error chain.
    assert_eq!(stderr.matches("trailing garbage").count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        text(&output.stdout).contains("good.csv"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(catalog_rows(&data_dir), 10);
}

#[test]
fn corrupt_and_empty_files_say_what_is_wrong() {
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    let parquet = directory.path().join("lake.parquet");
    std::fs::write(&parquet, b"PAR1 this is not a parquet file at all").unwrap();
    let output = binary()
        .arg("import")
        .arg(&parquet)
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("corrupt"), "{stderr}");
    assert!(!stderr.contains("--venue"), "{stderr}");
    let empty = directory.path().join("blank.csv");
    std::fs::write(&empty, b"").unwrap();
    let output = binary()
        .arg("import")
        .arg(&empty)
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");
}

#[test]
fn quarantine_lists_the_file_line_and_reason_of_each_row() {
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    let file = directory.path().join("a/trades.csv");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        "time,price,qty,side\n1700000000000,100,1,buy\n1700000001000,-61804,1,buy\n1700000002000,101,0,sell\n",
    )
    .unwrap();
    run_ok(
        binary()
            .arg("import")
            .arg(&file)
            .arg("--data-dir")
            .arg(&data_dir),
    );
    let output = run_ok(
        binary()
            .arg("quarantine")
            .arg("--source")
            .arg(&file)
            .arg("--data-dir")
            .arg(&data_dir),
    );
    let listing = text(&output.stdout);
    let path = file.display().to_string();
    assert!(
        listing.contains(&format!("{path}:3: negative price")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("{path}:4: zero size")),
        "{listing}"
    );
    let json = run_ok(
        binary()
            .arg("quarantine")
            .arg("--json")
            .arg("--data-dir")
            .arg(&data_dir),
    );
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["file"], path);
    let unknown = binary()
        .args(["quarantine", "--source", "nope.csv", "--data-dir"])
        .arg(&data_dir)
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn timestamp_column_zero_is_an_index_and_help_lists_formats() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("no_header_names.csv");
    std::fs::write(&file, "t,p,q\n1700000000000,100,1\n1700000001000,101,2\n").unwrap();
    let output = run_ok(binary().arg("validate").arg(&file).args([
        "--format",
        "csv",
        "--timestamp-column",
        "0",
        "--price-column",
        "1",
        "--size-column",
        "2",
        "--symbol",
        "TEST",
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report.to_string().contains("TEST"), "{report}");
    let help = text(&run_ok(binary().args(["import", "--help"])).stdout);
    for name in [
        "binance-capture",
        "binance-archive",
        "bybit-trades",
        "bybit-orderbook",
        "bitflyer",
        "bitflyer-ticker",
        "tardis",
        "lean",
        "ohlcv",
        "parquet",
        "csv",
    ] {
        assert!(help.contains(name), "{name} missing from:\n{help}");
    }
}

#[test]
fn book_verify_fails_when_nothing_was_checked() {
    let directory = tempfile::tempdir().unwrap();
    let trades_only = directory.path().join("trades_only.txt");
    std::fs::write(
        &trades_only,
        "1723161255030314667 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1723161253754,\"T\":1723161253753,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"61804.1\",\"q\":\"0.002\",\"X\":\"MARKET\",\"m\":true}}\n",
    )
    .unwrap();
    let garbage = directory.path().join("garbage.txt");
    std::fs::write(
        &garbage,
        "1723161255030314667 {not json\n1723161255030314668 {\n",
    )
    .unwrap();
    for capture in [&trades_only, &garbage] {
        let output = binary()
            .args(["book", "verify"])
            .arg(capture)
            .output()
            .unwrap();
        let stdout = text(&output.stdout);
        assert!(stdout.contains("checks=0"), "{stdout}");
        assert_ne!(output.status.code(), Some(0), "{stdout}");
        assert!(!text(&output.stderr).contains("panicked"));
    }
}
