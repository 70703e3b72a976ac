//! The live session behind `serve --session D` (SPEC 8: "updates live while the engine
//! runs"): its state as JSON, the same state pushed over a WebSocket whenever it changes, and
//! the trading control. The state is the live crate's [`read_live_view`] (what the session
//! publishes each second joined with its execution.db and control row); the control writes
//! through [`operator_set`], the function `auction-trader control` calls. Nothing here
//! computes a figure of its own.

use std::path::PathBuf;
use std::time::Duration;

use auction_trader_live::{
    Clock, ControlState, LiveView, SystemClock, operator_set, read_live_view,
};
use axum::extract::ws::{Message, WebSocket};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// How often the WebSocket looks for a new state (the session publishes once a second).
pub const PUSH_POLL: Duration = Duration::from_millis(250);

/// `GET /api/live` and every WebSocket message.
#[derive(Debug, Clone, Serialize)]
pub struct LiveAnswer {
    /// Whether `serve` was given a session directory.
    pub configured: bool,
    /// The session directory's name (not its path: the page shows no filesystem paths).
    pub session: Option<String>,
    #[serde(flatten)]
    pub view: Option<LiveView>,
}

/// `POST /api/live/control`: `{"trading_enabled": true, "confirm": true}`. Turning trading on
/// needs `confirm` (the page asks first); turning it off never does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    pub trading_enabled: bool,
    #[serde(default)]
    pub confirm: bool,
}

/// The wall clock (staleness of the state, the control row's time): the live crate's.
fn wall_ns() -> i64 {
    SystemClock.now().0
}

/// The view of `session` now.
pub fn live_answer(session: Option<&PathBuf>) -> Result<LiveAnswer, ApiError> {
    let Some(dir) = session else {
        return Ok(LiveAnswer {
            configured: false,
            session: None,
            view: None,
        });
    };
    let view = read_live_view(dir, wall_ns()).map_err(ApiError::internal)?;
    Ok(LiveAnswer {
        configured: true,
        session: dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned()),
        view: Some(view),
    })
}

/// Parses and applies a control request.
pub fn apply_control(session: Option<&PathBuf>, body: &[u8]) -> Result<ControlState, ApiError> {
    let Some(dir) = session else {
        return Err(ApiError::NotFound(
            "no live session: serve was started without --session".to_owned(),
        ));
    };
    let request: ControlRequest = serde_json::from_slice(body).map_err(|error| {
        ApiError::BadRequest(format!(
            "expected {{\"trading_enabled\": true|false, \"confirm\": true}}: {error}"
        ))
    })?;
    if request.trading_enabled && !request.confirm {
        return Err(ApiError::BadRequest(
            "enabling trading needs \"confirm\": true".to_owned(),
        ));
    }
    operator_set(dir, request.trading_enabled, "dashboard", wall_ns()).map_err(ApiError::internal)
}

/// Sends the view now and again whenever it changes, until the client goes away.
pub async fn push_updates(mut socket: WebSocket, session: Option<PathBuf>) {
    let mut last_sent = String::new();
    let mut ticker = tokio::time::interval(PUSH_POLL);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            incoming = socket.recv() => match incoming {
                // Pings are answered by axum; anything else from the page is ignored.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
        }
        let session = session.clone();
        let text = tokio::task::spawn_blocking(move || {
            live_answer(session.as_ref())
                .and_then(|answer| serde_json::to_string(&answer).map_err(ApiError::internal))
        })
        .await
        .map_err(ApiError::internal)
        .and_then(|result| result)
        .unwrap_or_else(|error| {
            if error.status().is_server_error() {
                eprintln!("serve: {error}");
            }
            serde_json::json!({ "error": error.public_message() }).to_string()
        });
        // The age changes every read: compare the rest.
        let key = strip_age(&text);
        if key == last_sent {
            continue;
        }
        last_sent = key;
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
}

/// `text` without its `"age_ns":N,` member.
fn strip_age(text: &str) -> String {
    let Some(start) = text.find("\"age_ns\":") else {
        return text.to_owned();
    };
    let end = text[start..]
        .find([',', '}'])
        .map_or(text.len(), |offset| start + offset);
    let end = if text[end..].starts_with(',') {
        end + 1
    } else {
        end
    };
    format!("{}{}", &text[..start], &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_is_not_a_change() {
        assert_eq!(
            strip_age(r#"{"running":true,"age_ns":123,"x":1}"#),
            r#"{"running":true,"x":1}"#
        );
        assert_eq!(
            strip_age(r#"{"running":true,"age_ns":124,"x":1}"#),
            strip_age(r#"{"running":true,"age_ns":9,"x":1}"#)
        );
        assert_eq!(strip_age(r#"{"a":1}"#), r#"{"a":1}"#);
    }

    #[test]
    fn control_requests_are_checked_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let session = Some(dir.path().to_path_buf());
        for bad in [
            &b"not json"[..],
            br#"{"trading_enabled": "yes"}"#,
            br#"{"trading_enabled": true}"#,
            br#"{"trading_enabled": true, "confirm": true, "extra": 1}"#,
        ] {
            let error = apply_control(session.as_ref(), bad).unwrap_err();
            assert!(matches!(error, ApiError::BadRequest(_)), "{error}");
        }
        assert!(!dir.path().join("control.db").exists());
        let state = apply_control(
            session.as_ref(),
            br#"{"trading_enabled": true, "confirm": true}"#,
        )
        .unwrap();
        assert!(state.enabled);
        assert_eq!(state.reason, "operator: dashboard enable");
        let state = apply_control(session.as_ref(), br#"{"trading_enabled": false}"#).unwrap();
        assert!(!state.enabled);
        assert!(matches!(
            apply_control(None, br#"{"trading_enabled": false}"#),
            Err(ApiError::NotFound(_))
        ));
    }
}
