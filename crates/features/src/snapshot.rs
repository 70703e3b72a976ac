//! The per-minute feature snapshot and its stable column list, so storage
//! can write snapshots to Parquet without knowing the struct (`COLUMNS[i].value(&snapshot)`).
//! Column names and order are a storage contract: append new columns, never rename.

use auction_trader_types::{Bar, Price, Quantity, UnixNanos};
use serde::Serialize;

use crate::order_flow::OrderFlowSignals;
use crate::profile::rolling::ProfileLevels;

/// Everything the engine knows at one minute close. Values depend only on events received
/// up to `ts` (SPEC 2: no look-ahead).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureSnapshot {
    /// Minute close (= `bar.ts_event`).
    pub ts: UnixNanos,
    /// The minute's bar; a minute without trades has zero volume and OHLC = previous close.
    pub bar: Bar,
    /// Bars closed so far, this one included (warm-up progress).
    pub bars_seen: u64,
    /// The full profile window of bars has been seen (SPEC 3.1: no signals before).
    pub warmed_up: bool,
    /// ln(close / previous close); 0 for a minute without trades and for the first bar.
    pub log_return: f64,
    /// Sample std of 1-minute log returns over the window (see `baselines::sample_std`).
    pub sigma_240: Option<f64>,
    /// The most recent quote at the close, whatever its age (SPEC 2.1).
    pub bid_price: Option<Price>,
    pub bid_size: Option<Quantity>,
    pub ask_price: Option<Price>,
    pub ask_size: Option<Quantity>,
    pub quote_ts_recv: Option<UnixNanos>,
    /// Spread of that quote (None when crossed or one-sided).
    pub spread: Option<Price>,
    /// Time-weighted average quoted spread over the typical-spread window (SPEC 2.1).
    pub typical_spread: Option<Price>,
    /// OF_1m = buy − sell volume of the minute (signed).
    pub of_1m: Quantity,
    /// OF_1m / volume (None without volume).
    pub of_norm: Option<f64>,
    /// median(|OF_1m|) over the previous window minutes, in size units.
    pub of_abs_median: Option<f64>,
    /// qimb of the quote at the close.
    pub qimb_close: Option<f64>,
    /// Time-weighted qimb over the minute.
    pub qimb_mean_1m: Option<f64>,
    pub signals: OrderFlowSignals,
    /// Share of the minute's volume whose trading side neither came from a venue label nor
    /// from the quote rule (SPEC 2.3: 0 where the venue labels trades).
    pub ambiguous_trade_frac_1m: f64,
    /// Share of the minute's volume the quote rule alone could not classify, labels ignored
    /// (the inference quality metric, also on labelled venues).
    pub quote_rule_ambiguous_frac_1m: f64,
    /// Volume whose side stayed unknown for order flow.
    pub unclassified_volume: Quantity,
    /// Aggregated trades (same timestamp, per label) of the minute.
    pub aggregated_trades: u64,
    /// Trades the quote rule classified with a stale quote (SPEC 2.3).
    pub stale_quote_trades: u64,
    /// Aggregated trades with a venue label, and how many of them the inference got right.
    pub labelled_trades: u64,
    pub inference_correct: u64,
    /// The profile computed at THIS close (window ending with this bar): judge the NEXT bar.
    pub profile: ProfileLevels,
    /// The profile computed at the previous close: SPEC 2.2 judges this bar against it.
    pub prior_profile: ProfileLevels,
}

/// Physical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColumnKind {
    /// `UnixNanos` as i64 nanoseconds.
    Timestamp,
    /// Fixed-point price, raw i64 at 10^-9.
    Price,
    /// Fixed-point quantity, raw i64 at 10^-9.
    Quantity,
    Float,
    Count,
    Flag,
}

/// One value of a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnValue {
    Timestamp(Option<UnixNanos>),
    Price(Option<Price>),
    Quantity(Option<Quantity>),
    Float(Option<f64>),
    Count(u64),
    Flag(bool),
}

