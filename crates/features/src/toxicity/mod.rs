//! Order-book toxicity (fake-liquidity) filters, SPEC 2.5, as a streaming per-instrument engine
//! ([`ToxicityEngine`]) that emits one [`ToxicitySecond`] per second, and a summary
//! ([`ToxicityTable`], [`toxicity_table`]).
//!
//! # Exact forms
//! - **One-second samples everywhere** (SPEC 2.5): at each second close `S` the engine reads
//!   the best `sample_levels` (50) levels of each side of the synced book ([`BookSample`]);
//!   every filter compares consecutive samples and the trades of the second, never individual
//!   diff messages, so a venue publishing every 10 ms and one publishing every 100 ms give the
//!   same records. A price past the deepest level of a full sample is unobserved: a level
//!   leaving the sampled top-N because the price moved is neither a decrease nor an increase.
//! - **Decay-weighted depth** per side and absolute price level over the 30 s lookback
//!   (samples aged 0..29 s): `DWD = Σ w_i·depth_i / Σ w_i`, `w_i = exp(−λ_final × age_i)`,
//!   summed only over the samples that observed the price inside the side's book (between the
//!   best and the deepest sampled level: no zero-filling when the mid moves). The record's
//!   depth is the sum of DWD over the current top 20 prices of the side.
//! - `λ_final = base_λ × spread_factor × volatility_factor × level_factor` (× 2 for a repeat
//!   offender's (side, bucket)), with `spread_factor = (spread / typical_spread)^α`,
//!   `volatility_factor = (rv_5m / rv_240m)^β`, `rv_w = sqrt(Σ r² / n)` over the last n ≤ w
//!   one-second mid log returns, `level_factor = (1 + distance_from_best / typical_spread)^γ`.
//!   `typical_spread` = mean of the one-second spread samples over the last 60 minutes.
//! - **Warm-up:** spread and level factors are 1 until the typical spread has 60 samples; the
//!   volatility factor is 1 until 300 returns exist. DWD before 30 samples averages the
//!   samples there are.
//! - **Ghosts** (see [`ghost`]): increases between consecutive samples larger than 5 × the
//!   median non-zero top-20 size (last 5 minutes, after 30 s of history) that revert to their
//!   earlier size within 10 s, untraded from the second before they appeared to 1 s after they
//!   went, and not re-quoted nearby; never re-born while the level stays; × 0.15 on displayed
//!   depth at (side, bucket) in the samples of the next 60 s.
//! - **CTR** (see [`ctr`]): decreases between consecutive samples per (side, price); executed
//!   volume per (side, price) by aggressor (a taker sell executes on the bid; a trade without
//!   aggressor counts on both sides). Over the last ten closed seconds, active levels = prices
//!   that were the side's best at a sample of the window or executed at; book CTR per side
//!   = `Σ cancelled / Σ (executed + ε)` over them, `None` when nothing executed; toxic levels
//!   are counted only where something executed. ε fallbacks (BTC 0.001, ETH 0.01, SOL 1.0, else
//!   `epsilon_default`) until the first trade.
//! - **OBI churn**: signed `ΔOBI = OBI[t] − OBI[t − 2 s]`; high churn when `|ΔOBI|` > 2 × the
//!   std (n − 1) of the PREVIOUS signed changes (up to 300); below 100 of them the configured
//!   baseline std is reported and `churn` is `None`.
//! - **Drain:** a signal starts when a side's DWD (top 20) is >= 30% below its value exactly
//!   30 s earlier; edge-triggered (re-armed when the condition clears), one pending verdict per
//!   side. Taker volumes are counted by `ts_recv` over the 30 one-second buckets before the
//!   signal (the same window as the decline); follow-through = same-direction taker volume
//!   received in (signal, signal + 1.5 s]; the verdict is emitted at the first second close
//!   after that. Absorption = |mid_t − mid_{t−30 s}| in ticks / (taker buy + sell volume).
//! - **Time:** second `[S, S + 1 s)` closes when an event with `ts_recv >= S + 1 s` arrives
//!   (or `advance_to`); seconds without a synced, two-sided, uncrossed book emit no record and
//!   break the chain of consecutive samples.

pub mod config;
pub mod ctr;
pub mod decay;
pub mod drain;
pub mod engine;
pub mod filters;
pub mod ghost;
pub mod obi;
pub mod sample;
pub mod stats;
pub mod table;

pub use config::{DrainDepth, ToxicityConfig};
pub use drain::{DrainRegime, DrainVerdict};
pub use engine::{ToxicityCounters, ToxicityEngine, ToxicitySecond, ToxicitySink, read_sample};
pub use filters::SecondFilters;
pub use sample::BookSample;
pub use table::{
    Percentiles, ToxicitySummary, ToxicityTable, ToxicityTableBuilder, toxicity_table,
};
