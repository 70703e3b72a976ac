//! `control enable|disable|status --data-dir D`: trading control of a session (SPEC 7: the
//! operator enables trading explicitly). Writes or reads the control row the running session
//! polls every second.

use std::path::PathBuf;
use std::process::ExitCode;

use auction_trader_live::control::CONTROL_DB;
use auction_trader_live::{Control, SystemClock};
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
    if args.action == ControlAction::Status && !args.data_dir.join(CONTROL_DB).exists() {
        // A status query creates nothing.
        outln!(
            "trading disabled (version 0, no control row in {}: a live session there starts in \
             observe mode)",
            args.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let control = Control::open(&args.data_dir)?;
    let now = SystemClock.now().0;
    let state = match args.action {
        ControlAction::Enable => control.set(true, "operator: control enable", now)?,
        ControlAction::Disable => control.set(false, "operator: control disable", now)?,
        ControlAction::Status => control.read()?,
    };
    outln!(
        "trading {} (version {}, {})",
        if state.enabled { "enabled" } else { "disabled" },
        state.version,
        state.reason
    );
    Ok(ExitCode::SUCCESS)
}
