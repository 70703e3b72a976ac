//! CSV exports of the trade list and the equity curve (SPEC 6 outputs). Timestamps are RFC
//! 3339 UTC with nanoseconds, amounts are exact fixed-point decimals, text fields are quoted
//! when they hold a comma, a quote or a line break (RFC 4180).

use std::fmt::Display;
use std::io::Write;

use crate::{AnalyticsError, RunRecords};

const TRADE_HEADER: &str = "trade_id,setup,direction,signal_ts,entry_ts,entry_price,quantity,\
entry_liquidity,stop,take_profit_1,take_profit_2,exit_ts,exit_price,exit_reason,legs,\
gross_pnl,fees,funding,slippage,net_pnl";
const EQUITY_HEADER: &str = "ts,equity,cash,unrealized,position";

/// Writes one row per trade (header first). `legs` is the number of exit legs.
pub fn write_trades_csv(records: &RunRecords, writer: impl Write) -> Result<(), AnalyticsError> {
    let mut writer = std::io::BufWriter::new(writer);
    let write = |writer: &mut std::io::BufWriter<_>| -> std::io::Result<()> {
        writeln!(writer, "{TRADE_HEADER}")?;
        for trade in &records.trades {
            let fields: [&dyn Display; 20] = [
                &trade.trade_id,
                &trade.setup,
                &trade.direction,
                &trade.signal_ts,
                &trade.entry_ts,
                &trade.entry_price,
                &trade.quantity,
                &trade.entry_liquidity,
                &trade.stop,
                &Optional(trade.take_profit_1),
                &trade.take_profit_2,
                &trade.exit_ts,
                &trade.exit_price,
                &trade.exit_reason,
                &trade.legs.len(),
                &trade.gross_pnl,
                &trade.fees,
                &trade.funding,
                &trade.slippage,
                &trade.net_pnl,
            ];
            write_row(writer, &fields)?;
        }
        writer.flush()
    };
    write(&mut writer).map_err(|source| AnalyticsError::Write {
        what: "trades CSV",
        source,
    })
}

/// Writes one row per equity point (header first).
pub fn write_equity_csv(records: &RunRecords, writer: impl Write) -> Result<(), AnalyticsError> {
    let mut writer = std::io::BufWriter::new(writer);
    let write = |writer: &mut std::io::BufWriter<_>| -> std::io::Result<()> {
        writeln!(writer, "{EQUITY_HEADER}")?;
        for point in &records.equity {
            let fields: [&dyn Display; 5] = [
                &point.ts,
                &point.equity,
                &point.cash,
                &point.unrealized,
                &point.position,
            ];
            write_row(writer, &fields)?;
        }
        writer.flush()
    };
    write(&mut writer).map_err(|source| AnalyticsError::Write {
        what: "equity CSV",
        source,
    })
}

fn write_row(writer: &mut impl Write, fields: &[&dyn Display]) -> std::io::Result<()> {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            writer.write_all(b",")?;
        }
        write!(writer, "{field}")?;
    }
    writer.write_all(b"\n")
}

/// An optional value: empty when absent.
struct Optional<T>(Option<T>);

impl<T: Display> Display for Optional<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(formatter),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Money, Quantity, UnixNanos};

    use super::*;
    use crate::EquityPoint;
    use crate::test_support::sample_records;

    #[test]
    fn trades_csv_round_trips_through_a_csv_reader() {
        // Categorical fields are typed names (never commas or quotes): written as they are.
        let records = sample_records();
        let mut bytes = Vec::new();
        write_trades_csv(&records, &mut bytes).unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().unwrap().len(), 20);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), records.trades.len());
        assert_eq!(&rows[0][1], "break_in");
        assert_eq!(&rows[0][13], "take_profit_2");
        assert_eq!(&rows[0][3], records.trades[0].signal_ts.to_string());
        assert_eq!(
            rows[0][19].parse::<Money>().unwrap(),
            records.trades[0].net_pnl
        );
        assert_eq!(&rows[0][9], "");
    }

    #[test]
    fn equity_csv_has_one_row_per_point() {
        let mut records = sample_records();
        records.equity = vec![EquityPoint {
            ts: UnixNanos(60_000_000_000),
            equity: Money::from_decimal_str("1000.5").unwrap(),
            cash: Money::from_decimal_str("1000").unwrap(),
            unrealized: Money::from_decimal_str("0.5").unwrap(),
            position: Quantity::from_decimal_str("-0.25").unwrap(),
        }];
        let mut bytes = Vec::new();
        write_equity_csv(&records, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "ts,equity,cash,unrealized,position\n\
             1970-01-01T00:01:00.000000000Z,1000.5,1000,0.5,-0.25\n"
        );
    }
}
