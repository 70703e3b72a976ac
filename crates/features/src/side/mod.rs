//! Trade-side inference (SPEC 2.3): same-timestamp aggregation, the quote and tick rules,
//! the quote each trade is classified against (with the untimed-quote extension), the
//! combined classifier the engine uses, BVC, and the accuracy report against true labels.

pub mod accuracy;
pub mod aggregation;
pub mod bvc;
pub mod classifier;
pub mod quote_timing;
pub mod rules;
