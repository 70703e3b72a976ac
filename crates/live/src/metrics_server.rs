//! `/metrics` over HTTP on its own thread (a current-thread tokio runtime with axum). Binds
//! loopback only unless explicitly allowed (the metrics carry P&L and positions; there is no
//! authentication), as the dashboard's `serve --allow-remote` does.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::{LiveError, Metrics};

/// An error for a non-loopback address without `allow_remote`.
pub fn check_bind(bind: SocketAddr, allow_remote: bool) -> Result<(), LiveError> {
    if bind.ip().is_loopback() || allow_remote {
        return Ok(());
    }
    Err(LiveError::Server(format!(
        "refusing to serve metrics on {bind}: not a loopback address (pass \
         --allow-remote-metrics to expose positions and P&L to the network)"
    )))
}

/// The metrics server; dropping it stops it.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `bind` (port 0 picks one) and serves `GET /metrics`.
    pub fn start(
        bind: SocketAddr,
        allow_remote: bool,
        metrics: Metrics,
    ) -> Result<Self, LiveError> {
        check_bind(bind, allow_remote)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| LiveError::Server(error.to_string()))?;
        let listener = runtime
            .block_on(TcpListener::bind(bind))
            .map_err(|error| LiveError::Server(format!("binding {bind}: {error}")))?;
        let addr = listener
            .local_addr()
            .map_err(|error| LiveError::Server(error.to_string()))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = Router::new().route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        metrics.render(),
                    )
                }
            }),
        );
        let thread = std::thread::Builder::new()
            .name("metrics".to_owned())
            .spawn(move || {
                let served = runtime.block_on(async move {
                    axum::serve(listener, router)
                        .with_graceful_shutdown(async {
                            stopped.await.ok();
                        })
                        .await
                });
                if let Err(error) = served {
                    eprintln!("metrics server: {error}");
                }
            })
            .map_err(|error| LiveError::Server(error.to_string()))?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::metrics::MetricValues;

    #[test]
    fn metrics_are_served_on_loopback_and_other_binds_are_refused() {
        let everywhere: SocketAddr = "0.0.0.0:0".parse().unwrap();
        assert!(MetricsServer::start(everywhere, false, Metrics::new()).is_err());
        let metrics = Metrics::new();
        metrics.publish(&MetricValues {
            fills: 4,
            mode: "paper".to_owned(),
            symbol: "X".to_owned(),
            ..MetricValues::default()
        });
        let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), false, metrics).unwrap();
        let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("auction_trader_fills_total{mode=\"paper\",symbol=\"X\"} 4"));
    }
}
