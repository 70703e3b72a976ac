//! `auction-trader`: the one command line of the platform. Thin glue over the library crates:
//! each subcommand lives in its own file under `commands/` and returns `anyhow::Result`.

mod commands;
mod output;
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
    match commands::run(cli.command).and_then(|code| output::flush_stdout().map(|()| code)) {
        Ok(code) => code,
        // The reader of stdout has gone (`| head`): nothing left to say to anyone.
        Err(error) if output::is_stdout_closed(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every visible flag and positional of every (sub)command, as `command --flag`.
    fn arguments_without_help(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for argument in command.get_arguments() {
            let builtin = matches!(argument.get_id().as_str(), "help" | "version");
            if !builtin && !argument.is_hide_set() && argument.get_help().is_none() {
                missing.push(format!("{path} {}", argument.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (no about)", sub.get_name()));
            }
            arguments_without_help(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }

    #[test]
    fn every_flag_and_command_has_help() {
        let command = Cli::command();
        command.clone().debug_assert();
        let mut missing = Vec::new();
        arguments_without_help(&command, "auction-trader", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
    }
}
