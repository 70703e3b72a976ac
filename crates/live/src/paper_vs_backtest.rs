//! The paper-vs-backtest report (SPEC 6): a recorded paper session (the raw journal of one
//! generation and its execution.db rows) replayed through the backtester with the session's
//! effective configuration, showing signal, fill and P&L differences. The backtest has no
//! observe mode: it trades from the first event, so signals the paper session saw while
//! trading was disabled show up as backtest-only fills.

use std::path::{Path, PathBuf};

use auction_trader_backtest::Silent;
use auction_trader_backtest::run_backtest;
use auction_trader_backtest::run_config::configured_instrument;
use auction_trader_execution::Account;
use auction_trader_types::{Fill, Liquidity, MarketEvent, OrderId, Quantity, UnixNanos};
use serde::Serialize;

use crate::execution_log::ExecutionLog;
use crate::raw_journal::{JournalEntry, journal_files, read_entries};
use crate::recorder::{FillKey, SignalKey};
use crate::report::REPORTS_DIR;
use crate::session::CONFIG_FILE;
use crate::shadow::{Divergence, ShadowComparator};
use crate::{LiveError, SessionConfig};

/// The comparison's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaperVsBacktest {
    pub generation: u32,
    pub events: u64,
    pub paper_signals: usize,
    pub backtest_signals: usize,
    pub matched_signals: u64,
    pub signal_differences: u64,
    pub paper_fills: usize,
    pub backtest_fills: usize,
    /// Fills equal within 1 tick and 1 s (same side and size).
    pub matched_fills: u64,
    pub fill_differences: u64,
    pub paper_net_pnl: String,
    pub backtest_net_pnl: String,
    pub net_pnl_difference: String,
    pub paper_final_position: String,
    /// The first differences, for diagnosis.
    pub examples: Vec<String>,
}