impl ColumnValue {
    pub const fn kind(&self) -> ColumnKind {
        match self {
            Self::Timestamp(_) => ColumnKind::Timestamp,
            Self::Price(_) => ColumnKind::Price,
            Self::Quantity(_) => ColumnKind::Quantity,
            Self::Float(_) => ColumnKind::Float,
            Self::Count(_) => ColumnKind::Count,
            Self::Flag(_) => ColumnKind::Flag,
        }
    }
}

/// A named column of the snapshot table.
#[derive(Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
    /// The value may be absent (Parquet nullable).
    pub nullable: bool,
    extract: fn(&FeatureSnapshot) -> ColumnValue,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Column")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("nullable", &self.nullable)
            .finish()
    }
}

impl Column {
    const fn new(
        name: &'static str,
        kind: ColumnKind,
        nullable: bool,
        extract: fn(&FeatureSnapshot) -> ColumnValue,
    ) -> Self {
        Self {
            name,
            kind,
            nullable,
            extract,
        }
    }

    /// This column's value in `snapshot`.
    #[inline]
    pub fn value(&self, snapshot: &FeatureSnapshot) -> ColumnValue {
        (self.extract)(snapshot)
    }
}

use ColumnKind as K;
use ColumnValue as V;

fn some_ts(stamp: UnixNanos) -> V {
    V::Timestamp(Some(stamp))
}

fn some_price(price: Price) -> V {
    V::Price(Some(price))
}

fn some_quantity(quantity: Quantity) -> V {
    V::Quantity(Some(quantity))
}

macro_rules! profile_columns {
    ($prefix:literal, $field:ident) => {
        [
            Column::new(concat!($prefix, "valid"), K::Flag, false, |s| {
                V::Flag(s.$field.valid)
            }),
            Column::new(concat!($prefix, "poc"), K::Price, true, |s| {
                V::Price(s.$field.poc)
            }),
            Column::new(concat!($prefix, "poc_mid"), K::Price, true, |s| {
                V::Price(s.$field.poc_mid)
            }),
            Column::new(concat!($prefix, "val"), K::Price, true, |s| {
                V::Price(s.$field.val)
            }),
            Column::new(concat!($prefix, "vah"), K::Price, true, |s| {
                V::Price(s.$field.vah)
            }),
            Column::new(concat!($prefix, "bin_width"), K::Price, true, |s| {
                V::Price(s.$field.bin_width)
            }),
            Column::new(
                concat!($prefix, "required_bin_width"),
                K::Price,
                true,
                |s| V::Price(s.$field.required_bin_width),
            ),
            Column::new(concat!($prefix, "bins_spanned"), K::Count, false, |s| {
                V::Count(u64::from(s.$field.bins_spanned))
            }),
            Column::new(concat!($prefix, "volume"), K::Quantity, false, |s| {
                some_quantity(s.$field.volume)
            }),
            Column::new(
                concat!($prefix, "value_area_volume"),
                K::Quantity,
                false,
                |s| some_quantity(s.$field.value_area_volume),
            ),
            Column::new(concat!($prefix, "rebuilt"), K::Flag, false, |s| {
                V::Flag(s.$field.rebuilt)
            }),
        ]
    };
}

