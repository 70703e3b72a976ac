//! `--store postgres://...` end to end, exactly as users call it: `import --store URL
//! <files>`, `replay --store URL --stats --dump FILE` (the same dump, byte for byte, as
//! `--data-dir`), `book verify --store URL --venue V --symbol S` (the same checks as the
//! files, 0 mismatches), `backtest --store URL` (the same run as `--data-dir`) and
//! `grid run --store URL` with its rows in PostgreSQL (the same rows as grid.db). Ignored by
//! default: the "postgres" stage of `scripts/test.sh` runs it with a throwaway local
//! PostgreSQL 15.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use auction_trader_testkit::postgres::LocalPostgres;
use auction_trader_testkit::shared_data;

/// The binary under test; `AUCTION_TRADER_BIN` overrides it (a copy taken right after the
/// build, when several checkouts share one target directory).
fn binary() -> Command {
    match std::env::var_os("AUCTION_TRADER_BIN") {
        Some(path) => Command::new(path),
        None => Command::new(env!("CARGO_BIN_EXE_auction-trader")),
    }
}

fn succeeded(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "failed:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `args` then `--store URL` or `--data-dir DIR`.
fn run(args: &[&str], store: &Store) -> Output {
    let mut command = binary();
    command.args(args);
    match store {
        Store::Postgres(url) => command.args(["--store", url]),
        Store::Directory(path) => command.arg("--data-dir").arg(path),
    };
    command.output().expect("the binary runs")
}

enum Store {
    Postgres(String),
    Directory(PathBuf),
}

/// The line of `replay --stats` with the digest, without its timing.
fn digest_line(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("streams="))
        .expect("a summary line");
    line.split(" seconds=")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn last_line(stdout: &str) -> String {
    stdout.lines().last().unwrap_or_default().to_owned()
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn import_replay_and_book_verify_through_postgres_match_the_data_directory() {
    let Some(files) = [
        "usdm_btcusdt_20240808.gz",
        "usdm_ethusdt_20240808.gz",
        "spot_btcusdt_20240808.gz",
    ]
    .iter()
    .map(|name| shared_data(&format!("binance/{name}")))
    .collect::<Option<Vec<PathBuf>>>() else {
        return;
    };
    let server = LocalPostgres::start().expect("a local PostgreSQL starts");
    let directory = tempfile::tempdir().expect("temp dir");
    let postgres = Store::Postgres(server.url().to_owned());
    let embedded = Store::Directory(directory.path().join("data"));
    let file_args: Vec<&str> = files.iter().filter_map(|path| path.to_str()).collect();
    for store in [&postgres, &embedded] {
        let mut args = vec!["import"];
        args.extend(&file_args);
        succeeded(run(&args, store));
    }
    let catalog = succeeded(run(&["catalog"], &postgres));
    assert!(catalog.contains("3 source(s)"), "{catalog}");
    assert!(catalog.contains("partitioned layout"), "{catalog}");

    let dump = |name: &str| directory.path().join(name);
    let from_postgres = succeeded(run(
        &["replay", "--stats", "--dump", path_str(&dump("pg.txt"))],
        &postgres,
    ));
    let from_directory = succeeded(run(
        &["replay", "--stats", "--dump", path_str(&dump("dir.txt"))],
        &embedded,
    ));
    assert_eq!(digest_line(&from_postgres), digest_line(&from_directory));
    let pg_dump = std::fs::read(dump("pg.txt")).expect("dump written");
    assert!(!pg_dump.is_empty());
    assert!(
        pg_dump == std::fs::read(dump("dir.txt")).expect("dump written"),
        "dumps differ"
    );

    for (venue, symbol, file) in [
        ("binance-usdm", "BTCUSDT", &files[0]),
        ("binance-usdm", "ETHUSDT", &files[1]),
        ("binance-spot", "BTCUSDT", &files[2]),
    ] {
        let from_files = succeeded(
            binary()
                .args(["book", "verify"])
                .arg(file)
                .output()
                .expect("the binary runs"),
        );
        let verify = ["book", "verify", "--venue", venue, "--symbol", symbol];
        let from_postgres = succeeded(run(&verify, &postgres));
        let from_directory = succeeded(run(&verify, &embedded));
        assert_eq!(
            last_line(&from_postgres),
            last_line(&from_files),
            "{venue} {symbol}"
        );
        assert_eq!(last_line(&from_directory), last_line(&from_files));
        assert!(
            last_line(&from_postgres).contains(" mismatches=0 "),
            "{from_postgres}"
        );
    }
}

/// The auction strategy over one bitFlyer day, importing what the store lacks.
fn bitflyer_config(dir: &Path) -> Option<PathBuf> {
    let text = auction_trader_testkit::bitflyer_day_auction_yaml(dir, "pg")?;
    let path = dir.join("bitflyer.yaml");
    std::fs::write(&path, text).expect("config written");
    Some(path)
}

/// A run's summary without where it was written.
fn metrics_of(json: &str) -> serde_json::Value {
    let mut summary: serde_json::Value = serde_json::from_str(json).expect("backtest --json");
    let object = summary.as_object_mut().expect("an object");
    for key in ["run", "run_dir", "report"] {
        object.remove(key);
    }
    summary
}

#[test]
#[ignore = "needs PostgreSQL 15: scripts/test.sh runs it in its postgres stage"]
fn backtest_and_grid_through_postgres_match_the_data_directory() {
    let directory = tempfile::tempdir().expect("temp dir");
    let Some(config) = bitflyer_config(directory.path()) else {
        return;
    };
    let config = path_str(&config);
    let server = LocalPostgres::start().expect("a local PostgreSQL starts");
    let postgres = Store::Postgres(server.url().to_owned());
    let embedded = Store::Directory(directory.path().join("data"));

    // The first run imports the day into each store (data.import), then replays it.
    let backtest = |name: &str, store: &Store| {
        metrics_of(&succeeded(run(
            &["backtest", "-c", config, "--name", name, "--json"],
            store,
        )))
    };
    let from_postgres = backtest("pg", &postgres);
    assert_eq!(from_postgres, backtest("dir", &embedded));
    assert!(
        from_postgres["counters"]["trades"].as_u64() > Some(0),
        "{from_postgres}"
    );
    // The run's manifest names the PostgreSQL slices it read.
    let manifest = std::fs::read_to_string(directory.path().join("runs/pg/manifest.json"))
        .expect("manifest.json");
    assert!(manifest.contains("postgres:trades/2018-01-"), "{manifest}");
    // And its records are in the store's run tables, next to the data.
    let sql = |query: &str| {
        let output = Command::new("psql")
            .args([server.url(), "-At", "-c", query])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    assert_eq!(
        sql(
            "SELECT count(*) FROM auction_trader.run_trades t JOIN auction_trader.runs r \
             USING (run_id) WHERE r.name = 'pg'"
        ),
        from_postgres["counters"]["trades"].to_string()
    );
    assert_eq!(
        sql("SELECT count(*) FROM auction_trader.run_fills WHERE run_id LIKE 'pg-%'"),
        from_postgres["counters"]["fills"].to_string()
    );
    assert_ne!(sql("SELECT count(*) FROM auction_trader.run_signals"), "0");
    // The same run again replaces its rows.
    backtest("pg", &postgres);
    assert_eq!(
        sql("SELECT count(*) FROM auction_trader.runs WHERE name = 'pg'"),
        "1"
    );

    let sweep = directory.path().join("sweep.yaml");
    std::fs::write(
        &sweep,
        "parameters:\n  strategy.auction.acceptance_closes: {values: [2, 3]}\n  \
         strategy.auction.entry_timeout_seconds: {values: [30, 120]}\n",
    )
    .expect("sweep written");
    let sweep = path_str(&sweep);
    let grid_run = |workers: &str, db: &[&str], store: &Store| {
        let mut args = vec!["grid", "run", "-c", config, "--sweep", sweep];
        args.extend(["--workers", workers]);
        args.extend(db);
        succeeded(run(&args, store))
    };
    // Without --db the rows go to the PostgreSQL store's database.
    let grid = grid_run("2", &[], &postgres);
    assert!(grid.contains("4 combinations, 4 run now"), "{grid}");
    assert!(
        grid.contains(&format!("results in {}", server.url())),
        "{grid}"
    );
    let local_db = directory.path().join("grid.db");
    grid_run("1", &["--db", path_str(&local_db)], &embedded);
    let cli = |args: &[&str]| succeeded(binary().args(args).output().expect("the binary runs"));
    let export = |db: &str, name: &str| {
        let out = directory.path().join(name);
        cli(&["grid", "export", "--db", db, "--csv", path_str(&out)]);
        std::fs::read_to_string(out).expect("export written")
    };
    let pg_rows = export(server.url(), "pg.csv");
    assert_eq!(pg_rows.lines().count(), 5, "{pg_rows}");
    assert_eq!(pg_rows, export(path_str(&local_db), "local.csv"));
    let best = cli(&["grid", "best", "--db", server.url()]);
    assert!(best.contains("4 of 4 combinations finished"), "{best}");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

#[test]
fn a_bad_or_unreachable_store_is_a_clear_error() {
    for (url, expected) in [
        (
            "postgres://trader@127.0.0.1:1/ticks",
            "cannot connect to PostgreSQL at postgres://trader@127.0.0.1:1/ticks",
        ),
        ("postgres://127.0.0.1:5432/ticks", "no user"),
        (
            "postgres://trader:secret@127.0.0.1:1/ticks",
            "postgres://trader:***@127.0.0.1:1/ticks",
        ),
    ] {
        let output = binary()
            .args(["replay", "--stats", "--store", url])
            .output()
            .expect("the binary runs");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{url}: {stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
