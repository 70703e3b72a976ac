//! `download`: venue public-archive files by venue, symbol and day range (SPEC 1.2), with a
//! progress bar, checksum verification, and a coverage report that flags > 1% missing time.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_data::download::{
    Dataset, DayOutcome, DownloadProgress, DownloadReport, DownloadRequest, DownloadSettings,
    Downloader,
};
use chrono::NaiveDate;
use clap::Args;

use crate::output::out;
use crate::progress;
use crate::time_arg::parse_time;

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// binance-usdm, binance-coinm, binance-spot, bybit-linear, bybit-inverse or bybit-spot.
    #[arg(long)]
    pub venue: String,
    /// Venue symbol, e.g. BTCUSDT.
    #[arg(long)]
    pub symbol: String,
    /// Binance: trades, aggTrades, bookTicker, bookDepth, metrics, klines, `klines-<interval>`;
    /// Bybit: trades.
    #[arg(long, default_value = "trades")]
    pub kind: String,
    /// First day, inclusive (YYYY-MM-DD, UTC; any --from form at a UTC midnight).
    #[arg(long)]
    pub from: String,
    /// End day, exclusive like every --to (default: the day after --from):
    /// `--from 2024-08-08 --to 2024-08-10` downloads two days.
    #[arg(long)]
    pub to: Option<String>,
    /// Where files land (mirroring the archive layout).
    #[arg(long, default_value = "downloads")]
    pub out: PathBuf,
    /// Archive host override (a mirror, or a local server in tests).
    #[arg(long)]
    pub base_url: Option<String>,
}

/// A `--from`/`--to` value that must fall on a UTC midnight (archives hold whole days).
fn utc_day(flag: &str, text: &str) -> anyhow::Result<NaiveDate> {
    let stamp = parse_time(flag, text)?;
    anyhow::ensure!(
        stamp.floor_day() == stamp,
        "{flag}: {text:?} is not a UTC midnight: archives hold whole days, give a date"
    );
    Ok(chrono::DateTime::from_timestamp_nanos(stamp.0).date_naive())
}

pub fn run(args: &DownloadArgs) -> anyhow::Result<ExitCode> {
    let report = download(args)?;
    out!("{report}");
    let coverage = &report.coverage;
    if coverage.flagged {
        eprintln!(
            "warning: {:.1}% of the requested time is missing (more than 1%)",
            coverage.missing_share * 100.0
        );
    }
    Ok(if coverage.failed_days == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs a download with a progress bar; shared with `demo`.
pub fn download(args: &DownloadArgs) -> anyhow::Result<DownloadReport> {
    let dataset = Dataset::parse(&args.venue, &args.kind)?;
    let first_day = utc_day("--from", &args.from)?;
    let end_day = match &args.to {
        Some(text) => utc_day("--to", text)?,
        None => first_day
            .succ_opt()
            .context("--from is the last day of time")?,
    };
    anyhow::ensure!(
        end_day > first_day,
        "--to ({end_day}) must be after --from ({first_day}): --to is exclusive"
    );
    let last_day = end_day.pred_opt().context("--to")?;
    let request = DownloadRequest {
        dataset,
        symbol: args.symbol.to_ascii_uppercase(),
        first_day,
        last_day,
        target_dir: args.out.clone(),
    };
    let settings = DownloadSettings {
        base_url: args.base_url.clone(),
        ..DownloadSettings::default()
    };
    let days = (last_day - first_day).num_days() as u64 + 1;
    let bar = progress::items_bar(days, "downloading");
    let mut downloader = Downloader::new(settings).with_progress(|event| match event {
        DownloadProgress::DayStarted { date, .. } => bar.set_prefix(date.to_string()),
        DownloadProgress::Retrying {
            date,
            attempt,
            delay,
            reason,
        } => bar.suspend(|| {
            eprintln!("{date}: attempt {attempt} failed ({reason}); retrying in {delay:?}");
        }),
        DownloadProgress::DayFinished { result } => {
            if let DayOutcome::Failed { .. } = result.outcome {
                bar.suspend(|| eprintln!("{}: failed", result.date));
            }
            bar.inc(1);
        }
        DownloadProgress::Bytes { .. } => {}
    });
    let report = downloader
        .download(&request)
        .with_context(|| format!("downloading {} {} {}", args.venue, args.symbol, args.kind))?;
    bar.finish_and_clear();
    Ok(report)
}
