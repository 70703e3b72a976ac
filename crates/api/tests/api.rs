//! The API over loopback: a server on 127.0.0.1 (a free port) over a runs directory and a
//! grid database written here with hand-made rows, queried with a plain HTTP client. Every
//! request has a 10 s timeout; the server stops when the test ends.

use std::path::Path;
use std::time::Duration;

use auction_trader_analytics::{ExitLeg, PriceBar, RunRecords, TradeRecord};
use auction_trader_api::{Library, RunningServer, ServeOptions};
use auction_trader_storage::run_db::{SignalRow, write_execution_db, write_signals_db};
use auction_trader_storage::{GridDb, GridInfo, GridRow};
use auction_trader_types::{
    Direction, EntryLiquidity, ExitReason, Money, Price, Quantity, SetupKind, UnixNanos,
};
use serde_json::{Value, json};

fn price(text: &str) -> Price {
    Price::from_decimal_str(text).unwrap_or_else(|error| panic!("{error}"))
}

fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap_or_else(|error| panic!("{error}"))
}

/// 2018-01-21 00:00:00 UTC in nanoseconds.
const DAY: i64 = 1_516_492_800_000_000_000;
const MINUTE: i64 = 60_000_000_000;

fn records() -> RunRecords {
    let mut records = RunRecords::new("unit run", "BTCUSDT", money("10000"));
    records.bars = vec![
        PriceBar {
            ts: UnixNanos(DAY),
            open: price("100"),
            high: price("101.5"),
            low: price("99.25"),
            close: price("101"),
            vah: None,
            val: None,
            poc: None,
        },
        PriceBar {
            ts: UnixNanos(DAY + MINUTE),
            open: price("101"),
            high: price("102"),
            low: price("100.5"),
            close: price("100.75"),
            vah: Some(price("101.5")),
            val: Some(price("99.5")),
            poc: Some(price("100.5")),
        },
    ];
    records.trades = vec![TradeRecord {
        trade_id: 1,
        setup: SetupKind::BreakIn,
        direction: Direction::Long,
        signal_ts: UnixNanos(DAY + 5),
        entry_ts: UnixNanos(DAY + 30_000_000_001),
        entry_price: price("100.5"),
        quantity: Quantity::ONE,
        entry_liquidity: EntryLiquidity::Maker,
        stop: price("99"),
        take_profit_1: None,
        take_profit_2: price("103"),
        exit_ts: UnixNanos(DAY + MINUTE + 1),
        exit_price: price("100.75"),
        exit_reason: ExitReason::EndOfData,
        legs: vec![ExitLeg {
            ts: UnixNanos(DAY + MINUTE + 1),
            price: price("100.75"),
            quantity: Quantity::ONE,
            reason: ExitReason::EndOfData,
            fee: Money::ZERO,
            slippage: Money::ZERO,
        }],
        gross_pnl: money("0.25"),
        fees: money("0.0201"),
        funding: Money::ZERO,
        slippage: Money::ZERO,
        net_pnl: money("0.2299"),
    }];
    records
}

