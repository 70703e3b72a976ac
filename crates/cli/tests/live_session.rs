//! The live session commands end to end (SPEC 7): `run` over a replayed slice of the real
//! Binance USD-M capture, killed with SIGKILL at seeded random moments and restarted (every
//! fill and the position recovered, no order sent twice); a position mismatch injected into
//! execution.db halts with an alert; `control` flips trading on a running session; secrets
//! from the environment never reach logs, stored configs or execution.db; a warm-up on
//! recorded data lets signals come before 240 minutes of the feed. Skipped (with a note)
//! when the shared data is absent.

// Killing child processes at moments of their run and waiting for them is wall-clock work.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auction_trader_live::execution_log::ExecutionLog;

mod common;
use auction_trader_types::SplitMix64;
use common::{FillRow, binary, control, enable, fills, finished, repository};

/// Event seconds of the capture kept in the slice (the first trade fills 100 s in and exits
/// 131 s in).
const SLICE_SECONDS: i64 = 150;

/// The first `SLICE_SECONDS` of the shared capture as a gzip file in `dir`.
fn capture_slice(dir: &Path) -> Option<PathBuf> {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/binance/usdm_btcusdt_20240808.gz");
    if !capture.exists() {
        eprintln!("skipped: {} is absent", capture.display());
        return None;
    }
    let reader = BufReader::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&capture).expect("the capture opens"),
    ));
    let path = dir.join("usdm_btcusdt_20240808_slice.gz");
    let mut writer = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).expect("the slice is writable"),
        flate2::Compression::fast(),
    );
    let mut first: Option<i64> = None;
    for line in reader.lines() {
        let line = line.expect("the capture decodes");
        let ts: i64 = line
            .split(' ')
            .next()
            .and_then(|field| field.parse().ok())
            .expect("each line starts with its local time");
        let start = *first.get_or_insert(ts);
        if ts - start > SLICE_SECONDS * 1_000_000_000 {
            break;
        }
        writeln!(writer, "{line}").expect("the slice is writable");
    }
    writer.finish().expect("the slice is writable");
    Some(path)
}

fn run_command(data_dir: &Path, slice: &Path) -> Command {
    let mut command = binary();
    command
        .arg("run")
        .arg("-c")
        .arg(repository("configs/paper-binance-drain.yaml"))
        .args(["--mode", "paper", "--data-dir"])
        .arg(data_dir)
        .arg("--replay")
        .arg(slice)
        .env_remove("AUCTION_TRADER_ALERT_WEBHOOK");
    command
}

/// Order ids without the generation's client tag (it is made from the first start's wall
/// time, so it differs between data directories).
fn order_numbers(data_dir: &Path) -> Vec<(String, String)> {
    let log = ExecutionLog::open(data_dir).expect("execution.db opens");
    log.orders(0)
        .expect("orders read")
        .into_iter()
        .map(|(client_id, status)| {
            let number = client_id.rsplit('-').next().unwrap_or_default().to_owned();
            (number, status)
        })
        .collect()
}

fn untagged(rows: &[FillRow]) -> Vec<FillRow> {
    rows.iter()
        .map(|row| {
            let number = row.0.rsplit('-').next().unwrap_or_default().to_owned();
            (number, row.1, row.2, row.3.clone(), row.4, row.5)
        })
        .collect()
}

fn kill_after(mut child: Child, delay: Duration) -> bool {
    std::thread::sleep(delay);
    // SIGKILL on Unix: no destructor, no flush runs.
    let killed = child.try_wait().ok().flatten().is_none();
    child.kill().ok();
    child.wait().ok();
    killed
}

