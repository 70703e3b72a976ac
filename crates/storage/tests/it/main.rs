//! Integration tests of the embedded store (one binary, STYLE 8): exact round trips, atomic
//! commit and abort, replace-on-reimport, sources keyed by content, merges of overlapping sources, foreign Parquet files
//! and real captures.

// Helpers outside `#[test]` functions unwrap too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used)]

mod atomicity;
mod common;
mod overlap;
mod real_data;
mod round_trip;
mod sources;
