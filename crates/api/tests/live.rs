//! The live session routes over loopback: a session directory with a published state (the
//! live crate's writer), read as JSON, pushed over the WebSocket when it changes, and the
//! trading control written through the same function as `auction-trader control`.

use std::path::PathBuf;
use std::time::Duration;

use auction_trader_api::{Library, RunningServer, ServeOptions};
use auction_trader_live::live_state::publish_state;
use auction_trader_live::{Clock, PublishedState, SystemClock, read_control};
use serde_json::Value;

fn now_ns() -> i64 {
    SystemClock.now().0
}

fn server(session_dir: Option<PathBuf>) -> RunningServer {
    RunningServer::start(ServeOptions {
        library: Library {
            runs_dir: PathBuf::from("/nonexistent-runs"),
            data_dir: None,
            grid_dbs: Vec::new(),
            session_dir,
        },
        bind: "127.0.0.1:0"
            .parse()
            .unwrap_or_else(|error| panic!("{error}")),
        allow_remote: false,
    })
    .unwrap_or_else(|error| panic!("{error}"))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn get(server: &RunningServer, path: &str) -> (u16, Value) {
    let mut response = agent()
        .get(&format!("http://{}{path}", server.addr()))
        .call()
        .unwrap_or_else(|error| panic!("{error}"));
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|error| panic!("{error}"));
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("{body}: {error}")),
    )
}

fn post(server: &RunningServer, path: &str, body: &str) -> (u16, Value) {
    let mut response = agent()
        .post(&format!("http://{}{path}", server.addr()))
        .header("content-type", "application/json")
        .send(body)
        .unwrap_or_else(|error| panic!("{error}"));
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|error| panic!("{error}"));
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("{body}: {error}")),
    )
}

fn state(events: u64) -> PublishedState {
    PublishedState {
        pid: 7,
        wall_ns: now_ns(),
        mode: "paper".to_owned(),
        symbol: "BTCUSDT".to_owned(),
        events,
        position: "0.002".to_owned(),
        realized_pnl: "-1.5".to_owned(),
        trading_enabled: true,
        ..PublishedState::default()
    }
}

#[test]
fn without_a_session_the_live_view_is_unconfigured_and_control_is_a_404() {
    let server = server(None);
    let (status, body) = get(&server, "/api/live");
    assert_eq!(status, 200);
    assert_eq!(body["configured"], false);
    let (status, body) = post(&server, "/api/live/control", r#"{"trading_enabled":false}"#);
    assert_eq!(status, 404);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("--session"))
    );
}

#[test]
fn the_state_is_served_pushed_when_it_changes_and_the_control_is_written() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let server = server(Some(dir.path().to_path_buf()));
    // No session yet: an empty view, nothing created.
    let (status, body) = get(&server, "/api/live");
    assert_eq!(status, 200);
    assert_eq!(
        (&body["configured"], &body["status"]),
        (&Value::Bool(true), &"none".into())
    );
    assert!(
        std::fs::read_dir(dir.path())
            .map(Iterator::count)
            .unwrap_or(0)
            == 0
    );

    // A plain GET of the WebSocket route, an unknown parameter: JSON 400s.
    let (status, body) = get(&server, "/api/live/ws");
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("WebSocket"))
    );
    let (status, _) = get(&server, "/api/live?x=1");
    assert_eq!(status, 400);

    publish_state(dir.path(), &state(10)).unwrap_or_else(|error| panic!("{error}"));
    let (_, body) = get(&server, "/api/live");
    assert_eq!(body["status"], "running");
    assert_eq!(body["state"]["events"], 10);
    assert_eq!(body["state"]["position"], "0.002");

    let (mut socket, _) = tungstenite::connect(format!("ws://{}/api/live/ws", server.addr()))
        .unwrap_or_else(|error| panic!("{error}"));
    let mut next = || -> Value {
        loop {
            match socket.read().unwrap_or_else(|error| panic!("{error}")) {
                tungstenite::Message::Text(text) => {
                    return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
                }
                _ => continue,
            }
        }
    };
    assert_eq!(next()["state"]["events"], 10);
    publish_state(dir.path(), &state(11)).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(next()["state"]["events"], 11, "a change is pushed");

    for bad in ["nope", r#"{"trading_enabled":true}"#, r#"{"enabled":true}"#] {
        let (status, body) = post(&server, "/api/live/control", bad);
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"].is_string());
    }
    let (status, body) = post(
        &server,
        "/api/live/control",
        r#"{"trading_enabled":true,"confirm":true}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(body["control"]["enabled"], true);
    let control = read_control(dir.path())
        .unwrap_or_else(|error| panic!("{error}"))
        .unwrap_or_else(|| panic!("no control row"));
    assert!(control.enabled);
    assert_eq!(control.reason, "operator: dashboard enable");
    // The control change reaches the socket too.
    assert_eq!(next()["control"]["enabled"], true);
    let (status, _) = post(&server, "/api/live/control", r#"{"trading_enabled":false}"#);
    assert_eq!(status, 200);
    assert_eq!(
        read_control(dir.path()).ok().flatten().map(|c| c.enabled),
        Some(false)
    );
}
