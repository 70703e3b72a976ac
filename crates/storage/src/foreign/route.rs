//! Routing a Parquet input to the right foreign-file reader (SPEC 1.2: Crypto-Lake-like
//! schemas; plus the Hyperliquid and Nautilus sample layouts).

use std::path::Path;

use auction_trader_data::import::format::ImportOptions;
use auction_trader_data::{DataError, EventSink, ImportSummary};
use auction_trader_types::{InstrumentKey, MarketKind};

use super::check_readable;
use super::crypto_lake::{LakeOptions, import_crypto_lake};
use super::hyperliquid::{HyperliquidOptions, import_hyperliquid_trades};
use super::nautilus::{import_nautilus_quotes, import_nautilus_trades};

/// Imports one Parquet file: Hyperliquid fills by their folder/name, Nautilus sample tables by
/// their `<venue>_<market>_<symbol>_{trades|quotes}_<date>` names, anything else as a
/// Crypto-Lake table (whose columns say which one).
pub fn import_parquet_file(
    path: &Path,
    options: &ImportOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    // A corrupt file says so, whatever its name suggests.
    check_readable(path)?;
    let lower = path.to_string_lossy().to_ascii_lowercase();
    let name = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if lower.contains("hyperliquid") {
        return import_hyperliquid_trades(path, HyperliquidOptions::default(), sink);
    }
    let parts: Vec<&str> = name.split('_').collect();
    if let [venue, market, symbol, table, _date] = parts.as_slice()
        && (*table == "trades" || *table == "quotes")
    {
        let market_kind = MarketKind::parse(market).unwrap_or(MarketKind::Spot);
        let venue_name = options
            .venue
            .clone()
            .unwrap_or_else(|| format!("{venue}-{market}"));
        let symbol_name = options
            .symbol
            .clone()
            .unwrap_or_else(|| symbol.to_ascii_uppercase());
        let instrument = InstrumentKey::new(
            venue_name,
            symbol_name,
            options.market.unwrap_or(market_kind),
        );
        return if *table == "trades" {
            import_nautilus_trades(path, &instrument, sink)
        } else {
            import_nautilus_quotes(path, &instrument, sink)
        };
    }
    let (Some(venue), Some(symbol)) = (&options.venue, &options.symbol) else {
        return Err(DataError::InvalidInput {
            path: path.to_path_buf(),
            message: "a Crypto-Lake-style Parquet file does not name its instrument: pass \
                      --venue and --symbol"
                .to_owned(),
        });
    };
    let instrument = InstrumentKey::new(
        venue.as_str(),
        symbol.as_str(),
        options.market.unwrap_or(MarketKind::Perpetual),
    );
    import_crypto_lake(path, &LakeOptions::new(instrument), sink)
}
