//! Sessions against the local mock exchange, end to end over loopback (SPEC 7): `run
//! --endpoint` on both venues' protocols (Binance USD-M, Bybit v5) while `mock-exchange`
//! replays a real Binance USD-M capture (2024-07-18; 2024-08-08 for live) at ten times its
//! speed. Paper keeps a
//! book that matches every replayed quote through injected gaps, reorders and a dropped
//! connection, and trades; live trades through the venue's order entry with every fill the
//! venue made recorded and injected order rejections taken as rejections (no halt); a
//! position the venue reports differently halts the session; paper
//! sessions killed with SIGKILL at seeded moments and restarted lose no fill. Skipped (with a
//! note) when the shared capture is absent.

// Child processes, their wall-clock pacing and the mock's fault timing are wall-clock work.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use auction_trader_live::execution_log::ExecutionLog;

mod common;
use auction_trader_types::SplitMix64;
use common::{binary, enable, fills, finished, repository};

const CAPTURE: &str = "../../../shared/data/binance/usdm_btcusdt_20240718.gz";
/// Live sessions replay the busier 2024-08-08 capture (34 s at ten times its speed): the
/// mock's fill model needs traded volume through our queue position.
const LIVE_CAPTURE: &str = "../../../shared/data/binance/usdm_btcusdt_20240808.gz";

fn capture() -> Option<PathBuf> {
    shared(CAPTURE)
}

fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

/// The two venues as the mock and the shipped configs name them.
#[derive(Debug, Clone, Copy)]
enum Venue {
    Binance,
    Bybit,
}

impl Venue {
    fn mock_name(self) -> &'static str {
        match self {
            Self::Binance => "binance-usdm",
            Self::Bybit => "bybit",
        }
    }

    fn config(self) -> PathBuf {
        match self {
            Self::Binance => repository("configs/paper-binance.yaml"),
            Self::Bybit => repository("configs/paper-bybit.yaml"),
        }
    }

    /// The environment keys of live mode (the mock's default credentials).
    fn credentials(self) -> [(&'static str, &'static str); 2] {
        match self {
            Self::Binance => [
                ("BINANCE_API_KEY", "mock-api-key"),
                ("BINANCE_API_SECRET", "mock-api-secret"),
            ],
            Self::Bybit => [
                ("BYBIT_API_KEY", "mock-api-key"),
                ("BYBIT_API_SECRET", "mock-api-secret"),
            ],
        }
    }
}

/// A running `mock-exchange` on a free loopback port.
struct Mock {
    child: Child,
    port: u16,
    rest_of_stdout: JoinHandle<String>,
}

