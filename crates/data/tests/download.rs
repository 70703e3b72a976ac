//! The downloader against a local HTTP server (`tiny_http` on 127.0.0.1) that serves a temp
//! directory laid out like the public archives. Each server answers a bounded number of
//! requests, logs them, and stops.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns: a panic is a failed test.

use std::cell::RefCell;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use auction_trader_data::DataError;
use auction_trader_data::download::{
    Dataset, DayOutcome, DownloadProgress, DownloadReport, DownloadRequest, DownloadSettings,
    Downloader, PinnedFile, PinnedOutcome, fetch_pinned,
};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

const TRADES_0807: &[u8] = b"PK-fake-zip-2024-08-07 id,price,qty\n1,61800.2,0.001\n";
const TRADES_0808: &[u8] = b"PK-fake-zip-2024-08-08 id,price,qty\n2,61801.0,0.002\n";

struct ArchiveServer {
    base_url: String,
    handle: JoinHandle<Vec<String>>,
}

impl ArchiveServer {
    /// Serves `root` for at most `max_requests` requests (the first `failures` of them get
    /// HTTP 503), then stops; also stops after 5 s without a request.
    fn start(root: &Path, max_requests: usize, failures: usize) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let root = root.to_path_buf();
        let handle = thread::spawn(move || {
            let mut log = Vec::new();
            for index in 0..max_requests {
                let Ok(Some(request)) = server.recv_timeout(Duration::from_secs(5)) else {
                    break;
                };
                let path = request.url().to_owned();
                log.push(format!("{} {path}", request.method()));
                let file = root.join(path.trim_start_matches('/'));
                let response = if index < failures {
                    tiny_http::Response::from_data(b"busy".to_vec()).with_status_code(503)
                } else if !path.contains("..") && file.is_file() {
                    tiny_http::Response::from_data(fs::read(&file).expect("read served file"))
                } else {
                    tiny_http::Response::from_data(b"<Error>NoSuchKey</Error>".to_vec())
                        .with_status_code(404)
                };
                request.respond(response).expect("respond");
            }
            log
        });
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            handle,
        }
    }

    fn requests(self) -> Vec<String> {
        self.handle.join().expect("server thread")
    }
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn put(root: &Path, relative: &str, bytes: &[u8]) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn settings(base_url: &str) -> DownloadSettings {
    DownloadSettings {
        base_url: Some(base_url.to_owned()),
        max_attempts: 3,
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(5),
        response_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        // Tests talk to 127.0.0.1 only, never through a proxy from the environment.
        use_environment_proxy: false,
    }
}

const UM_TRADES: &str = "data/futures/um/daily/trades/BTCUSDT";

/// Binance layout: 08-07 with its .CHECKSUM, 08-08 without one, 08-09 absent.
fn binance_archive() -> tempfile::TempDir {
    let archive = tempfile::tempdir().unwrap();
    let root = archive.path();
    put(
        root,
        &format!("{UM_TRADES}/BTCUSDT-trades-2024-08-07.zip"),
        TRADES_0807,
    );
    put(
        root,
        &format!("{UM_TRADES}/BTCUSDT-trades-2024-08-07.zip.CHECKSUM"),
        format!(
            "{}  BTCUSDT-trades-2024-08-07.zip\n",
            sha256_hex(TRADES_0807)
        )
        .as_bytes(),
    );
    put(
        root,
        &format!("{UM_TRADES}/BTCUSDT-trades-2024-08-08.zip"),
        TRADES_0808,
    );
    archive
}

fn binance_request(target: &Path, first: &str, last: &str) -> DownloadRequest {
    DownloadRequest {
        dataset: Dataset::parse("binance-usdm", "trades").unwrap(),
        symbol: "BTCUSDT".to_owned(),
        first_day: day(first),
        last_day: day(last),
        target_dir: target.to_path_buf(),
    }
}

fn run(settings: DownloadSettings, request: &DownloadRequest) -> (DownloadReport, Vec<String>) {
    let events = RefCell::new(Vec::new());
    let report = Downloader::new(settings)
        .with_sleep(|_| panic!("no retry expected"))
        .with_progress(|event| {
            let line = match event {
                DownloadProgress::DayStarted { date, index, days } => {
                    format!("start {date} {index}/{days}")
                }
                DownloadProgress::Bytes {
                    received, total, ..
                } => {
                    format!("bytes {received}/{total:?}")
                }
                DownloadProgress::Retrying { attempt, .. } => format!("retry {attempt}"),
                DownloadProgress::DayFinished { result } => format!("done {}", result.date),
            };
            events.borrow_mut().push(line);
        })
        .download(request)
        .expect("download runs");
    (report, events.into_inner())
}

