//! Order-book toxicity (fake-liquidity) filters, SPEC 2.5, as a streaming per-instrument engine
//! ([`ToxicityEngine`]) that emits one [`ToxicitySecond`] per second, and a summary
//! ([`ToxicityTable`], [`toxicity_table`]).
//!
//! # Exact forms
//! - **Decay-weighted depth** per side and absolute price level: the book is sampled once a
//!   second (top `sample_levels` = 50 levels per side are stored, so a price that climbs into
//!   the top 20 keeps its earlier depth; a price absent from a sample counts as depth 0); over
//!   the 30 s lookback (samples aged 0..29 s) `DWD = Σ w_i·depth_i / Σ w_i`,
//!   `w_i = exp(−λ_final × age_i)`, age in seconds. The record's depth is the sum of DWD over
//!   the current top 20 prices of the side.
//! - `λ_final = base_λ × spread_factor × volatility_factor × level_factor` (× 2 for a repeat
//!   offender's bucket), with
//!   `spread_factor = (spread / typical_spread)^α`,
//!   `volatility_factor = (rv_5m / rv_240m)^β`, `rv_w = sqrt(Σ r² / n)` over the last n ≤ w
//!   one-second mid log returns (a per-second RMS so both windows are comparable),
//!   `level_factor = (1 + distance_from_best / typical_spread)^γ`, distance in price from the
//!   same side's best. `typical_spread` = mean of the one-second spread samples over the last
//!   60 minutes (same window as SPEC 2.1, but sampled from this engine's book).
//! - **Warm-up:** spread and level factors are 1 until the typical spread has 60 samples
//!   (`spread_warmup_samples`); the volatility factor is 1 until 300 returns (a full 5-minute
//!   window) exist, then rv_240m uses the returns available (up to 240 minutes). Each factor is
//!   also 1 when its denominator is zero. DWD before 30 samples averages the samples there are.
//! - **Ghosts** (see [`ghost`]): thresholds need 30 s of top-20 size history; a candidate is a
//!   level that rises above 5 × median inside the top-20 price range, it vanishes when its size
//!   falls back to the threshold or below; a trade at its price up to 1 s after the vanish
//!   (the trade and depth streams are separate feeds) clears it. The 0.15 discount applies to
//!   samples taken from confirmation on, for 60 s; past samples are never changed.
//! - **CTR:** the 10 s window is the last ten closed one-second buckets; decreases are summed
//!   per (side, price) from every applied diff row (old size − new size when smaller), trades
//!   per price regardless of aggressor; cancelled = max(0, Σ decrease − Σ traded) over the
//!   window. With snapshot messages, only levels inside the new snapshot's price range are
//!   compared (a level that left the window is not a cancellation). ε fallbacks (BTC 0.001,
//!   ETH 0.01, SOL 1.0, else `epsilon_default`) are used until the first trade. Book CTR =
//!   Σ displayed_size·CTR / Σ displayed_size over the top 20.
//! - **OBI churn** compares the velocity with the std (n − 1) of the PREVIOUS velocities (up to
//!   300); below 100 of them the configured baseline std is reported and `churn` is `None`.
//! - **Drain:** a signal starts when a side's DWD (top 20) is >= 30% below its value exactly
//!   30 s earlier; edge-triggered (re-armed when the condition clears), one pending verdict per
//!   side. Taker volumes are counted by `ts_recv` over the 30 one-second buckets before the
//!   signal; follow-through = same-direction taker volume received in (signal, signal + 1.5 s];
//!   the verdict is emitted at the first second close after that. Trades with an unknown
//!   aggressor count in neither direction. Absorption = |mid_t − mid_{t−30 s}| in ticks /
//!   (taker buy + taker sell volume over the window).
//! - **Time:** second `[S, S + 1 s)` closes when an event with `ts_recv >= S + 1 s` arrives
//!   (or `advance_to`); seconds without a synced, two-sided, uncrossed book emit no record.

pub mod config;
pub mod ctr;
pub mod decay;
pub mod drain;
pub mod engine;
pub mod ghost;
pub mod obi;
pub mod stats;
pub mod table;

pub use config::ToxicityConfig;
pub use drain::{DrainRegime, DrainVerdict};
pub use engine::{ToxicityCounters, ToxicityEngine, ToxicitySecond, ToxicitySink};
pub use table::{Percentiles, ToxicityTable, ToxicityTableBuilder, toxicity_table};