impl Mock {
    fn start(venue: Venue, capture: &Path) -> Self {
        let mut child = binary()
            .args(["mock-exchange", "--venue", venue.mock_name(), "--replay"])
            .arg(capture)
            .args(["--speed", "10", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mock-exchange starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("the mock announces itself");
        // "mock-exchange <venue>: REST http://127.0.0.1:P WebSocket ..."
        let port = first
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        let rest_of_stdout = thread::spawn(move || {
            let mut text = String::new();
            stdout.read_to_string(&mut text).ok();
            text
        });
        Self {
            child,
            port,
            rest_of_stdout,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// POSTs a fault-injection command (`/mock/gap?n=2`, ...).
    fn post(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the mock listens");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a timeout");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("the request is sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok();
        assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
        answer
    }

    /// Waits for the end of the replay; the mock's summary line.
    fn finish(mut self) -> String {
        let status = self.child.wait().expect("the mock ends");
        let stdout = self.rest_of_stdout.join().expect("stdout read");
        assert!(status.success(), "mock-exchange failed: {stdout}");
        stdout.lines().last().unwrap_or_default().to_owned()
    }
}

fn session(venue: Venue, mode: &str, mock: &Mock, data_dir: &Path) -> Command {
    session_with(&venue.config(), venue, mode, mock, data_dir)
}

fn session_with(config: &Path, venue: Venue, mode: &str, mock: &Mock, data_dir: &Path) -> Command {
    let mut command = binary();
    command
        .arg("run")
        .arg("-c")
        .arg(config)
        .args(["--mode", mode, "--endpoint", &mock.endpoint(), "--data-dir"])
        .arg(data_dir)
        .env_remove("AUCTION_TRADER_ALERT_WEBHOOK")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if mode == "live" {
        command.envs(venue.credentials());
    }
    command
}

/// `key=N` of the session's summary line.
fn count(summary: &str, key: &str) -> u64 {
    summary
        .split(&format!("{key}="))
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse().ok())
        })
        .unwrap_or_else(|| panic!("no {key}= in {summary}"))
}

/// `N orders, M fills` of the mock's summary line.
fn mock_orders_and_fills(summary: &str) -> (u64, u64) {
    let number_before = |word: &str| -> u64 {
        summary
            .split(&format!(" {word}"))
            .next()
            .and_then(|head| head.rsplit(' ').next())
            .and_then(|digits| digits.parse().ok())
            .unwrap_or_else(|| panic!("no {word} in {summary}"))
    };
    (number_before("orders,"), number_before("fills;"))
}

fn paper_with_faults(venue: Venue, capture: &Path) {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mock = Mock::start(venue, capture);
    let child = session(venue, "paper", &mock, scratch.path())
        .spawn()
        .expect("run starts");
    // Faults while the replay runs (about 18 s): skipped depth messages, a dropped
    // connection, swapped depth messages, then another gap.
    for (after, fault) in [
        (3, "/mock/gap?n=2"),
        (3, "/mock/drop"),
        (3, "/mock/reorder?n=1"),
        (2, "/mock/gap?n=1"),
    ] {
        thread::sleep(Duration::from_secs(after));
        mock.post(fault);
    }
    let output = child.wait_with_output().expect("run ends with the feed");
    let summary = finished(&output);
    let mock_summary = mock.finish();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(count(&summary, "checks") > 500, "{venue:?}: {summary}");
    assert_eq!(
        count(&summary, "mismatches"),
        0,
        "{venue:?}: {summary}\n{stderr}"
    );
    // The gaps are detected and the book rebuilt (the reconnect rebuilds it too).
    assert!(
        count(&summary, "gaps") >= 1,
        "{venue:?}: {summary}\n{stderr}"
    );
    assert!(stderr.contains("book resync"), "{venue:?}: {stderr}");
    assert!(count(&summary, "fills") > 0, "{venue:?}: {summary}");
    assert!(
        mock_summary.contains("injected 3 gaps, 1 reorders, 1 drops"),
        "{mock_summary}"
    );
}

#[test]
fn paper_on_both_venues_keeps_the_book_through_faults_and_trades() {
    let Some(capture) = capture() else {
        return;
    };
    let binance = {
        let capture = capture.clone();
        thread::spawn(move || paper_with_faults(Venue::Binance, &capture))
    };
    paper_with_faults(Venue::Bybit, &capture);
    binance.join().expect("the Binance session passed");
}

fn live_session(venue: Venue, capture: &Path, injected_position: bool) {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mock = Mock::start(venue, capture);
    // Live entries here rest up to 60 s (the whole replay).
    let config = patient_config(venue, scratch.path(), 60_000);
    let data_dir = scratch.path().join("session");
    // Live mode starts in observe mode: the operator enables it.
    enable(&data_dir);
    let child = session_with(&config, venue, "live", &mock, &data_dir)
        .spawn()
        .expect("run starts");
    if injected_position {
        thread::sleep(Duration::from_secs(4));
        mock.post("/mock/position?qty=0.5");
    } else {
        // The venue refuses the next two orders: rejections, not a halt.
        thread::sleep(Duration::from_secs(2));
        mock.post("/mock/reject?n=2");
    }
    let output = child.wait_with_output().expect("run ends with the feed");
    let summary = finished(&output);
    let mock_summary = mock.finish();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let (mock_orders, mock_fills) = mock_orders_and_fills(&mock_summary);
    if injected_position {
        assert!(
            summary.contains("HALTED: position mismatch: venue position 0.5"),
            "{venue:?}: {summary}\n{stderr}"
        );
        assert!(stderr.contains("alert position_mismatch"), "{stderr}");
        let status = binary()
            .args(["control", "status", "--data-dir"])
            .arg(&data_dir)
            .output()
            .expect("control runs");
        let status = String::from_utf8_lossy(&status.stdout);
        assert!(status.contains("trading disabled"), "{status}");
        return;
    }
    assert!(
        !summary.contains("HALTED"),
        "{venue:?}: {summary}\n{stderr}"
    );
    assert_eq!(count(&summary, "mismatches"), 0, "{venue:?}: {summary}");
    assert!(mock_fills > 0, "{venue:?}: {mock_summary}");
    assert!(mock_summary.contains(" 2 rejects"), "{mock_summary}");
    // An entry and the orders of its exit.
    assert!(mock_orders >= 2, "{venue:?}: {mock_summary}");
    // Every order the venue saw is ours, every fill it made is recorded. (An order the
    // session makes as the replay ends can reach a mock that has stopped taking orders.)
    let orders = count(&summary, "orders");
    assert!(
        orders >= mock_orders && orders <= mock_orders + 1,
        "{summary}\n{mock_summary}"
    );
    assert_eq!(
        count(&summary, "fills"),
        mock_fills,
        "{summary}\n{mock_summary}"
    );
    assert_eq!(fills(&data_dir).len() as u64, mock_fills);
}

#[test]
fn live_on_both_venues_records_every_venue_fill_and_a_position_mismatch_halts() {
    let Some(capture) = shared(LIVE_CAPTURE) else {
        return;
    };
    let runs: Vec<_> = [
        (Venue::Binance, false),
        (Venue::Bybit, false),
        (Venue::Binance, true),
    ]
    .into_iter()
    .map(|(venue, injected)| {
        let capture = capture.clone();
        thread::spawn(move || live_session(venue, &capture, injected))
    })
    .collect();
    for run in runs {
        run.join().expect("a live session passed");
    }
}

/// Ten SIGKILLs at seeded moments of one paper session on `venue` while the mock replays;
/// returns the kills that hit a running process.
fn paper_killed_and_restarted(venue: Venue, capture: &Path, seed: u64) -> usize {
    const KILLS: usize = 10;
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mock = Mock::start(venue, capture);
    let mut random = SplitMix64::new(seed);
    let mut killed = 0;
    let mut before_kill = Vec::new();
    for _ in 0..KILLS {
        let mut child = session(venue, "paper", &mock, scratch.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run starts");
        // 0.4–1.6 s after the start: during the catch-up, the reconnect or trading.
        thread::sleep(Duration::from_secs_f64(0.4 + 1.2 * random.unit()));
        if child.try_wait().ok().flatten().is_none() {
            killed += 1;
        }
        child.kill().ok();
        child.wait().ok();
        // Nothing recorded before a kill is lost by a later start.
        let now = fills(scratch.path());
        assert!(
            before_kill.iter().all(|row| now.contains(row)),
            "{venue:?}: a fill recorded before a kill is gone"
        );
        before_kill = now;
    }
    // The last start runs to the end of the replay.
    let output = session(venue, "paper", &mock, scratch.path())
        .output()
        .expect("run ends with the feed");
    let summary = finished(&output);
    mock.finish();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !summary.contains("HALTED"),
        "{venue:?}: {summary}\n{stderr}"
    );
    assert!(stderr.contains("reconciled: position"), "{stderr}");
    let last = fills(scratch.path());
    assert!(before_kill.iter().all(|row| last.contains(row)));
    assert!(!last.is_empty(), "{venue:?}: no fill in the whole session");
    // No order twice: every client id in execution.db is unique.
    let log = ExecutionLog::open(scratch.path()).expect("execution.db opens");
    let orders = log.orders(0).expect("orders read");
    let mut ids: Vec<&String> = orders.iter().map(|(id, _)| id).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "an order was recorded twice");
    killed
}

