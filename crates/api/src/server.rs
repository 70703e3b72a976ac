//! Binding and running the server (SPEC 8: no authentication, so loopback by default; any
//! other address needs an explicit opt-in and is announced with a warning). Graceful shutdown
//! lives here: on Ctrl-C for the command line, on a handle's drop for tests.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::library::Library;
use crate::routes::router;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub library: Library,
    pub bind: SocketAddr,
    /// Allow a non-loopback address (the local network; there is no authentication).
    pub allow_remote: bool,
}

/// The warning to print for `bind`, or an error when it is not loopback and not allowed.
pub fn check_bind(bind: SocketAddr, allow_remote: bool) -> Result<Option<String>, ApiError> {
    if bind.ip().is_loopback() {
        return Ok(None);
    }
    if !allow_remote {
        return Err(ApiError::NonLoopback(bind));
    }
    Ok(Some(format!(
        "warning: serving on {bind}, not loopback: the dashboard has no authentication \
         (SPEC 8), anyone who can reach this address reads every run"
    )))
}

async fn listen(options: &ServeOptions) -> Result<TcpListener, ApiError> {
    check_bind(options.bind, options.allow_remote)?;
    TcpListener::bind(options.bind)
        .await
        .map_err(|source| ApiError::Bind {
            addr: options.bind,
            source,
        })
}

fn runtime() -> Result<tokio::runtime::Runtime, ApiError> {
    // Two workers: the machines this runs on are small and requests are few.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ApiError::internal)
}

/// Serves until Ctrl-C; `ready` is called with the bound address once it accepts requests.
pub fn serve_until_interrupted(
    options: &ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ApiError> {
    runtime()?.block_on(async {
        let listener = listen(options).await?;
        ready(listener.local_addr().map_err(ApiError::internal)?);
        axum::serve(listener, router(options.library.clone()))
            .with_graceful_shutdown(async {
                // An error installing the handler means no Ctrl-C will come: serve on.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            })
            .await
            .map_err(ApiError::internal)
    })
}

/// A server running on its own thread; dropping it shuts it down and waits for the thread.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// Binds `options.bind` (port 0 picks a free port) and serves on a new thread.
    pub fn start(options: ServeOptions) -> Result<Self, ApiError> {
        let runtime = runtime()?;
        let listener = runtime.block_on(listen(&options))?;
        let addr = listener.local_addr().map_err(ApiError::internal)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let served = runtime.block_on(async move {
                axum::serve(listener, router(options.library))
                    .with_graceful_shutdown(async {
                        stopped.await.ok();
                    })
                    .await
            });
            if let Err(error) = served {
                eprintln!("serve: {error}");
            }
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for RunningServer {
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
    use super::*;

    #[test]
    fn only_loopback_binds_without_the_flag() {
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        let loopback_v6: SocketAddr = "[::1]:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        let everywhere: SocketAddr = "0.0.0.0:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        let lan: SocketAddr = "192.168.1.5:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(check_bind(loopback, false), Ok(None)));
        assert!(matches!(check_bind(loopback_v6, false), Ok(None)));
        assert!(matches!(
            check_bind(everywhere, false),
            Err(ApiError::NonLoopback(_))
        ));
        assert!(matches!(
            check_bind(lan, false),
            Err(ApiError::NonLoopback(_))
        ));
        let warning = check_bind(lan, true).unwrap_or_else(|e| panic!("{e}"));
        assert!(warning.is_some_and(|text| text.contains("no authentication")));
    }
}
