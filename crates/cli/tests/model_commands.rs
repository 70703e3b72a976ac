//! `model train|evaluate|explain` end to end on two real bitFlyer days (skipped, with a note,
//! when ../shared/data is absent): the matrix, a small training run twice (byte-identical
//! model files), evaluation, TreeSHAP explanations, and a clear error on a bad horizon.

use std::path::Path;
use std::process::Output;

mod common;
use common::{binary, run, shared};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn train_evaluate_explain_on_two_bitflyer_days() {
    let (Some(day1), Some(day2)) = (
        shared("bitflyer/bitflyer.execution.20180122.BTC_JPY.csv.gz"),
        shared("bitflyer/bitflyer.execution.20180123.BTC_JPY.csv.gz"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let matrix = dir.path().join("matrix.parquet");
    run(binary()
        .args(["features", "matrix"])
        .arg(&day1)
        .arg(&day2)
        .args(["--features", "all", "--horizons", "15", "--out"])
        .arg(&matrix));
    let train = |out: &Path| {
        let output = run(binary()
            .args(["model", "train"])
            .arg(&matrix)
            .arg("--out")
            .arg(out)
            .args(["--folds", "3", "--segments", "3", "--shadow-rounds", "2"])
            .args(["--min-features", "5", "--max-features", "10", "--until"])
            .arg("2018-01-23T00:00:00Z"));
        stdout(&output)
    };
    let first = train(&dir.path().join("a"));
    assert!(first.contains("purged k-fold: mean AUC"), "{first}");
    assert!(first.contains("walk-forward: mean AUC"), "{first}");
    assert!(first.contains("stage times: shadow features"), "{first}");
    train(&dir.path().join("b"));
    for file in ["model.txt", "manifest.json"] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(file)).unwrap(),
            std::fs::read(dir.path().join("b").join(file)).unwrap(),
            "{file} differs between two runs"
        );
    }
    let model = dir.path().join("a");
    let evaluated = stdout(&run(binary()
        .args(["model", "evaluate"])
        .arg(&model)
        .arg(&matrix)));
    assert!(evaluated.contains("after the training end"), "{evaluated}");
    assert!(evaluated.contains("AUC ") && evaluated.contains("feature drift (PSI"));
    let explained = stdout(&run(binary()
        .args(["model", "explain"])
        .arg(&model)
        .arg(&matrix)
        .args(["--top", "3"])));
    assert!(explained.starts_with("mean |SHAP|"), "{explained}");
    assert_eq!(explained.lines().count(), 4, "{explained}");
    let one = stdout(&run(binary()
        .args(["model", "explain"])
        .arg(&model)
        .arg(&matrix)
        .args(["--at", "2018-01-23T06:00:00Z"])));
    assert!(one.contains("p(up) ="), "{one}");

    let bad = binary()
        .args(["model", "train"])
        .arg(&matrix)
        .args(["--horizon", "30"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(message.contains("fwd_ret_30m"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn an_unreadable_matrix_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.parquet");
    std::fs::write(&empty, b"").unwrap();
    let output = binary()
        .args(["model", "train"])
        .arg(&empty)
        .arg("--out")
        .arg(dir.path().join("model"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let path = empty.display().to_string();
    assert_eq!(stderr.matches(path.as_str()).count(), 1, "{stderr}");
    assert!(stderr.contains("Parquet file too small"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
