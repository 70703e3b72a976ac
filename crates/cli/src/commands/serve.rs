//! `serve`: the dashboard (SPEC 8) over stored runs, grid results, the stored trades and a
//! live session (`--session`, else `--data-dir`), on 127.0.0.1 unless `--allow-remote` is given with another
//! address. Thin glue over the api crate: parse, print the address, serve until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use auction_trader_api::{Library, ServeOptions, check_bind, serve_until_interrupted};
use clap::Args;

use crate::output::{flush_stdout, outln, write_stdout};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder of run directories (the `run.output_dir` of the configs).
    #[arg(long, default_value = "runs")]
    pub runs: PathBuf,
    /// The data directory with the stored trades (volume profiles; default: each run's
    /// `data.dir`); also the live session's directory when `--session` is not given (a
    /// session run with `run --data-dir D` is watched by `serve --data-dir D`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// A grid results database (repeatable; those that exist are served).
    #[arg(long = "grid-db", default_value = "grid.db")]
    pub grid_dbs: Vec<PathBuf>,
    /// A live session's data directory (`run --data-dir`): its state, pushed to the page while
    /// it runs, and the trading control. Default: `--data-dir`.
    #[arg(long)]
    pub session: Option<PathBuf>,
    /// Address and port (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Allow a non-loopback --bind (the local network); the dashboard has no authentication.
    #[arg(long)]
    pub allow_remote: bool,
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    if let Some(warning) = check_bind(args.bind, args.allow_remote)? {
        eprintln!("{warning}");
    }
    let options = ServeOptions {
        library: Library {
            runs_dir: args.runs.clone(),
            data_dir: args.data_dir.clone(),
            grid_dbs: args.grid_dbs.clone(),
            session_dir: args.session.clone().or_else(|| args.data_dir.clone()),
        },
        bind: args.bind,
        allow_remote: args.allow_remote,
    };
    let mut announced = Ok(());
    serve_until_interrupted(&options, |addr| {
        announced = write_stdout(format_args!(
            "dashboard: http://{addr}/ (runs: {}; Ctrl-C stops)\n",
            args.runs.display()
        ))
        .and_then(|()| flush_stdout());
    })?;
    announced?;
    outln!("stopped");
    Ok(ExitCode::SUCCESS)
}