/// Compares generation `generation` (default: the newest with a journal) of `data_dir`.
pub fn compare(data_dir: &Path, generation: Option<u32>) -> Result<PaperVsBacktest, LiveError> {
    let config = SessionConfig::load(&data_dir.join(CONFIG_FILE))?;
    let log = ExecutionLog::open(data_dir)?;
    let generation = match generation {
        Some(generation) => generation,
        None => {
            let current = log.generation()?;
            if journal_files(data_dir, current)?.is_empty() && current > 0 {
                current - 1
            } else {
                current
            }
        }
    };
    let files = journal_files(data_dir, generation)?;
    if files.is_empty() {
        return Err(LiveError::Data(format!(
            "{}: no raw journal for generation {generation} (nothing recorded, or purged)",
            data_dir.display()
        )));
    }
    let mut events: Vec<MarketEvent> = Vec::new();
    read_entries(&files, |entry| {
        if let JournalEntry::Event(event) = entry {
            events.push(event);
        }
        Ok(())
    })?;
    let instrument = configured_instrument(&config.run, &mut Silent)?;
    let tick = instrument.tick_size;
    let valuation = instrument.valuation();
    let event_count = events.len() as u64;
    let backtest = run_backtest(
        &config.run,
        instrument,
        events.into_iter().map(Ok::<_, std::convert::Infallible>),
        &mut |_, _| {},
    )?;
    let paper_fills = log.fills(generation)?;
    let paper_signals = log.signals(generation)?;
    let mut comparator = ShadowComparator::new(tick, 1, 1000);
    let paper_signal_keys: Vec<SignalKey> = paper_signals
        .iter()
        .map(|(ts, setup, direction)| SignalKey {
            ts: *ts,
            setup: setup.parse().ok(),
            direction: direction.parse().ok(),
        })
        .collect();
    let backtest_signal_keys: Vec<SignalKey> = backtest
        .signals
        .iter()
        .filter(|signal| signal.kind == auction_trader_strategy::SignalRecordKind::Signal)
        .map(SignalKey::of)
        .collect();
    let paper_fill_keys: Vec<FillKey> = paper_fills
        .iter()
        .map(|stored| FillKey {
            ts: stored.fill.ts,
            side: stored.fill.side,
            price: stored.fill.price,
            quantity: stored.fill.quantity,
        })
        .collect();
    let backtest_fill_keys: Vec<FillKey> = backtest
        .records
        .fills
        .iter()
        .map(|fill| FillKey {
            ts: fill.ts,
            side: fill.side,
            price: fill.price,
            quantity: fill.quantity,
        })
        .collect();
    let counts = (
        paper_signal_keys.len(),
        backtest_signal_keys.len(),
        paper_fill_keys.len(),
        backtest_fill_keys.len(),
    );
    comparator.add(
        (paper_signal_keys, paper_fill_keys),
        (backtest_signal_keys, backtest_fill_keys),
    );
    let divergences = comparator.compare(UnixNanos::MAX);
    let examples = divergences
        .into_iter()
        .take(10)
        .map(|divergence| match divergence {
            Divergence::Signal(text) | Divergence::Fill(text) => text,
        })
        .collect();
    // The paper account from the logged fills (same valuation as the engine's).
    let initial = auction_trader_backtest::initial_equity(&config.run)?;
    let mut account = Account::with_valuation(valuation, initial);
    for stored in &paper_fills {
        account.apply_fill(&Fill {
            order_id: OrderId(0),
            ts: stored.fill.ts,
            side: stored.fill.side,
            price: stored.fill.price,
            quantity: stored.fill.quantity,
            liquidity: if stored.fill.maker {
                Liquidity::Maker
            } else {
                Liquidity::Taker
            },
            fee: stored.fill.fee,
            reference_mid: stored.fill.reference_mid,
            leaves_quantity: Quantity::ZERO,
        });
    }
    let paper_pnl = account.cash().saturating_sub(initial);
    let backtest_pnl = backtest.metrics.net_pnl;
    Ok(PaperVsBacktest {
        generation,
        events: event_count,
        paper_signals: counts.0,
        backtest_signals: counts.1,
        matched_signals: comparator.matched_signals,
        signal_differences: comparator.signal_divergences,
        paper_fills: counts.2,
        backtest_fills: counts.3,
        matched_fills: comparator.matched_fills,
        fill_differences: comparator.fill_divergences,
        paper_net_pnl: paper_pnl.to_string(),
        backtest_net_pnl: backtest_pnl.to_string(),
        net_pnl_difference: paper_pnl.saturating_sub(backtest_pnl).to_string(),
        paper_final_position: account.position().to_string(),
        examples,
    })
}

impl PaperVsBacktest {
    /// Plain-text rendering.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "paper vs backtest, generation {} ({} recorded events)\n\
             signals: paper {} backtest {}: {} equal, {} different\n\
             fills:   paper {} backtest {}: {} equal (1 tick, 1 s), {} different\n\
             P&L:     paper {} backtest {} (paper - backtest = {}); paper position at the end {}\n",
            self.generation,
            self.events,
            self.paper_signals,
            self.backtest_signals,
            self.matched_signals,
            self.signal_differences,
            self.paper_fills,
            self.backtest_fills,
            self.matched_fills,
            self.fill_differences,
            self.paper_net_pnl,
            self.backtest_net_pnl,
            self.net_pnl_difference,
            self.paper_final_position
        );
        for example in &self.examples {
            text.push_str("  ");
            text.push_str(example);
            text.push('\n');
        }
        text
    }

    /// Writes `reports/paper-vs-backtest-g<N>.json` and `.txt`; returns the text file.
    pub fn write(&self, data_dir: &Path) -> Result<PathBuf, LiveError> {
        let folder = data_dir.join(REPORTS_DIR);
        std::fs::create_dir_all(&folder).map_err(|cause| LiveError::io(&folder, cause))?;
        let json = serde_json::to_string_pretty(self)
            .map_err(|error| LiveError::Data(error.to_string()))?;
        let json_path = folder.join(format!("paper-vs-backtest-g{}.json", self.generation));
        std::fs::write(&json_path, json).map_err(|cause| LiveError::io(&json_path, cause))?;
        let text_path = folder.join(format!("paper-vs-backtest-g{}.txt", self.generation));
        std::fs::write(&text_path, self.to_text())
            .map_err(|cause| LiveError::io(&text_path, cause))?;
        Ok(text_path)
    }
}