#[test]
fn kill_nine_at_random_moments_loses_no_fill_and_sends_no_order_twice() {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let Some(slice) = capture_slice(scratch.path()) else {
        return;
    };
    let started = Instant::now();
    // The uninterrupted reference.
    let reference = scratch.path().join("reference");
    enable(&reference);
    let timer = Instant::now();
    let output = run_command(&reference, &slice).output().expect("run runs");
    let wall = timer.elapsed();
    let summary = finished(&output);
    let expected_fills = fills(&reference);
    let expected_orders = order_numbers(&reference);
    assert!(expected_fills.len() >= 5, "the slice trades: {summary}");
    assert!(summary.contains("mismatches=0"), "{summary}");
    let mut random = SplitMix64::new(0x5EED_2024_0808);
    // Kill moments are fractions of a whole run's wall time, re-measured after every trial
    // (the reference may have run on a busier machine than the trials).
    let mut wall = wall;
    let mut killed = 0;
    let trials = 24;
    for trial in 0..trials {
        let dir = scratch.path().join(format!("trial-{trial}"));
        enable(&dir);
        // One or two kills, each at a seeded moment of the session's run time.
        let kills = 1 + usize::from(trial % 4 == 3);
        for _ in 0..kills {
            let moment = wall.mul_f64(0.05 + 0.6 * random.unit());
            let child = run_command(&dir, &slice)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run starts");
            if kill_after(child, moment) {
                killed += 1;
            }
        }
        let timer = Instant::now();
        let output = run_command(&dir, &slice).output().expect("run runs");
        let summary = finished(&output);
        if summary.contains("0 replayed from the journal") {
            // A whole run (every kill came after the end): its time is the run's time.
            wall = wall.min(timer.elapsed());
        }
        assert_eq!(
            untagged(&fills(&dir)),
            untagged(&expected_fills),
            "trial {trial}: fills differ from the uninterrupted run\n{summary}"
        );
        assert_eq!(
            order_numbers(&dir),
            expected_orders,
            "trial {trial}: orders differ (an order sent twice would be an extra row)"
        );
        let log = ExecutionLog::open(&dir).expect("execution.db opens");
        // The generation ended (a kill that came after the end leaves a later, separate
        // generation), with the same final position as the reference.
        assert!(log.generation().expect("generation") >= 1, "trial {trial}");
        assert_eq!(
            log.last_position(0).expect("position"),
            ExecutionLog::open(&reference)
                .expect("opens")
                .last_position(0)
                .expect("position"),
            "trial {trial}"
        );
        assert!(!summary.contains("HALTED"), "trial {trial}: {summary}");
    }
    assert!(
        killed >= trials,
        "only {killed} runs were still running when killed"
    );
    let elapsed = started.elapsed();
    eprintln!("{trials} trials, {killed} kills, reference run {wall:?}, total {elapsed:?}");
}

