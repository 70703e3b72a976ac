//! The data of a validation, decoded once, and runs of configs over windows of it: sma_cross
//! runs read the window's bars (built once per window and shared by every combination),
//! engine strategies replay the window's events. Several configs of one window run in
//! parallel; results come back in config order whatever the number of workers.

use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use auction_trader_types::{Instrument, MarketEvent};

use super::window::{Window, warmup_nanos, window_config, window_events};
use crate::config::{BacktestConfig, StrategyKind};
use crate::error::BacktestError;
use crate::run_config::{Silent, configured_instrument};
use crate::runner::{BacktestResult, run_backtest};
use crate::sma_cross::{BarSeries, EquityDetail, sma_cross_result};

/// The instrument and its events in time order (the whole configured range). The
/// instrument is the base config's; every run resolves its own config's.
#[derive(Debug)]
pub struct ValidationData {
    pub instrument: Instrument,
    pub events: Vec<MarketEvent>,
}

/// One window's share of the data, prepared once for every config run on it.
#[derive(Debug)]
pub struct WindowData<'a> {
    pub window: Window,
    events: &'a [MarketEvent],
    bars: Option<BarSeries>,
}

impl ValidationData {
    /// The events `window` replays with `config`'s warm-up before it; the bars too when the
    /// strategy is sma_cross.
    pub fn window(&self, config: &BacktestConfig, window: Window) -> WindowData<'_> {
        let events = window_events(&self.events, window, warmup_nanos(config));
        let bars = (config.strategy.kind == StrategyKind::SmaCross)
            .then(|| BarSeries::from_events(events));
        WindowData {
            window,
            events,
            bars,
        }
    }

    /// Runs `config` (trading only inside the window) over the window's data.
    pub fn run(
        &self,
        config: &BacktestConfig,
        data: &WindowData<'_>,
    ) -> Result<BacktestResult, BacktestError> {
        let config = window_config(config, data.window);
        // Each config resolves its own instrument: a cost multiplier or a sweep may change
        // its fees.
        let instrument = configured_instrument(&config, &mut Silent)?;
        if let Some(bars) = &data.bars
            && config.strategy.kind == StrategyKind::SmaCross
        {
            if bars.is_empty() {
                return Err(BacktestError::NoData(
                    "strategy.sma_cross runs on one-minute bars and the window holds none"
                        .to_owned(),
                ));
            }
            return sma_cross_result(&config, &instrument, bars, EquityDetail::Changes);
        }
        let events = data.events.iter().map(|event| Ok::<_, Infallible>(*event));
        run_backtest(&config, instrument, events, &mut |_, _| {})
    }

    /// Runs every config over the window with `workers` threads; `measure` turns each result
    /// into what the caller keeps. Results are in config order; the first failing config (in
    /// config order) is the error.
    pub fn run_all<T: Send>(
        &self,
        configs: &[BacktestConfig],
        data: &WindowData<'_>,
        workers: usize,
        measure: &(dyn Fn(BacktestResult) -> T + Sync),
    ) -> Result<Vec<T>, BacktestError> {
        let next = AtomicUsize::new(0);
        let slots: Mutex<Vec<Option<Result<T, BacktestError>>>> =
            Mutex::new((0..configs.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..workers.clamp(1, configs.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(config) = configs.get(index) else {
                            break;
                        };
                        let outcome = self.run(config, data).map(measure);
                        let failed = outcome.is_err();
                        if let Ok(mut slots) = slots.lock() {
                            slots[index] = Some(outcome);
                        }
                        if failed {
                            // Later configs are not needed: the error is reported.
                            next.store(configs.len(), Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let slots = slots
            .into_inner()
            .map_err(|_| BacktestError::Setup("a validation worker panicked".to_owned()))?;
        let mut results = Vec::with_capacity(configs.len());
        for (index, slot) in slots.into_iter().enumerate() {
            match slot {
                Some(Ok(value)) => results.push(value),
                Some(Err(error)) => {
                    return Err(BacktestError::Config(format!(
                        "validation run {}: {error}",
                        index + 1
                    )));
                }
                None => {
                    return Err(BacktestError::Setup(format!(
                        "validation run {} did not finish (an earlier run failed)",
                        index + 1
                    )));
                }
            }
        }
        Ok(results)
    }
}
