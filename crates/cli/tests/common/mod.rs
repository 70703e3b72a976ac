//! Helpers shared by the CLI's test files: the binary, shared-data and repository paths, a
//! successful command's output, trading control, a finished run's stdout and execution.db's
//! fills.

// Each test file uses its own subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use auction_trader_live::execution_log::ExecutionLog;

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_auction-trader"))
}

/// A file under `../shared/data`, or `None` (with a note) where it is absent.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

/// Runs `command` and asserts it succeeded (its stdout and stderr in the message).
pub fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{command:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn repository(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

pub fn enable(data_dir: &Path) {
    control(data_dir, "enable");
}

pub fn control(data_dir: &Path, action: &str) {
    let output = binary()
        .args(["control", action, "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("control runs");
    assert!(output.status.success(), "{output:?}");
}

pub fn finished(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "run failed:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// (client id, seq, ts, side, price, quantity) of every fill of generation 0.
pub type FillRow = (String, u32, i64, String, i64, i128);

pub fn fills(data_dir: &Path) -> Vec<FillRow> {
    let log = ExecutionLog::open(data_dir).expect("execution.db opens");
    let mut rows: Vec<FillRow> = log
        .fills(0)
        .expect("fills read")
        .into_iter()
        .map(|stored| {
            (
                stored.client_id,
                stored.fill.seq,
                stored.fill.ts.0,
                stored.fill.side.as_str().to_owned(),
                stored.fill.price.raw(),
                stored.fill.quantity.raw(),
            )
        })
        .collect();
    rows.sort();
    rows
}
