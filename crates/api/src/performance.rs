//! A run's performance views (SPEC 8): P&L by day, week and month (exact decimal strings), the
//! drawdown curve and the rolling Sharpe ratio of daily returns, from the run's equity curve
//! and trades as the analytics crate defines them.

use auction_trader_analytics::daily_equity;
use auction_trader_analytics::periods::{
    Period, PeriodPnl, drawdown_curve, period_pnl, rolling_sharpe,
};
use auction_trader_types::RunRecords;
use serde::Serialize;

use crate::runs::{ColumnsWriter, seconds};

/// Days in the rolling Sharpe window.
pub const SHARPE_WINDOW_DAYS: usize = 7;

/// One period's row.
#[derive(Debug, Serialize)]
pub struct PeriodJson {
    pub start: String,
    pub pnl: String,
    pub end_equity: String,
    pub trades: usize,
}

impl From<PeriodPnl> for PeriodJson {
    fn from(row: PeriodPnl) -> Self {
        Self {
            start: row.start,
            pnl: row.pnl.to_string(),
            end_equity: row.end_equity.to_string(),
            trades: row.trades,
        }
    }
}

/// The periods of a run.
#[derive(Debug, Serialize)]
pub struct Periods {
    pub day: Vec<PeriodJson>,
    pub week: Vec<PeriodJson>,
    pub month: Vec<PeriodJson>,
}

/// The `performance` answer: periods, and the drawdown and rolling-Sharpe series as columns
/// (one drawdown point per second at most, the last of each second, as the equity chart).
pub fn performance(records: &RunRecords) -> String {
    let day_ends = daily_equity(&records.equity);
    let rows = |period| {
        period_pnl(records.initial_equity, &day_ends, &records.trades, period)
            .into_iter()
            .map(PeriodJson::from)
            .collect()
    };
    let periods = Periods {
        day: rows(Period::Day),
        week: rows(Period::Week),
        month: rows(Period::Month),
    };
    let mut drawdown = drawdown_curve(records.initial_equity, &records.equity);
    drawdown.dedup_by(|later, earlier| {
        let same = seconds(later.0) == seconds(earlier.0);
        if same {
            *earlier = *later;
        }
        same
    });
    let sharpe = rolling_sharpe(records.initial_equity, &day_ends, SHARPE_WINDOW_DAYS);
    let drawdown_columns = ColumnsWriter::new()
        .numbers("time", drawdown.iter().map(|(ts, _)| Some(seconds(*ts))))
        .numbers(
            "drawdown",
            drawdown
                .iter()
                .map(|(_, value)| Some(*value).filter(|value| value.is_finite())),
        )
        .finish();
    let sharpe_columns = ColumnsWriter::new()
        .numbers("time", sharpe.iter().map(|(ts, _)| Some(seconds(*ts))))
        .numbers(
            "sharpe",
            sharpe
                .iter()
                .map(|(_, value)| value.filter(|value| value.is_finite())),
        )
        .finish();
    format!(
        r#"{{"periods":{},"drawdown":{drawdown_columns},"rolling_sharpe":{{"window_days":{SHARPE_WINDOW_DAYS},"series":{sharpe_columns}}}}}"#,
        serde_json::to_string(&periods).unwrap_or_else(|_| "null".to_owned()),
    )
}