fn write_run(runs: &Path, name: &str) {
    let dir = runs.join(name);
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{error}"));
    write_execution_db(&dir.join("execution.db"), &records()).unwrap_or_else(|e| panic!("{e}"));
    let signal = |ts: i64, kind: &str| SignalRow {
        ts: UnixNanos(ts),
        kind: kind.to_owned(),
        setup: Some("break_in".to_owned()),
        direction: Some("long".to_owned()),
        machine: "break_in_long".to_owned(),
        from_state: "armed".to_owned(),
        to_state: "fired".to_owned(),
        detail: "val=99.5".to_owned(),
    };
    write_signals_db(
        &dir.join("signals.db"),
        &[signal(DAY + 1, "transition"), signal(DAY + 5, "signal")],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    std::fs::write(
        dir.join("metrics.json"),
        r#"{"currency": "USDT", "net_pnl": "0.2299", "return_pct": 0.002299, "sharpe": null, "trade_count": 1}"#,
    )
    .unwrap_or_else(|error| panic!("{error}"));
}

fn write_grid(path: &Path) {
    let mut db = GridDb::open(path).unwrap_or_else(|error| panic!("{error}"));
    db.begin_grid(&GridInfo {
        grid_id: "g1".to_owned(),
        base_config: "base".to_owned(),
        sweep: "parameters: {}".to_owned(),
        combinations: 3,
        label: String::new(),
        manifest: "{}".to_owned(),
        finished: 0,
    })
    .unwrap_or_else(|error| panic!("{error}"));
    let row = |id: &str, seq: u64, fast: i64, pnl: Value| GridRow {
        run_id: id.to_owned(),
        seq,
        params: json!({ "fast": fast }).to_string(),
        metrics: json!({ "net_pnl": pnl, "trades": 3 }).to_string(),
        config: String::new(),
    };
    db.insert_rows(
        "g1",
        &[
            row("a", 0, 5, json!(-2.5)),
            row("b", 1, 10, json!(7.0)),
            row("c", 2, 20, Value::Null),
        ],
    )
    .unwrap_or_else(|error| panic!("{error}"));
}

struct Fixture {
    dir: tempfile::TempDir,
    server: RunningServer,
    agent: ureq::Agent,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let runs = dir.path().join("runs");
        write_run(&runs, "unit");
        // A run being written (hidden staging folder) is not listed.
        write_run(&runs, ".unit.writing-1");
        write_grid(&dir.path().join("grid.db"));
        let server = RunningServer::start(ServeOptions {
            library: Library {
                runs_dir: runs,
                data_dir: None,
                grid_dbs: vec![dir.path().join("grid.db"), dir.path().join("absent.db")],
                session_dir: None,
            },
            bind: "127.0.0.1:0"
                .parse()
                .unwrap_or_else(|error| panic!("{error}")),
            allow_remote: false,
        })
        .unwrap_or_else(|error| panic!("{error}"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Self { dir, server, agent }
    }

    /// Status, content type and body of `GET path`.
    fn get(&self, path: &str) -> (u16, String, String) {
        let url = format!("http://{}{path}", self.server.addr());
        let mut response = self
            .agent
            .get(&url)
            .call()
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        (response.status().as_u16(), content_type, body)
    }

    fn json(&self, path: &str, status: u16) -> Value {
        let (actual, content_type, body) = self.get(path);
        assert_eq!(actual, status, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("{path}: {error}: {body}"))
    }
}

#[test]
fn runs_list_summary_and_series_equal_the_databases() {
    let fixture = Fixture::new();
    let runs = fixture.json("/api/runs", 200);
    assert_eq!(
        runs,
        json!({"runs": [{"name": "unit", "net_pnl": "0.2299", "return_pct": 0.002299,
                          "sharpe": null, "trade_count": 1, "currency": "USDT"}]})
    );
    let summary = fixture.json("/api/runs/unit", 200);
    assert_eq!(summary["title"], "unit run");
    assert_eq!(summary["initial_equity"], "10000");
    assert_eq!(summary["counts"]["bars"], 2);
    assert_eq!(summary["counts"]["trades"], 1);
    assert_eq!(summary["first_bar"]["ts"], "1516492800000000000");
    assert_eq!(summary["last_bar"]["time"], 1_516_492_860);
    assert_eq!(summary["metrics"]["trade_count"], 1);

    let bars = fixture.json("/api/runs/unit/bars", 200);
    assert_eq!(
        bars["bars"][1],
        json!({"ts": "1516492860000000000", "time": 1_516_492_860, "open": "101",
               "high": "102", "low": "100.5", "close": "100.75", "vah": "101.5",
               "val": "99.5", "poc": "100.5"})
    );
    assert_eq!(bars["bars"][0]["vah"], Value::Null);

    let trades = fixture.json("/api/runs/unit/trades", 200);
    let trade = &trades["trades"][0];
    // 30.000000001 s after midnight: `time` floors to the second, `ts` keeps every digit.
    assert_eq!(
        trade["entry"],
        json!({"ts": "1516492830000000001", "time": 1_516_492_830})
    );
    assert_eq!(trade["net_pnl"], "0.2299");
    assert_eq!(trade["fees"], "0.0201");
    assert_eq!(trade["take_profit_1"], Value::Null);
    assert_eq!(trade["legs"][0]["reason"], "end_of_data");

    let signals = fixture.json("/api/runs/unit/signals?kind=signal", 200);
    assert_eq!(signals["signals"].as_array().map(Vec::len), Some(1));
    assert_eq!(signals["signals"][0]["ts"], "1516492800000000005");
    let every = fixture.json("/api/runs/unit/signals", 200);
    assert_eq!(every["signals"].as_array().map(Vec::len), Some(2));
    let both = fixture.json("/api/runs/unit/signals?kind=signal,transition", 200);
    assert_eq!(both["signals"].as_array().map(Vec::len), Some(2));

    let equity = fixture.json("/api/runs/unit/equity", 200);
    assert_eq!(equity, json!({"equity": []}));

    // The page's layout: the same values, one array per field.
    assert_eq!(
        fixture.json("/api/runs/unit/bars?layout=columns", 200),
        json!({"bars": {"time": [1_516_492_800, 1_516_492_860], "open": [100, 101],
                        "high": [101.5, 102], "low": [99.25, 100.5],
                        "close": [101, 100.75], "vah": [null, 101.5],
                        "val": [null, 99.5], "poc": [null, 100.5]}})
    );
    assert_eq!(
        fixture.json("/api/runs/unit/trades?layout=columns", 200),
        json!({"trades": {"trade_id": [1], "setup": ["break_in"], "direction": ["long"],
                          "entry_time": [1_516_492_830], "entry_price": ["100.5"],
                          "exit_time": [1_516_492_860], "exit_price": ["100.75"],
                          "exit_reason": ["end_of_data"], "net_pnl": ["0.2299"]}})
    );
    assert_eq!(
        fixture.json("/api/runs/unit/equity?layout=columns", 200),
        json!({"equity": {"time": [], "equity": [], "position": []}})
    );
    assert_eq!(
        fixture.json("/api/runs/unit/bars?layout=rows", 200),
        fixture.json("/api/runs/unit/bars", 200)
    );

    // Without its config the run's instrument is unknown: no footprint and no profile, said
    // as such (not an error).
    let footprint = fixture.json("/api/runs/unit/footprint", 200);
    assert_eq!(footprint["unavailable"], "the run has no config.yaml");
    assert_eq!(footprint["bars"], json!([]));
    let profile = fixture.json("/api/runs/unit/profile", 200);
    assert_eq!(
        profile,
        json!({"profile": null, "unavailable": "the run has no config.yaml"})
    );
}

#[test]
fn grids_are_listed_and_rows_sort_both_ways_and_filter() {
    let fixture = Fixture::new();
    let grids = fixture.json("/api/grids", 200);
    assert_eq!(grids["grids"][0]["grid_id"], "g1");
    assert_eq!(grids["grids"][0]["finished"], 3);
    let ids = |value: &Value| -> Vec<String> {
        value["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|row| row["run_id"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let sweep = fixture.json("/api/grids/g1", 200);
    assert_eq!(ids(&sweep), ["a", "b", "c"]);
    assert_eq!(sweep["params"], json!(["fast"]));
    assert_eq!(sweep["metrics"], json!(["net_pnl", "trades"]));
    assert_eq!(sweep["rows"][0]["has_run"], false);
    // Largest first, the row without a value last; ascending keeps it last.
    assert_eq!(
        ids(&fixture.json("/api/grids/g1?sort=net_pnl", 200)),
        ["b", "a", "c"]
    );
    assert_eq!(
        ids(&fixture.json("/api/grids/g1?sort=net_pnl&order=asc", 200)),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(&fixture.json("/api/grids/g1?sort=fast&order=desc&limit=2", 200)),
        ["c", "b"]
    );
    assert_eq!(
        ids(&fixture.json("/api/grids/g1?where=fast%20%3E%3D%2010", 200)),
        ["b", "c"]
    );
}

#[test]
fn bad_input_is_a_4xx_json_message_and_missing_things_a_404() {
    let fixture = Fixture::new();
    let message = |path: &str, status: u16| -> String {
        fixture.json(path, status)["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no error message"))
            .to_owned()
    };
    assert_eq!(message("/api/runs/nope", 404), "no run named \"nope\"");
    assert_eq!(message("/api/runs/nope/bars", 404), "no run named \"nope\"");
    assert!(message("/api/runs/..%2F..%2Fetc", 400).starts_with("run names are"));
    assert!(message("/api/runs/.unit.writing-1", 400).starts_with("run names are"));
    assert!(message("/api/runs/unit/signals?kind=everything", 400).contains("transition"));
    assert!(message("/api/runs/unit/bars?color=red", 400).contains("unknown query parameter"));
    assert!(message("/api/runs/unit/trades?layout=wide", 400).contains("rows or columns"));
    assert!(message("/api/runs/unit/footprint?bin=-1", 400).contains("positive"));
    assert!(message("/api/runs/unit/footprint?bin=wide", 400).contains("decimal price"));
    assert!(message("/api/runs/unit/footprint?from=tomorrow", 400).starts_with("from:"));
    assert!(message("/api/runs/unit/profile?bins=0", 400).contains("bins"));
    assert!(message("/api/runs/unit/profile?bins=many", 400).contains("whole number"));
    assert!(message("/api/runs/unit/profile?from=yesterday", 400).starts_with("from:"));
    assert!(message("/api/runs/unit/profile?bin=-1", 400).contains("positive"));
    assert!(message("/api/runs/unit/orderflow?from=soon", 400).starts_with("from:"));
    assert!(message("/api/runs/unit/orderflow?bins=3", 400).contains("unknown query parameter"));
    assert_eq!(
        message("/api/runs/nope/orderflow", 404),
        "no run named \"nope\""
    );
    assert_eq!(
        message("/api/runs/nope/fill-models", 404),
        "no run named \"nope\""
    );
    assert_eq!(message("/api/runs/nope/heat", 404), "no run named \"nope\"");
    assert!(message("/api/runs/unit/heat?x=1", 400).contains("unknown query parameter"));
    assert!(message("/api/grids/g1?sort=nothing", 400).contains("nothing"));
    assert!(message("/api/grids/g1?order=sideways", 400).contains("asc or desc"));
    assert!(message("/api/grids/g1?where=fast", 400).contains("name op value"));
    assert_eq!(message("/api/grids/g2", 404), "no grid named \"g2\"");
    assert_eq!(message("/api/unknown", 404), "no API route /api/unknown");
}

#[test]
fn order_flow_and_fill_models_say_what_is_missing() {
    let fixture = Fixture::new();
    // The hand-made run has no config.yaml (so no market data to replay) and no `fills
    // compare` report beside it.
    let flow = fixture.json("/api/runs/unit/orderflow", 200);
    assert_eq!(flow["unavailable"], "the run has no config.yaml");
    assert_eq!(flow["minutes"]["time"], json!([]));
    assert_eq!(
        fixture.json("/api/runs/unit/fill-models", 200)["comparison"],
        Value::Null
    );
    let report = fixture.dir.path().join("runs/unit-fill-models");
    std::fs::create_dir_all(&report).unwrap_or_else(|error| panic!("{error}"));
    std::fs::write(
        report.join("fill_models.json"),
        r#"{"rows":[{"model":"queue_fraction"}]}"#,
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        fixture.json("/api/runs/unit/fill-models", 200)["comparison"]["rows"][0]["model"],
        "queue_fraction"
    );
    // The run's heat: no trade stays open at the end.
    let heat = fixture.json("/api/runs/unit/heat", 200);
    let heat = heat["heat"]["heat"]
        .as_array()
        .unwrap_or_else(|| panic!("no heat series"));
    assert!(!heat.is_empty());
    assert_eq!(heat.last().and_then(Value::as_f64), Some(0.0));
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let fixture = Fixture::new();
    let (status, content_type, page) = fixture.get("/");
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"));
    assert!(page.contains("<script type=\"module\" crossorigin src=\"/assets/app.js\">"));
    let (status, content_type, script) = fixture.get("/assets/app.js");
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/javascript"));
    assert!(script.len() > 10_000);
    assert_eq!(fixture.get("/favicon.svg").0, 200);
    assert_eq!(fixture.get("/nothing.js").0, 404);
}

#[test]
fn a_rewritten_run_is_read_again() {
    let fixture = Fixture::new();
    let count = |value: &Value| value["bars"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&fixture.json("/api/runs/unit/bars", 200)), 2);
    // The run is replaced (as `backtest` does) with one more bar: the cached copy is stale.
    let mut more = records();
    let mut third = more.bars[1];
    third.ts = UnixNanos(DAY + 2 * MINUTE);
    more.bars.push(third);
    let path = fixture.dir.path().join("runs/unit/execution.db");
    write_execution_db(&path, &more).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(count(&fixture.json("/api/runs/unit/bars", 200)), 3);
}

#[test]
fn performance_gives_period_pnl_drawdown_and_rolling_sharpe() {
    let fixture = Fixture::new();
    let answer = fixture.json("/api/runs/unit/performance", 200);
    // The fixture run has no equity points: no day ends, no periods, no series.
    assert_eq!(answer["periods"]["day"], json!([]));
    assert_eq!(answer["periods"]["month"], json!([]));
    assert_eq!(answer["drawdown"], json!({"time": [], "drawdown": []}));
    assert_eq!(answer["rolling_sharpe"]["window_days"], 7);
    assert_eq!(
        answer["rolling_sharpe"]["series"],
        json!({"time": [], "sharpe": []})
    );
}
