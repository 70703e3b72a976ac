//! `run -c <config> --mode dry-run|paper|shadow|live`: a live session (SPEC 7) in a data
//! directory, fed by a replay of recorded files (`--replay`) or a venue (`--endpoint`, or the
//! venue's production hosts; Binance USD-M: market feed and, in live mode, the gateway). Thin glue over the live crate: parse, start, print the summary.
//! The session starts in observe mode; `auction-trader control enable` starts trading (a
//! simulated mode with `live.paper_trading_on_start` starts trading in a fresh directory).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use auction_trader_live::feed_source::FeedSource;
use auction_trader_live::session::GatewayFactory;
use auction_trader_live::{Mode, Session, SessionConfig, SessionOptions, SystemClock, alerts};
use auction_trader_venues::binance_usdm::{Credentials, Gateway, GatewayOptions};
use auction_trader_venues::bybit;
use auction_trader_venues::{Clock, Endpoints, TradingGateway};
use clap::Args;

use crate::output::outln;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The session's YAML config (a backtest config plus an optional `live:` section).
    #[arg(short, long)]
    pub config: PathBuf,
    /// dry-run (signals only), paper (simulated fills), shadow (paper + backtest comparison)
    /// or live (real orders).
    #[arg(long, default_value = "paper")]
    pub mode: Mode,
    /// The session's data directory: raw journal, execution.db, control.db, reports.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Replay these recorded files as the feed (capture files or any importable format).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub replay: Vec<PathBuf>,
    /// Warm the engine up on these recorded files before the feed (SPEC 7: 240 minutes of
    /// data before any signal), trading off; fixed for the generation at its first start.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub warmup: Vec<PathBuf>,
    /// Replay pace: event-time seconds per wall second (default: as fast as possible).
    #[arg(long)]
    pub speed: Option<f64>,
    /// One base URL for the venue's REST and WebSocket (e.g. the local mock exchange,
    /// http://127.0.0.1:P); default: the venue's production hosts.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics (loopback unless
    /// --allow-remote-metrics).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Allow a non-loopback --metrics address (metrics show positions and P&L).
    #[arg(long)]
    pub allow_remote_metrics: bool,
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let config = SessionConfig::load(&args.config)?;
    let feed = if args.replay.is_empty() {
        FeedSource::Venue {
            venue: config.run.data.venue.clone(),
            endpoints: endpoints(&config.run.data.venue, args.endpoint.as_deref())?,
        }
    } else {
        anyhow::ensure!(
            args.endpoint.is_none(),
            "--replay and --endpoint exclude each other (the replay is the feed)"
        );
        FeedSource::Replay {
            files: args.replay.clone(),
            speed: args.speed,
        }
    };
    let key = auction_trader_backtest::run_config::instrument_key(&config.run)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Live mode: the venue's order entry, credentials only from the environment.
    // (Connected by the session once it knows its client order id prefix.)
    let gateway: Option<GatewayFactory> = match (args.mode, &feed) {
        (Mode::Live, FeedSource::Venue { venue, endpoints }) if venue == "binance-usdm" => {
            let credentials = Credentials::from_env()?;
            let (endpoints, symbol, clock) = (
                endpoints.clone(),
                key.symbol.to_string(),
                Arc::clone(&clock),
            );
            Some(Box::new(move |prefix: &str| {
                let options = GatewayOptions {
                    client_id_prefix: prefix.to_owned(),
                    ..GatewayOptions::default()
                };
                Gateway::connect(&endpoints, credentials, &symbol, clock, options)
                    .map(|gateway| Box::new(gateway) as Box<dyn TradingGateway>)
            }))
        }
        (Mode::Live, FeedSource::Venue { venue, endpoints }) if venue == "bybit-linear" => {
            let credentials = bybit::Credentials::from_env()?;
            let (endpoints, symbol, clock) = (
                endpoints.clone(),
                key.symbol.to_string(),
                Arc::clone(&clock),
            );
            Some(Box::new(move |prefix: &str| {
                let options = bybit::GatewayOptions {
                    order_link_prefix: prefix.to_owned(),
                    ..bybit::GatewayOptions::default()
                };
                bybit::Gateway::connect(&endpoints, credentials, &symbol, clock, options)
                    .map(|gateway| Box::new(gateway) as Box<dyn TradingGateway>)
            }))
        }
        (Mode::Live, _) => anyhow::bail!(
            "--mode live needs a venue connection with order entry (binance-usdm or \
             bybit-linear; not --replay); {} has no gateway in this build",
            key.venue
        ),
        _ => None,
    };
    let handle = feed
        .spawn(&key, Arc::clone(&clock))
        .with_context(|| format!("starting the {} feed", key))?;
    let start = if config.live.paper_trading_on_start && args.mode.simulated() {
        "trading starts enabled in a fresh directory (live.paper_trading_on_start); \
         `auction-trader control disable|status"
    } else {
        "trading starts disabled: `auction-trader control enable"
    };
    eprintln!(
        "session: {} {} in {} ({start} --data-dir {}`)",
        args.mode,
        key,
        args.data_dir.display(),
        args.data_dir.display()
    );
    let options = SessionOptions {
        mode: args.mode,
        data_dir: args.data_dir.clone(),
        clock,
        webhook: alerts::webhook_from_env(),
        metrics: args.metrics.map(|bind| (bind, args.allow_remote_metrics)),
        gateway,
        advance_on_idle: feed.is_live(),
        warmup: args.warmup.clone(),
        shadow_config: None,
        log: Box::new(|line| eprintln!("{line}")),
    };
    let summary = Session::run(&config, options, handle)?;
    outln!(
        "session {} generation {} start {}: {} events ({} replayed from the journal, {} \
         skipped), book checks={} mismatches={} gaps={}, signals={} orders={} (+{} found in \
         execution.db) fills={} trades={}, position {}, realized P&L {}{}",
        summary.mode,
        summary.generation,
        summary.start,
        summary.events,
        summary.catch_up_events,
        summary.skipped_events,
        summary.book_checks,
        summary.book_mismatches,
        summary.book_gaps,
        summary.signals,
        summary.orders_new,
        summary.orders_replayed,
        summary.fills,
        summary.trades,
        summary.position,
        summary.realized_pnl,
        summary
            .halted
            .as_ref()
            .map(|reason| format!(", HALTED: {reason}"))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--endpoint` replaces both base URLs (same port: REST http, WebSocket ws); without it the
/// venue's production hosts.
fn endpoints(venue: &str, endpoint: Option<&str>) -> anyhow::Result<Endpoints> {
    if let Some(endpoint) = endpoint {
        let endpoint = endpoint.trim_end_matches('/');
        let websocket = if let Some(rest) = endpoint.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = endpoint.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            anyhow::bail!("--endpoint {endpoint:?}: expected http://host:port or https://host");
        };
        return Ok(Endpoints {
            rest: endpoint.to_owned(),
            websocket,
        });
    }
    match venue {
        "binance-usdm" => Ok(Endpoints {
            rest: "https://fapi.binance.com".to_owned(),
            websocket: "wss://fstream.binance.com".to_owned(),
        }),
        "bybit-linear" => Ok(Endpoints {
            rest: "https://api.bybit.com".to_owned(),
            websocket: "wss://stream.bybit.com".to_owned(),
        }),
        other => {
            anyhow::bail!("no live connection for venue {other:?} (binance-usdm, bybit-linear)")
        }
    }
}