fn leftover_part_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "part")
            {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn downloads_days_verifies_checksums_and_flags_the_missing_day() {
    let archive = binance_archive();
    let target = tempfile::tempdir().unwrap();
    // Per day: GET .CHECKSUM, then GET the file = 6 requests.
    let server = ArchiveServer::start(archive.path(), 6, 0);
    let request = binance_request(target.path(), "2024-08-07", "2024-08-09");
    let (report, events) = run(settings(&server.base_url), &request);
    let requests = server.requests();
    assert_eq!(
        requests,
        [
            format!("GET /{UM_TRADES}/BTCUSDT-trades-2024-08-07.zip.CHECKSUM"),
            format!("GET /{UM_TRADES}/BTCUSDT-trades-2024-08-07.zip"),
            format!("GET /{UM_TRADES}/BTCUSDT-trades-2024-08-08.zip.CHECKSUM"),
            format!("GET /{UM_TRADES}/BTCUSDT-trades-2024-08-08.zip"),
            format!("GET /{UM_TRADES}/BTCUSDT-trades-2024-08-09.zip.CHECKSUM"),
            format!("GET /{UM_TRADES}/BTCUSDT-trades-2024-08-09.zip"),
        ]
    );

    let first = target
        .path()
        .join(UM_TRADES)
        .join("BTCUSDT-trades-2024-08-07.zip");
    let second = target
        .path()
        .join(UM_TRADES)
        .join("BTCUSDT-trades-2024-08-08.zip");
    assert_eq!(fs::read(&first).unwrap(), TRADES_0807);
    assert_eq!(fs::read(&second).unwrap(), TRADES_0808);
    assert!(
        !target
            .path()
            .join(UM_TRADES)
            .join("BTCUSDT-trades-2024-08-09.zip")
            .exists()
    );
    assert!(leftover_part_files(target.path()).is_empty());

    assert_eq!(
        report.days[0].outcome,
        DayOutcome::Downloaded {
            path: first,
            bytes: TRADES_0807.len() as u64,
            verified: true
        }
    );
    assert_eq!(
        report.days[1].outcome,
        DayOutcome::Downloaded {
            path: second,
            bytes: TRADES_0808.len() as u64,
            verified: false
        }
    );
    assert_eq!(report.days[2].outcome, DayOutcome::Missing);
    // Coverage: 1 missing of 3 requested = 33% > 1%: flagged.
    let coverage = &report.coverage;
    assert_eq!(
        (
            coverage.requested_days,
            coverage.present_days,
            coverage.missing_days
        ),
        (3, 2, 1)
    );
    assert!(coverage.flagged);
    assert!((coverage.missing_share - 1.0 / 3.0).abs() < 1e-12);
    let text = report.to_string();
    assert!(text.contains("2024-08-09  missing (404)"), "{text}");
    assert!(text.contains("FLAGGED"), "{text}");

    assert_eq!(
        events.first().map(String::as_str),
        Some("start 2024-08-07 0/3")
    );
    let total = TRADES_0807.len();
    assert!(
        events.contains(&format!("bytes {total}/Some({total})")),
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|line| line.starts_with("done"))
            .count(),
        3
    );
}

#[test]
fn a_second_run_skips_files_already_present() {
    let archive = binance_archive();
    let target = tempfile::tempdir().unwrap();
    let request = binance_request(target.path(), "2024-08-07", "2024-08-09");
    let server = ArchiveServer::start(archive.path(), 6, 0);
    run(settings(&server.base_url), &request);
    server.requests();

    // 08-07: the .CHECKSUM matches the local file (1 request); 08-08: no .CHECKSUM, so a
    // HEAD compares sizes (2); 08-09: still missing (2).
    let server = ArchiveServer::start(archive.path(), 5, 0);
    let (report, _) = run(settings(&server.base_url), &request);
    let requests = server.requests();
    assert_eq!(requests.len(), 5, "{requests:?}");
    assert_eq!(
        requests[2],
        format!("HEAD /{UM_TRADES}/BTCUSDT-trades-2024-08-08.zip")
    );
    assert!(matches!(
        report.days[0].outcome,
        DayOutcome::AlreadyPresent { verified: true, .. }
    ));
    assert!(matches!(
        report.days[1].outcome,
        DayOutcome::AlreadyPresent {
            verified: false,
            ..
        }
    ));
    assert_eq!(report.days[2].outcome, DayOutcome::Missing);
}