const BASE_COLUMNS: [Column; 41] = [
    Column::new("ts", K::Timestamp, false, |s| some_ts(s.ts)),
    Column::new("bar_open_ts", K::Timestamp, false, |s| {
        some_ts(s.bar.ts_open)
    }),
    Column::new("open", K::Price, false, |s| some_price(s.bar.open)),
    Column::new("high", K::Price, false, |s| some_price(s.bar.high)),
    Column::new("low", K::Price, false, |s| some_price(s.bar.low)),
    Column::new("close", K::Price, false, |s| some_price(s.bar.close)),
    Column::new("volume", K::Quantity, false, |s| {
        some_quantity(s.bar.volume)
    }),
    Column::new("vwap", K::Price, false, |s| some_price(s.bar.vwap)),
    Column::new("buy_volume", K::Quantity, false, |s| {
        some_quantity(s.bar.buy_volume)
    }),
    Column::new("sell_volume", K::Quantity, false, |s| {
        some_quantity(s.bar.sell_volume)
    }),
    Column::new("trade_count", K::Count, false, |s| {
        V::Count(s.bar.trade_count)
    }),
    Column::new("bars_seen", K::Count, false, |s| V::Count(s.bars_seen)),
    Column::new("warmed_up", K::Flag, false, |s| V::Flag(s.warmed_up)),
    Column::new("log_return", K::Float, false, |s| {
        V::Float(Some(s.log_return))
    }),
    Column::new("sigma_240", K::Float, true, |s| V::Float(s.sigma_240)),
    Column::new("bid_price", K::Price, true, |s| V::Price(s.bid_price)),
    Column::new("bid_size", K::Quantity, true, |s| V::Quantity(s.bid_size)),
    Column::new("ask_price", K::Price, true, |s| V::Price(s.ask_price)),
    Column::new("ask_size", K::Quantity, true, |s| V::Quantity(s.ask_size)),
    Column::new("quote_ts_recv", K::Timestamp, true, |s| {
        V::Timestamp(s.quote_ts_recv)
    }),
    Column::new("spread", K::Price, true, |s| V::Price(s.spread)),
    Column::new("typical_spread", K::Price, true, |s| {
        V::Price(s.typical_spread)
    }),
    Column::new("of_1m", K::Quantity, false, |s| some_quantity(s.of_1m)),
    Column::new("of_norm", K::Float, true, |s| V::Float(s.of_norm)),
    Column::new("of_abs_median", K::Float, true, |s| {
        V::Float(s.of_abs_median)
    }),
    Column::new("qimb_close", K::Float, true, |s| V::Float(s.qimb_close)),
    Column::new("qimb_mean_1m", K::Float, true, |s| V::Float(s.qimb_mean_1m)),
    Column::new("initiative_buy", K::Flag, false, |s| {
        V::Flag(s.signals.initiative_buy)
    }),
    Column::new("initiative_sell", K::Flag, false, |s| {
        V::Flag(s.signals.initiative_sell)
    }),
    Column::new("qimb_aligned_buy", K::Flag, false, |s| {
        V::Flag(s.signals.qimb_aligned_buy)
    }),
    Column::new("qimb_aligned_sell", K::Flag, false, |s| {
        V::Flag(s.signals.qimb_aligned_sell)
    }),
    Column::new("dual_confirmation", K::Flag, false, |s| {
        V::Flag(s.signals.dual_confirmation)
    }),
    Column::new("confirmed_buy", K::Flag, false, |s| {
        V::Flag(s.signals.confirmed_buy)
    }),
    Column::new("confirmed_sell", K::Flag, false, |s| {
        V::Flag(s.signals.confirmed_sell)
    }),
    Column::new("ambiguous_trade_frac_1m", K::Float, false, |s| {
        V::Float(Some(s.ambiguous_trade_frac_1m))
    }),
    Column::new("quote_rule_ambiguous_frac_1m", K::Float, false, |s| {
        V::Float(Some(s.quote_rule_ambiguous_frac_1m))
    }),
    Column::new("unclassified_volume", K::Quantity, false, |s| {
        some_quantity(s.unclassified_volume)
    }),
    Column::new("aggregated_trades", K::Count, false, |s| {
        V::Count(s.aggregated_trades)
    }),
    Column::new("stale_quote_trades", K::Count, false, |s| {
        V::Count(s.stale_quote_trades)
    }),
    Column::new("labelled_trades", K::Count, false, |s| {
        V::Count(s.labelled_trades)
    }),
    Column::new("inference_correct", K::Count, false, |s| {
        V::Count(s.inference_correct)
    }),
];

const PROFILE_COLUMNS: [Column; 11] = profile_columns!("profile_", profile);
const PRIOR_PROFILE_COLUMNS: [Column; 11] = profile_columns!("prior_profile_", prior_profile);

/// Number of snapshot columns.
pub const COLUMN_COUNT: usize =
    BASE_COLUMNS.len() + PROFILE_COLUMNS.len() + PRIOR_PROFILE_COLUMNS.len();