#[test]
fn a_position_mismatch_injected_into_execution_db_halts_with_an_alert() {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let Some(slice) = capture_slice(scratch.path()) else {
        return;
    };
    let dir = scratch.path().join("session");
    enable(&dir);
    // Run until the first fills are written, then kill (at 10x the slice lasts 15 s, so the
    // kill comes before the session ends by itself).
    let mut child = run_command(&dir, &slice)
        .args(["--speed", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // A fill and the position row written after it (a kill between the two leaves no
        // position row to tamper with).
        let has_fills = dir.join("execution.db").exists()
            && ExecutionLog::open(&dir).is_ok_and(|log| {
                log.fills(0).is_ok_and(|rows| !rows.is_empty())
                    && log
                        .connection()
                        .query_row("SELECT count(*) FROM positions", [], |row| {
                            row.get::<_, i64>(0)
                        })
                        .is_ok_and(|rows| rows > 0)
            });
        if has_fills || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().ok();
    child.wait().ok();
    let log = ExecutionLog::open(&dir).expect("execution.db opens");
    assert!(
        !log.fills(0).expect("fills").is_empty(),
        "no fill before the kill"
    );
    // The recorded position after the newest fill is tampered with.
    let changed = log
        .connection()
        .execute(
            "UPDATE positions SET position_raw = '123456789' WHERE rowid = (SELECT max(rowid) FROM positions)",
            [],
        )
        .expect("the injection is written");
    assert_eq!(changed, 1, "a position row was tampered with");
    // A webhook receiver for the alert.
    let server = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let url = format!("http://{}/alerts", server.local_addr().expect("address"));
    let receiver = std::thread::spawn(move || {
        let mut posts = String::new();
        server.set_nonblocking(false).ok();
        for stream in server.incoming().take(4) {
            let Ok(mut stream) = stream else { break };
            stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
            let mut request = Vec::new();
            let mut buffer = [0_u8; 8192];
            // Headers and body may come in separate writes: read until the JSON ends.
            while let Ok(read) = stream.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
                if request.ends_with(b"}") {
                    break;
                }
            }
            posts.push_str(&String::from_utf8_lossy(&request));
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .ok();
            if posts.contains("position_mismatch") {
                break;
            }
        }
        posts
    });
    let output = run_command(&dir, &slice)
        .env("AUCTION_TRADER_ALERT_WEBHOOK", &url)
        .output()
        .expect("run runs");
    let summary = finished(&output);
    assert!(summary.contains("HALTED: position mismatch"), "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("alert position_mismatch"), "{stderr}");
    let alerts = log.alerts().expect("alerts");
    assert!(
        alerts.iter().any(|(kind, _)| kind == "position_mismatch"),
        "{alerts:?}"
    );
    let posts = receiver.join().expect("the receiver ends");
    assert!(posts.contains("\"kind\":\"position_mismatch\""), "{posts}");
    // Trading stays off until the operator enables it again.
    let status = binary()
        .args(["control", "status", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("control runs");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.starts_with("trading disabled"), "{status}");
    assert!(status.contains("halt: position mismatch"), "{status}");
    // The halted restart opened nothing: no entry order was written after the halt.
    let new_entries: i64 = log
        .connection()
        .query_row(
            "SELECT count(*) FROM orders WHERE purpose = 'entry'
             AND start = (SELECT max(start) FROM starts)",
            [],
            |row| row.get(0),
        )
        .expect("orders count");
    assert_eq!(new_entries, 0, "{summary}");
}

#[test]
fn control_flips_trading_on_a_running_session_and_metrics_show_it() {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let Some(slice) = capture_slice(scratch.path()) else {
        return;
    };
    let dir = scratch.path().join("session");
    // The config starts paper sessions trading in a fresh directory; an operator's
    // `disable` written before the start is kept instead.
    control(&dir, "disable");
    // 150 event seconds at 30x: about 5 s of wall time; the first signal comes 100 s in.
    let mut child = run_command(&dir, &slice)
        .args(["--speed", "30", "--metrics", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines.next().expect("a metrics line").expect("stderr reads");
        if let Some(rest) = line.strip_prefix("metrics on http://") {
            break rest.trim_end_matches("/metrics").to_owned();
        }
    };
    let metrics = |address: &str| -> String {
        let mut stream = std::net::TcpStream::connect(address).expect("metrics connect");
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        answer
    };
    let before = metrics(&address);
    assert!(
        before.contains("auction_trader_trading_enabled{mode=\"paper\",symbol=\"BTCUSDT\"} 0"),
        "{before}"
    );
    enable(&dir);
    let deadline = Instant::now() + Duration::from_secs(5);
    let enabled = loop {
        let text = metrics(&address);
        if text.contains("auction_trader_trading_enabled{mode=\"paper\",symbol=\"BTCUSDT\"} 1") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the session never enabled trading:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        enabled.contains("auction_trader_book_checks_total{mode=\"paper\",symbol=\"BTCUSDT\"} ")
    );
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let output = child.wait_with_output().expect("run ends");
    let summary = finished(&output);
    assert!(
        rest.iter()
            .any(|line| line.contains("alert control: trading enabled")),
        "{rest:?}"
    );
    let log = ExecutionLog::open(&dir).expect("execution.db opens");
    assert!(
        !log.orders(0).expect("orders").is_empty(),
        "no order after enabling: {summary}"
    );
    assert!(summary.contains("mismatches=0"), "{summary}");
}

#[test]
fn secrets_from_the_environment_never_reach_logs_or_stored_files() {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let Some(slice) = capture_slice(scratch.path()) else {
        return;
    };
    let secrets = [
        "binance-key-7f3a9c1e5b2d4a6f",
        "binance-secret-0e9d8c7b6a5f4e3d",
        "bybit-key-1a2b3c4d5e6f7a8b",
        "bybit-secret-9f8e7d6c5b4a3f2e",
        "hook-token-55aa66bb77cc88dd",
    ];
    let dir = scratch.path().join("session");
    enable(&dir);
    let output = run_command(&dir, &slice)
        .env("BINANCE_API_KEY", secrets[0])
        .env("BINANCE_API_SECRET", secrets[1])
        .env("BYBIT_API_KEY", secrets[2])
        .env("BYBIT_API_SECRET", secrets[3])
        // An unreachable receiver: the failed POSTs are logged, the URL must not be.
        .env(
            "AUCTION_TRADER_ALERT_WEBHOOK",
            format!("http://127.0.0.1:9/{}", secrets[4]),
        )
        .output()
        .expect("run runs");
    let summary = finished(&output);
    let mut texts = vec![
        ("stdout".to_owned(), output.stdout.clone()),
        ("stderr".to_owned(), output.stderr.clone()),
    ];
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("the data directory lists") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).expect("a file reads");
            let bytes = if path.extension().is_some_and(|ext| ext == "gz") {
                let mut plain = Vec::new();
                // A complete journal (the session ended): decodes in full.
                flate2::read::MultiGzDecoder::new(bytes.as_slice())
                    .read_to_end(&mut plain)
                    .expect("the journal decodes");
                plain
            } else {
                bytes
            };
            texts.push((path.display().to_string(), bytes));
        }
    }
    assert!(texts.iter().any(|(name, _)| name.ends_with("execution.db")));
    assert!(texts.iter().any(|(name, _)| name.ends_with("config.yaml")));
    for (name, bytes) in &texts {
        let text = String::from_utf8_lossy(bytes);
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} found in {name}");
        }
    }
    assert!(summary.contains("fills="), "{summary}");
}

