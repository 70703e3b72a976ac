//! `mock-exchange`: a local exchange on 127.0.0.1 that replays Binance USD-M captures over the
//! Binance USD-M or Bybit v5 protocol, fills orders with the backtest's fill model and injects
//! faults on command (`/mock/...`); exits when the replay ends. Thin glue over the
//! mock-exchange crate: parse, print the address, run, print the summary line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_mock_exchange::{
    Credentials, DEFAULT_API_KEY, DEFAULT_API_SECRET, MockConfig, Speed, Venue, run_blocking,
};
use auction_trader_types::Money;
use clap::Args;

use crate::output::{flush_stdout, outln, write_stdout};

#[derive(Debug, Args)]
pub struct MockExchangeArgs {
    /// The protocol to speak: binance-usdm or bybit (Bybit v5 linear, converted from the
    /// Binance capture).
    #[arg(long, value_parser = ["binance-usdm", "bybit"])]
    pub venue: String,
    /// Binance USD-M capture files (`<local ns> <json>` lines, plain or .gz) replayed as one
    /// capture, in the given order; one of them holds the REST depth snapshot line.
    #[arg(long, num_args = 1.., required = true)]
    pub replay: Vec<PathBuf>,
    /// Replay speed: recorded time / X (10 = ten times faster), or `max` (as fast as the
    /// slowest subscriber reads).
    #[arg(long, default_value = "1")]
    pub speed: String,
    /// Port on 127.0.0.1 for REST and WebSocket (0: any free port, printed).
    #[arg(long)]
    pub port: u16,
    /// API key of the account (else env MOCK_API_KEY, else the documented test key).
    #[arg(long)]
    pub api_key: Option<String>,
    /// API secret of the account (else env MOCK_API_SECRET, else the documented test secret).
    #[arg(long)]
    pub api_secret: Option<String>,
    /// Starting balance of the account, USDT.
    #[arg(long, default_value_t = 10_000)]
    pub balance: i64,
    /// Start the replay at once instead of at the first market-data subscription.
    #[arg(long)]
    pub start_immediately: bool,
}

pub fn run(args: &MockExchangeArgs) -> anyhow::Result<ExitCode> {
    let venue = Venue::parse(&args.venue)?;
    let speed = Speed::parse(&args.speed)?;
    let api_key = args
        .api_key
        .clone()
        .or_else(|| std::env::var("MOCK_API_KEY").ok())
        .unwrap_or_else(|| DEFAULT_API_KEY.to_owned());
    let api_secret = args
        .api_secret
        .clone()
        .or_else(|| std::env::var("MOCK_API_SECRET").ok())
        .unwrap_or_else(|| DEFAULT_API_SECRET.to_owned());
    let mut config = MockConfig::new(venue, args.replay.clone(), args.port);
    config.speed = speed;
    config.accounts = vec![Credentials {
        api_key,
        api_secret,
    }];
    config.balance = Money::from_units(args.balance).context("--balance")?;
    config.wait_for_client = !args.start_immediately;
    let start = if config.wait_for_client {
        "the replay starts at the first market-data subscription"
    } else {
        "the replay starts now"
    };
    let mut announced = Ok(());
    let summary = run_blocking(config, |address| {
        announced = write_stdout(format_args!(
            "mock-exchange {}: REST http://{address} WebSocket ws://{address} ({start}; \
             control /mock/...)\n",
            venue.as_str()
        ))
        .and_then(|()| flush_stdout());
    })?;
    announced?;
    outln!("{summary}");
    Ok(ExitCode::SUCCESS)
}
