//! `control enable|disable|status --data-dir D`: trading control of a session (SPEC 7: the
//! operator enables trading explicitly). Writes or reads the control row the running session
//! polls every second.

use std::path::PathBuf;
use std::process::ExitCode;

use auction_trader_live::{SystemClock, operator_set, read_control};
use auction_trader_venues::Clock;
use clap::{Args, ValueEnum};

use crate::output::outln;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ControlAction {
    /// Start trading (leaves observe mode; also acknowledges a halt).
    Enable,
    /// Stop opening positions (exits still run).
    Disable,
    /// Print the control row.
    Status,
}

#[derive(Debug, Args)]
pub struct ControlArgs {
    /// enable (start trading), disable (stop opening positions) or status.
    pub action: ControlAction,
    /// The session's data directory.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
}

pub fn run(args: &ControlArgs) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now().0;
    let state = match args.action {
        ControlAction::Enable => operator_set(&args.data_dir, true, "control", now)?,
        ControlAction::Disable => operator_set(&args.data_dir, false, "control", now)?,
        ControlAction::Status => match read_control(&args.data_dir)? {
            Some(state) => state,
            None => {
                // A status query creates nothing.
                outln!(
                    "trading disabled (version 0, no control row in {}: a live session there \
                     starts in observe mode)",
                    args.data_dir.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    outln!(
        "trading {} (version {}, {})",
        if state.enabled { "enabled" } else { "disabled" },
        state.version,
        state.reason
    );
    Ok(ExitCode::SUCCESS)
}
