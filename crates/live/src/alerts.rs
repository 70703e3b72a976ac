//! Alerts (SPEC 7: one generic webhook, JSON POST, all alerts equal severity). The URL comes
//! only from the environment (`AUCTION_TRADER_ALERT_WEBHOOK`); posting happens on a worker
//! thread so a slow receiver never stalls the trading loop. Each kind is sent at most once
//! per minute of event time; the rest are counted (metrics) and stored in execution.db.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use auction_trader_types::UnixNanos;
use serde::Serialize;

/// The environment variable with the webhook URL.
pub const WEBHOOK_ENV: &str = "AUCTION_TRADER_ALERT_WEBHOOK";

const NANOS_PER_MINUTE: i64 = 60_000_000_000;

/// What went wrong (docs/live.md explains each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The local book disagreed with the venue's best bid/ask.
    BookMismatch,
    /// Feed latency (receive − exchange time) above the threshold.
    FeedLatency,
    /// The depth stream broke its sequence or the connection dropped.
    FeedGap,
    /// The system's position differs from the venue's: trading halted.
    PositionMismatch,
    /// A restart's replay of the journal did not reproduce execution.db.
    ReplayDivergence,
    /// Shadow mode: paper and the backtest replay disagree.
    ShadowDivergence,
    /// A SPEC 7 kill switch tripped.
    KillSwitch,
    /// Trading was enabled or disabled.
    Control,
    /// A storage or venue error the session survived.
    Error,
}

impl AlertKind {
    pub const ALL: [Self; 9] = [
        Self::BookMismatch,
        Self::FeedLatency,
        Self::FeedGap,
        Self::PositionMismatch,
        Self::ReplayDivergence,
        Self::ShadowDivergence,
        Self::KillSwitch,
        Self::Control,
        Self::Error,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BookMismatch => "book_mismatch",
            Self::FeedLatency => "feed_latency",
            Self::FeedGap => "feed_gap",
            Self::PositionMismatch => "position_mismatch",
            Self::ReplayDivergence => "replay_divergence",
            Self::ShadowDivergence => "shadow_divergence",
            Self::KillSwitch => "kill_switch",
            Self::Control => "control",
            Self::Error => "error",
        }
    }
}

/// One alert as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// Event time (ns since the epoch).
    pub ts: UnixNanos,
    pub message: String,
    pub symbol: String,
    pub mode: String,
}

/// The alert channel of a session.
#[derive(Debug)]
pub struct Alerts {
    sender: Option<Sender<Alert>>,
    worker: Option<JoinHandle<()>>,
    last_sent: BTreeMap<AlertKind, UnixNanos>,
    raised: BTreeMap<AlertKind, u64>,
}

impl Alerts {
    /// Posts to `webhook` when given (normally [`webhook_from_env`]).
    pub fn new(webhook: Option<String>) -> Self {
        let (sender, worker) = match webhook {
            Some(url) => {
                let (sender, receiver) = channel();
                let worker = std::thread::Builder::new()
                    .name("alert-webhook".to_owned())
                    .spawn(move || post_alerts(&url, &receiver))
                    .ok();
                (Some(sender), worker)
            }
            None => (None, None),
        };
        Self {
            sender,
            worker,
            last_sent: BTreeMap::new(),
            raised: BTreeMap::new(),
        }
    }

    /// Counts the alert; returns true when it should be delivered (and posts it), false
    /// when the same kind was delivered less than a minute of event time ago (data-quality
    /// kinds only: halts, kill switches and control changes are always delivered).
    pub fn raise(&mut self, alert: &Alert) -> bool {
        *self.raised.entry(alert.kind).or_default() += 1;
        let limited = matches!(
            alert.kind,
            AlertKind::BookMismatch
                | AlertKind::FeedLatency
                | AlertKind::FeedGap
                | AlertKind::ShadowDivergence
                | AlertKind::Error
        );
        let due = !limited
            || self.last_sent.get(&alert.kind).is_none_or(|last| {
                alert.ts.0.saturating_sub(last.0) >= NANOS_PER_MINUTE || alert.ts < *last
            });
        if !due {
            return false;
        }
        self.last_sent.insert(alert.kind, alert.ts);
        if let Some(sender) = &self.sender {
            // A worker that died (it never panics by design) only loses the POST.
            let _ = sender.send(alert.clone());
        }
        true
    }

    /// Alerts raised per kind (delivered or not).
    pub fn raised(&self, kind: AlertKind) -> u64 {
        self.raised.get(&kind).copied().unwrap_or(0)
    }

    /// Waits for queued posts to finish.
    pub fn close(&mut self) {
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Alerts {
    fn drop(&mut self) {
        self.close();
    }
}

/// The webhook URL from the environment (unset or empty: none).
pub fn webhook_from_env() -> Option<String> {
    std::env::var(WEBHOOK_ENV)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn post_alerts(url: &str, receiver: &Receiver<Alert>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .build()
        .into();
    for alert in receiver {
        // Delivery failures are not retried (the alert is in execution.db and on stderr);
        // the URL itself is a secret and is never printed.
        let Ok(body) = serde_json::to_string(&alert) else {
            continue;
        };
        let sent = agent
            .post(url)
            .header("content-type", "application/json")
            .send(body.as_str());
        if let Err(error) = sent {
            // Only the kind of failure: an error text may quote the URL, a secret.
            let reason = match error {
                ureq::Error::StatusCode(code) => format!("HTTP status {code}"),
                ureq::Error::Timeout(_) => "timeout".to_owned(),
                _ => "connection failed".to_owned(),
            };
            eprintln!(
                "alert webhook: POST of a {} alert failed: {reason}",
                alert.kind.as_str()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: AlertKind, seconds: i64) -> Alert {
        Alert {
            kind,
            ts: UnixNanos(seconds * 1_000_000_000),
            message: "m".to_owned(),
            symbol: "BTCUSDT".to_owned(),
            mode: "paper".to_owned(),
        }
    }

    #[test]
    fn one_alert_per_kind_and_minute_is_delivered_all_are_counted() {
        let mut alerts = Alerts::new(None);
        assert!(alerts.raise(&alert(AlertKind::BookMismatch, 0)));
        assert!(!alerts.raise(&alert(AlertKind::BookMismatch, 59)));
        assert!(alerts.raise(&alert(AlertKind::FeedGap, 59)));
        assert!(alerts.raise(&alert(AlertKind::BookMismatch, 60)));
        assert_eq!(alerts.raised(AlertKind::BookMismatch), 3);
        assert_eq!(alerts.raised(AlertKind::KillSwitch), 0);
        // A halt is never held back.
        assert!(alerts.raise(&alert(AlertKind::PositionMismatch, 1)));
        assert!(alerts.raise(&alert(AlertKind::PositionMismatch, 2)));
    }

    #[test]
    fn the_webhook_receives_json() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", server.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut stream, _) = server.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0_u8; 4096];
            loop {
                let read = stream.read(&mut buffer).unwrap();
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|line| {
                            line.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|value| value.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let mut alerts = Alerts::new(Some(url));
        alerts.raise(&alert(AlertKind::PositionMismatch, 5));
        alerts.close();
        let request = handle.join().unwrap();
        assert!(request.starts_with("POST /hook"), "{request}");
        assert!(
            request.contains("\"kind\":\"position_mismatch\""),
            "{request}"
        );
        assert!(request.contains("\"symbol\":\"BTCUSDT\""), "{request}");
    }
}