#[test]
fn a_corrupted_file_fails_its_checksum_and_leaves_nothing_behind() {
    let archive = binance_archive();
    // The archive's file no longer matches its published checksum.
    put(
        archive.path(),
        &format!("{UM_TRADES}/BTCUSDT-trades-2024-08-07.zip"),
        b"PK-corrupted-bytes",
    );
    let target = tempfile::tempdir().unwrap();
    // A stale local copy must not be reported as present either.
    put(
        target.path(),
        &format!("{UM_TRADES}/BTCUSDT-trades-2024-08-07.zip"),
        b"stale",
    );
    let server = ArchiveServer::start(archive.path(), 2, 0);
    let request = binance_request(target.path(), "2024-08-07", "2024-08-07");
    let (report, _) = run(settings(&server.base_url), &request);
    assert_eq!(server.requests().len(), 2);
    match &report.days[0].outcome {
        DayOutcome::Failed { message, .. } => {
            assert!(message.contains("sha256 mismatch"), "{message}");
            assert!(message.contains(&sha256_hex(TRADES_0807)), "{message}");
            assert!(
                message.contains(&sha256_hex(b"PK-corrupted-bytes")),
                "{message}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // The corrupted download was never renamed into place; the stale file is untouched.
    let local = target
        .path()
        .join(UM_TRADES)
        .join("BTCUSDT-trades-2024-08-07.zip");
    assert_eq!(fs::read(local).unwrap(), b"stale");
    assert!(leftover_part_files(target.path()).is_empty());
    assert!(report.coverage.flagged);
    assert_eq!(report.coverage.failed_days, 1);
}

#[test]
fn bybit_dumps_download_with_full_coverage() {
    let archive = tempfile::tempdir().unwrap();
    let gz_0807 = b"\x1f\x8b fake gzip 07";
    let gz_0808 = b"\x1f\x8b fake gzip 08";
    put(
        archive.path(),
        "trading/BTCUSDT/BTCUSDT2024-08-07.csv.gz",
        gz_0807,
    );
    put(
        archive.path(),
        "trading/BTCUSDT/BTCUSDT2024-08-08.csv.gz",
        gz_0808,
    );
    let target = tempfile::tempdir().unwrap();
    let server = ArchiveServer::start(archive.path(), 2, 0);
    let request = DownloadRequest {
        dataset: Dataset::parse("bybit-linear", "trades").unwrap(),
        symbol: "btcusdt".to_owned(),
        first_day: day("2024-08-07"),
        last_day: day("2024-08-08"),
        target_dir: target.path().to_path_buf(),
    };
    let (report, _) = run(settings(&server.base_url), &request);
    assert_eq!(
        server.requests(),
        [
            "GET /trading/BTCUSDT/BTCUSDT2024-08-07.csv.gz",
            "GET /trading/BTCUSDT/BTCUSDT2024-08-08.csv.gz",
        ]
    );
    let local = target
        .path()
        .join("trading/BTCUSDT/BTCUSDT2024-08-08.csv.gz");
    assert_eq!(fs::read(local).unwrap(), gz_0808);
    assert_eq!(report.coverage.present_days, 2);
    assert!(!report.coverage.flagged);
}

#[test]
fn server_errors_are_retried_with_backoff_then_succeed() {
    let archive = binance_archive();
    let target = tempfile::tempdir().unwrap();
    // The first two requests get 503; the checksum is fetched on the third attempt.
    let server = ArchiveServer::start(archive.path(), 4, 2);
    let request = binance_request(target.path(), "2024-08-07", "2024-08-07");
    let sleeps = RefCell::new(Vec::new());
    let retries = RefCell::new(Vec::new());
    let report = Downloader::new(settings(&server.base_url))
        .with_sleep(|pause| sleeps.borrow_mut().push(pause))
        .with_progress(|event| {
            if let DownloadProgress::Retrying {
                attempt, reason, ..
            } = event
            {
                retries.borrow_mut().push(format!("{attempt}: {reason}"));
            }
        })
        .download(&request)
        .unwrap();
    assert_eq!(server.requests().len(), 4);
    // Backoff 1 s after attempt 1, 2 s after attempt 2.
    assert_eq!(
        *sleeps.borrow(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    assert_eq!(
        *retries.borrow(),
        ["1: HTTP status 503", "2: HTTP status 503"]
    );
    assert!(matches!(
        report.days[0].outcome,
        DayOutcome::Downloaded { verified: true, .. }
    ));
}

#[test]
fn persistent_server_errors_fail_the_day_after_the_attempt_limit() {
    let archive = binance_archive();
    let target = tempfile::tempdir().unwrap();
    let server = ArchiveServer::start(archive.path(), 3, 3);
    let request = binance_request(target.path(), "2024-08-07", "2024-08-07");
    let sleeps = RefCell::new(0);
    let report = Downloader::new(settings(&server.base_url))
        .with_sleep(|_| *sleeps.borrow_mut() += 1)
        .download(&request)
        .unwrap();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(*sleeps.borrow(), 2);
    match &report.days[0].outcome {
        DayOutcome::Failed { message, attempts } => {
            assert_eq!(*attempts, 3);
            assert!(message.contains("503"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn an_unreachable_host_gives_a_clear_message() {
    // A loopback port with no server: bind, read the port, close.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base_url = format!("http://127.0.0.1:{port}");
    let target = tempfile::tempdir().unwrap();
    let request = binance_request(target.path(), "2024-08-07", "2024-08-09");
    let sleeps = RefCell::new(Vec::new());
    let error = Downloader::new(settings(&base_url))
        .with_sleep(|pause| sleeps.borrow_mut().push(pause))
        .download(&request)
        .expect_err("nothing listens there");
    match &error {
        DataError::Download {
            message, terminal, ..
        } => {
            assert!(terminal);
            assert!(
                message.contains(&format!("could not reach the archive host {base_url}")),
                "{message}"
            );
            assert!(
                message.contains("import the local files instead"),
                "{message}"
            );
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    // Three attempts on the first request, then the whole run stops.
    assert_eq!(
        *sleeps.borrow(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    assert!(leftover_part_files(target.path()).is_empty());
    println!("{error}");
}

#[test]
fn a_pinned_recording_is_fetched_verified_and_kept() {
    let bytes = b"1723161240000000000 {\"stream\":\"btcusdt@trade\"}\n";
    let root = tempfile::tempdir().unwrap();
    put(root.path(), "repo/examples/capture.gz", bytes);
    let hash = sha256_hex(bytes);
    let file = PinnedFile {
        host: "https://unused.example",
        path: "/repo/examples/capture.gz",
        sha256: Box::leak(hash.into_boxed_str()),
        local_name: "usdm_capture.gz",
    };
    let target = tempfile::tempdir().unwrap();
    // One 503, then the file.
    let server = ArchiveServer::start(root.path(), 2, 1);
    let settings = settings(&server.base_url);
    let pauses = RefCell::new(Vec::new());
    let outcome = fetch_pinned(&file, target.path(), &settings, &mut |pause| {
        pauses.borrow_mut().push(pause);
    })
    .unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(pauses.into_inner(), vec![Duration::from_secs(1)]);
    let path = target.path().join("usdm_capture.gz");
    assert_eq!(
        outcome,
        PinnedOutcome::Downloaded {
            path: path.clone(),
            bytes: bytes.len() as u64
        }
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
    // Present with the right hash: no request at all (no server running now).
    let again = fetch_pinned(&file, target.path(), &settings, &mut |_| {}).unwrap();
    assert_eq!(again, PinnedOutcome::AlreadyPresent { path });
}

#[test]
fn a_pinned_recording_with_the_wrong_hash_is_refused() {
    let root = tempfile::tempdir().unwrap();
    put(root.path(), "capture.gz", b"not the recording");
    let file = PinnedFile {
        host: "https://unused.example",
        path: "/capture.gz",
        sha256: "00",
        local_name: "capture.gz",
    };
    let target = tempfile::tempdir().unwrap();
    let server = ArchiveServer::start(root.path(), 1, 0);
    let error = fetch_pinned(
        &file,
        target.path(),
        &settings(&server.base_url),
        &mut |_| {},
    )
    .unwrap_err();
    server.requests();
    match error {
        DataError::Download {
            message, terminal, ..
        } => {
            assert!(message.contains("sha256 mismatch"), "{message}");
            assert!(terminal);
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    assert!(
        fs::read_dir(target.path()).unwrap().next().is_none(),
        "nothing left behind"
    );
}