/// The snapshot table's columns, in storage order.
pub const COLUMNS: [Column; COLUMN_COUNT] = {
    let mut columns = [BASE_COLUMNS[0]; COLUMN_COUNT];
    let base = BASE_COLUMNS.len();
    let mut index = 0;
    while index < base {
        columns[index] = BASE_COLUMNS[index];
        index += 1;
    }
    let mut offset = 0;
    while offset < PROFILE_COLUMNS.len() {
        columns[base + offset] = PROFILE_COLUMNS[offset];
        columns[base + PROFILE_COLUMNS.len() + offset] = PRIOR_PROFILE_COLUMNS[offset];
        offset += 1;
    }
    columns
};

impl FeatureSnapshot {
    /// All column values in [`COLUMNS`] order (no allocation).
    pub fn values(&self) -> [ColumnValue; COLUMN_COUNT] {
        COLUMNS.map(|column| column.value(self))
    }

    /// A hand-made snapshot for tests of snapshot consumers (research features, strategies):
    /// the minute 00:00–00:01 of 1970 with one buy trade of 1 unit at 100, a valid profile
    /// whose POC is 100, no quotes, not warmed up. Set the fields a test needs on top.
    pub fn sample_minute() -> FeatureSnapshot {
        // 100 in the fixed-point scale of 10^9.
        let price = Price::from_raw(100_000_000_000);
        FeatureSnapshot {
            ts: UnixNanos(60_000_000_000),
            bar: Bar {
                ts_open: UnixNanos(0),
                ts_event: UnixNanos(60_000_000_000),
                ts_recv: UnixNanos(60_000_000_000),
                open: price,
                high: price,
                low: price,
                close: price,
                volume: Quantity::ONE,
                vwap: price,
                buy_volume: Quantity::ONE,
                sell_volume: Quantity::ZERO,
                trade_count: 1,
            },
            bars_seen: 1,
            warmed_up: false,
            log_return: 0.0,
            sigma_240: None,
            bid_price: None,
            bid_size: None,
            ask_price: None,
            ask_size: None,
            quote_ts_recv: None,
            spread: None,
            typical_spread: None,
            of_1m: Quantity::ONE,
            of_norm: Some(1.0),
            of_abs_median: None,
            qimb_close: None,
            qimb_mean_1m: None,
            signals: OrderFlowSignals::default(),
            ambiguous_trade_frac_1m: 0.0,
            quote_rule_ambiguous_frac_1m: 0.0,
            unclassified_volume: Quantity::ZERO,
            aggregated_trades: 1,
            stale_quote_trades: 0,
            labelled_trades: 0,
            inference_correct: 0,
            profile: ProfileLevels {
                poc: Some(price),
                valid: true,
                ..ProfileLevels::default()
            },
            prior_profile: ProfileLevels::default(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> FeatureSnapshot {
        FeatureSnapshot::sample_minute()
    }

    #[test]
    fn column_names_are_unique_and_values_match_kinds() {
        let snapshot = sample();
        let values = snapshot.values();
        let mut names: Vec<&str> = COLUMNS.iter().map(|column| column.name).collect();
        assert!(names.iter().all(|name| !name.is_empty()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COLUMN_COUNT);
        for (column, value) in COLUMNS.iter().zip(values.iter()) {
            assert_eq!(column.kind, value.kind(), "{}", column.name);
        }
    }

    #[test]
    fn columns_read_the_right_fields() {
        let snapshot = sample();
        let find = |name: &str| {
            COLUMNS
                .iter()
                .find(|column| column.name == name)
                .unwrap()
                .value(&snapshot)
        };
        assert_eq!(find("ts"), V::Timestamp(Some(UnixNanos(60_000_000_000))));
        assert_eq!(
            find("close"),
            V::Price(Some(Price::from_units(100).unwrap()))
        );
        assert_eq!(
            find("profile_poc"),
            V::Price(Some(Price::from_units(100).unwrap()))
        );
        assert_eq!(find("profile_valid"), V::Flag(true));
        assert_eq!(find("prior_profile_valid"), V::Flag(false));
        assert_eq!(find("of_norm"), V::Float(Some(1.0)));
        assert_eq!(COLUMNS[0].name, "ts");
        assert_eq!(COLUMNS[COLUMN_COUNT - 1].name, "prior_profile_rebuilt");
    }
}