/// A copy of the venue's shipped config whose entries rest `requote_ms` (the mock's fill
/// model, at ten times the capture's speed, rarely fills an entry within the shipped 2 s).
fn patient_config(venue: Venue, directory: &Path, requote_ms: u64) -> PathBuf {
    let shipped = std::fs::read_to_string(venue.config()).expect("the config reads");
    let patient = shipped.replace("requote_ms: 2000", &format!("requote_ms: {requote_ms}"));
    assert_ne!(patient, shipped, "the config has requote_ms: 2000");
    let config = directory.join("live.yaml");
    std::fs::write(&config, patient).expect("the config writes");
    config
}

/// Ten SIGKILLs at seeded moments of one live session on `venue` while the mock replays and
/// keeps matching the orders it holds; each restart recovers from the venue what happened
/// while the process was down. Returns the kills that hit a running process.
fn live_killed_and_restarted(venue: Venue, capture: &Path, seed: u64) -> usize {
    const KILLS: usize = 10;
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mock = Mock::start(venue, capture);
    // Entries rest up to 6 s of wall time: most kills find one open at the venue.
    let config = patient_config(venue, scratch.path(), 60_000);
    let data_dir = scratch.path().join("session");
    enable(&data_dir);
    let mut random = SplitMix64::new(seed);
    let mut killed = 0;
    let mut before_kill = Vec::new();
    let mut restart_lines = String::new();
    for run in 0..KILLS {
        let log = scratch.path().join(format!("run-{run}.err"));
        let mut child = session_with(&config, venue, "live", &mock, &data_dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("run starts");
        // 0.5–2.5 s after the start: while connecting, catching up, recovering or trading.
        thread::sleep(Duration::from_secs_f64(0.5 + 2.0 * random.unit()));
        if child.try_wait().ok().flatten().is_none() {
            killed += 1;
        }
        child.kill().ok();
        child.wait().ok();
        let now = fills(&data_dir);
        assert!(
            before_kill.iter().all(|row| now.contains(row)),
            "{venue:?}: a fill recorded before a kill is gone"
        );
        before_kill = now;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        restart_lines.extend(
            text.lines()
                .filter(|line| line.starts_with("restart: "))
                .map(|line| format!("{line}\n")),
        );
    }
    let output = session_with(&config, venue, "live", &mock, &data_dir)
        .output()
        .expect("run ends with the feed");
    let summary = finished(&output);
    let mock_summary = mock.finish();
    let stderr = String::from_utf8_lossy(&output.stderr);
    restart_lines.extend(
        stderr
            .lines()
            .filter(|line| line.starts_with("restart: "))
            .map(|line| format!("{line}\n")),
    );
    eprintln!("{venue:?} restarts:\n{restart_lines}");
    assert!(
        !summary.contains("HALTED"),
        "{venue:?}: {summary}\n{stderr}"
    );
    assert!(stderr.contains("reconciled: position"), "{stderr}");
    // Restarts found orders open at the venue and asked for their records.
    assert!(
        restart_lines.contains("asked the venue about"),
        "{venue:?}: {restart_lines}"
    );
    let last = fills(&data_dir);
    assert!(before_kill.iter().all(|row| last.contains(row)));
    // Every fill the venue made, including those made while the process was down, is in
    // execution.db once; no order reached the venue twice.
    let (_, mock_fills) = mock_orders_and_fills(&mock_summary);
    assert_eq!(
        last.len() as u64,
        mock_fills,
        "{venue:?}: {summary}\n{mock_summary}\n{stderr}"
    );
    assert!(mock_fills > 0, "{venue:?}: no fill in the whole session");
    assert!(
        mock_summary.ends_with("; 0 duplicate client ids"),
        "{mock_summary}"
    );
    killed
}

#[test]
fn live_sessions_against_the_mock_survive_twenty_kills() {
    let Some(capture) = shared(LIVE_CAPTURE) else {
        return;
    };
    let binance = {
        let capture = capture.clone();
        thread::spawn(move || live_killed_and_restarted(Venue::Binance, &capture, 5))
    };
    let bybit = live_killed_and_restarted(Venue::Bybit, &capture, 13);
    let binance = binance.join().expect("the Binance session passed");
    assert!(
        binance + bybit >= 18,
        "only {binance} + {bybit} of 20 kills hit a running session"
    );
}

#[test]
fn paper_sessions_against_the_mock_survive_twenty_kills() {
    let Some(capture) = capture() else {
        return;
    };
    let binance = {
        let capture = capture.clone();
        thread::spawn(move || paper_killed_and_restarted(Venue::Binance, &capture, 7))
    };
    let bybit = paper_killed_and_restarted(Venue::Bybit, &capture, 11);
    let binance = binance.join().expect("the Binance session passed");
    assert!(
        binance + bybit >= 18,
        "only {binance} + {bybit} of 20 kills hit a running session"
    );
}
