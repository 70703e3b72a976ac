//! The command line's input-file options, turned into import options and the storage
//! crate's import jobs (formats detected, consecutive files of one format grouped).

use std::path::PathBuf;

use anyhow::Context;
use auction_trader_data::import::bars_csv::BarLabel;
use auction_trader_data::import::format::{ImportFormat, ImportOptions};
use auction_trader_data::import::generic_csv::{Column, CsvMapping};
use auction_trader_storage::{ImportJob, plan_jobs};
use auction_trader_types::MarketKind;
use clap::Args;
use clap::builder::PossibleValuesParser;

/// `auto` and every format name, listed by `--help` and checked by clap.
pub fn format_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        std::iter::once("auto").chain(ImportFormat::NAMES.iter().map(|(name, _)| *name)),
    )
}

/// Options shared by `import` and `validate`.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Input files (plain, .gz or .zip). Consecutive files of one format form one job.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Input format, or `auto` to detect it per file (a `time,price,qty[,side]` header is
    /// read as generic CSV without a mapping).
    #[arg(long, default_value = "auto", value_parser = format_names())]
    pub format: String,
    /// Venue override (e.g. binance-spot); required for formats whose files do not say.
    #[arg(long)]
    pub venue: Option<String>,
    /// Symbol override.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Market override: perp, spot or future.
    #[arg(long)]
    pub market: Option<String>,
    /// Generic CSV: timestamp column (name or 0-based index).
    #[arg(long)]
    pub timestamp_column: Option<String>,
    /// Generic CSV: price column (name or 0-based index).
    #[arg(long)]
    pub price_column: Option<String>,
    /// Generic CSV: size column (name or 0-based index).
    #[arg(long)]
    pub size_column: Option<String>,
    /// Generic CSV: taker-side column (buy/sell, b/s, ...), optional (name or index).
    #[arg(long)]
    pub side_column: Option<String>,
    /// Generic CSV: trade-id column, optional, enables de-duplication (name or index).
    #[arg(long)]
    pub id_column: Option<String>,
    /// OHLCV CSV: whether row timestamps name the bar's `open` (default) or its `close`.
    #[arg(long, default_value = "open")]
    pub bar_label: String,
}

impl InputArgs {
    /// Files with every option on auto (format detection, venue defaults).
    pub fn for_files(files: Vec<PathBuf>) -> Self {
        Self {
            files,
            format: "auto".to_owned(),
            venue: None,
            symbol: None,
            market: None,
            timestamp_column: None,
            price_column: None,
            size_column: None,
            side_column: None,
            id_column: None,
            bar_label: "open".to_owned(),
        }
    }

    pub fn options(&self) -> anyhow::Result<ImportOptions> {
        let market = self
            .market
            .as_deref()
            .map(MarketKind::parse)
            .transpose()
            .context("--market")?;
        let csv_mapping = match (
            &self.timestamp_column,
            &self.price_column,
            &self.size_column,
        ) {
            (Some(timestamp), Some(price), Some(size)) => {
                let mut mapping = CsvMapping::new(
                    Column::parse(timestamp),
                    Column::parse(price),
                    Column::parse(size),
                );
                if let Some(side) = &self.side_column {
                    mapping = mapping.with_side(Column::parse(side));
                }
                if let Some(id) = &self.id_column {
                    mapping = mapping.with_id(Column::parse(id));
                }
                Some(mapping)
            }
            (None, None, None) => None,
            _ => anyhow::bail!(
                "a CSV mapping needs all of --timestamp-column, --price-column and --size-column"
            ),
        };
        let bar_label = BarLabel::parse(&self.bar_label).with_context(|| {
            format!(
                "--bar-label must be open or close, got {:?}",
                self.bar_label
            )
        })?;
        Ok(ImportOptions {
            venue: self.venue.clone(),
            symbol: self.symbol.clone(),
            market,
            csv_mapping,
            bar_label,
        })
    }

    /// Detects formats and groups consecutive files of the same format (captures only when
    /// they record the same instruments).
    pub fn jobs(&self) -> anyhow::Result<Vec<ImportJob>> {
        let options = self.options()?;
        let forced = match self.format.as_str() {
            "auto" => None,
            name => Some(ImportFormat::parse(name)?),
        };
        Ok(plan_jobs(&self.files, forced, &options)?)
    }
}
