//! `validate`: run the importers into the validator (SPEC 1.3: a report, never silent repair).

use std::process::ExitCode;

use auction_trader_data::validate::{ValidationSettings, Validator};
use auction_trader_types::NANOS_PER_MINUTE;
use clap::Args;

use super::inputs::InputArgs;
use crate::output::{out, outln};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Report every gap longer than this many minutes (SPEC 1.3 default: 10).
    #[arg(long, default_value_t = 10.0)]
    pub gap_minutes: f64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when the report lists any issue.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let options = args.input.options()?;
    let jobs = args.input.jobs()?;
    let settings = ValidationSettings::with_gap_threshold_nanos(
        (args.gap_minutes * NANOS_PER_MINUTE as f64) as i64,
    );
    let mut validator = Validator::new(settings);
    for job in &jobs {
        job.import_into(&options, &mut validator)?;
    }
    let report = validator.finish();
    if args.json {
        outln!("{}", report.to_json());
    } else {
        out!("{report}");
    }
    Ok(if args.strict && !report.is_clean() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
