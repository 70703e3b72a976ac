//! `auction-trader`: the one command line of the platform. Thin glue over the library crates:
//! each subcommand lives in its own file under `commands/` and returns `anyhow::Result`.

mod commands;
mod progress;
mod time_arg;

use std::process::ExitCode;

use clap::Parser;

use crate::commands::Command;

/// Research, backtest and trade crypto perpetual futures from tick-level data.
#[derive(Debug, Parser)]
#[command(name = "auction-trader", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
