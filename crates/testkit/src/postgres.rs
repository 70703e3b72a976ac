//! A throwaway PostgreSQL server for tests: [`LocalPostgres::start`] runs
//! `scripts/postgres-local.sh` (initdb on a fresh directory under the system temp dir, a free
//! port, trust auth on 127.0.0.1) and the server is destroyed when the value drops. One
//! implementation of "start a disposable server": the benchmarks use the same script.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository's `scripts/postgres-local.sh`.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres-local.sh")
}

/// A running throwaway server; stopped and deleted on drop.
#[derive(Debug)]
pub struct LocalPostgres {
    dir: PathBuf,
    url: String,
}

impl LocalPostgres {
    /// Starts a new server, or explains why it cannot (PostgreSQL not installed: run
    /// `scripts/install-postgres.sh`).
    pub fn start() -> Result<Self, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        // Directly under the temp dir: as root the cluster belongs to the `postgres` user,
        // who must be able to reach it (a private parent folder would block that).
        let dir = std::env::temp_dir().join(format!(
            "auction-trader-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let output = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(&dir)
            .output()
            .map_err(|error| format!("running {}: {error}", script().display()))?;
        if !output.status.success() {
            let _ = Command::new("bash")
                .arg(script())
                .arg("destroy")
                .arg(&dir)
                .output();
            return Err(format!(
                "starting PostgreSQL failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Ok(Self { dir, url })
    }

    /// `postgres://trader@127.0.0.1:PORT/ticks`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The same server, another database (created on first use).
    pub fn database_url(&self, name: &str) -> Result<String, String> {
        let port = self
            .url
            .rsplit_once(':')
            .and_then(|(_, tail)| tail.split_once('/'))
            .map(|(port, _)| port.to_owned())
            .ok_or_else(|| format!("no port in {}", self.url))?;
        let output = Command::new("/usr/lib/postgresql/15/bin/createdb")
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "trader", name])
            .output()
            .map_err(|error| format!("createdb: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "createdb {name}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(format!("postgres://trader@127.0.0.1:{port}/{name}"))
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("destroy")
            .arg(&self.dir)
            .output();
    }
}