#[test]
fn control_status_of_a_missing_directory_creates_nothing() {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let dir = scratch.path().join("never-used");
    let output = binary()
        .args(["control", "status", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("control runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.starts_with("trading disabled (version 0"),
        "{stdout}"
    );
    assert!(!dir.exists(), "a status query created {}", dir.display());
}

/// The first signal (event time) of a dry-run over bitFlyer's 2018-01-22 file, cold or
/// warmed up on the day before.
fn first_signal(data_dir: &Path, warmup: Option<&Path>) -> (i64, String) {
    let day = repository("../shared/data/bitflyer/bitflyer.execution.20180122.BTC_JPY.csv.gz");
    let mut command = binary();
    command
        .args(["run", "-c"])
        .arg(repository("configs/bitflyer-auction.yaml"))
        .args(["--mode", "dry-run", "--data-dir"])
        .arg(data_dir)
        .arg("--replay")
        .arg(&day);
    if let Some(warmup) = warmup {
        command.arg("--warmup").arg(warmup);
    }
    let output = command.output().expect("run runs");
    finished(&output);
    let log = ExecutionLog::open(data_dir).expect("execution.db opens");
    let first = log
        .connection()
        .query_row("SELECT min(ts) FROM signals", [], |row| row.get(0))
        .expect("signals read");
    (first, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_warm_up_on_recorded_data_lets_signals_come_from_the_first_minutes() {
    let warmup = repository("../shared/data/bitflyer/bitflyer.execution.20180121.BTC_JPY.csv.gz");
    if !warmup.exists() {
        eprintln!("skipped: {} is absent", warmup.display());
        return;
    }
    let scratch = tempfile::tempdir().expect("a temporary directory");
    // An unreadable warm-up file stops the start with its name, and a later start with a
    // good one is not held to it.
    let corrupt = scratch.path().join("corrupt.gz");
    std::fs::write(&corrupt, b"not gzip").expect("the file writes");
    let output = binary()
        .args(["run", "-c"])
        .arg(repository("configs/bitflyer-auction.yaml"))
        .args(["--mode", "dry-run", "--data-dir"])
        .arg(scratch.path().join("warm"))
        .arg("--replay")
        .arg(&warmup)
        .arg("--warmup")
        .arg(&corrupt)
        .output()
        .expect("run runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("corrupt.gz"), "{stderr}");
    let (cold, _) = first_signal(&scratch.path().join("cold"), None);
    let (warm, stderr) = first_signal(&scratch.path().join("warm"), Some(&warmup));
    assert!(
        stderr.contains("warm-up: 142554 events of 1 file(s)"),
        "{stderr}"
    );
    // The file begins at 2018-01-21T15:00Z (midnight JST); cold, SPEC 3.1's 240-minute
    // warm-up passes first.
    const FIRST_EVENT: i64 = 1_516_546_800_000_000_000;
    const MINUTE: i64 = 60_000_000_000;
    assert!(
        cold >= FIRST_EVENT + 240 * MINUTE,
        "cold first signal {cold}"
    );
    assert!(
        warm < FIRST_EVENT + 240 * MINUTE,
        "warm first signal {warm} (cold {cold})"
    );
}
