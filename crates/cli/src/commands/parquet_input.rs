//! Routing Parquet inputs to the storage crate's foreign-file readers (SPEC 1.2:
//! Crypto-Lake-like schemas; plus the Hyperliquid and Nautilus sample layouts).

use std::path::Path;

use auction_trader_data::import::format::ImportOptions;
use auction_trader_data::{EventSink, ImportSummary};
use auction_trader_storage::foreign::check_readable;
use auction_trader_storage::foreign::crypto_lake::{LakeOptions, import_crypto_lake};
use auction_trader_storage::foreign::hyperliquid::{HyperliquidOptions, import_hyperliquid_trades};
use auction_trader_storage::foreign::nautilus::{import_nautilus_quotes, import_nautilus_trades};
use auction_trader_types::{InstrumentKey, MarketKind};

/// Imports one Parquet file: Hyperliquid fills by their folder/name, Nautilus sample tables by
/// their `<venue>_<market>_<symbol>_{trades|quotes}_<date>` names, anything else as a
/// Crypto-Lake table (whose columns say which one).
pub fn import_parquet_file(
    path: &Path,
    options: &ImportOptions,
    sink: &mut dyn EventSink,
) -> anyhow::Result<ImportSummary> {
    // A corrupt file says so, whatever its name suggests.
    check_readable(path)?;
    let lower = path.to_string_lossy().to_ascii_lowercase();
    let name = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if lower.contains("hyperliquid") {
        return Ok(import_hyperliquid_trades(
            path,
            HyperliquidOptions::default(),
            sink,
        )?);
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
        return Ok(if *table == "trades" {
            import_nautilus_trades(path, &instrument, sink)?
        } else {
            import_nautilus_quotes(path, &instrument, sink)?
        });
    }
    let (Some(venue), Some(symbol)) = (&options.venue, &options.symbol) else {
        anyhow::bail!(
            "{}: a Crypto-Lake-style Parquet file does not name its instrument: pass --venue and --symbol",
            path.display()
        );
    };
    let instrument = InstrumentKey::new(
        venue.as_str(),
        symbol.as_str(),
        options.market.unwrap_or(MarketKind::Perpetual),
    );
    Ok(import_crypto_lake(
        path,
        &LakeOptions::new(instrument),
        sink,
    )?)
}
