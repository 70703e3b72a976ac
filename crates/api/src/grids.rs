//! Grid results (SPEC 6: every combination's parameters and metrics in `grid.db`) as JSON:
//! the grids of every configured database and one grid's rows, filtered and sorted by the
//! backtest crate's one query implementation (the same as `grid list --where --sort`).

use std::collections::BTreeSet;

use auction_trader_backtest::grid::query::{Condition, ResultRow, select};
use auction_trader_storage::{GridDb, GridInfo};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::library::{Library, check_name};

/// One grid in the list.
#[derive(Debug, Serialize)]
pub struct GridListing {
    pub grid_id: String,
    pub label: String,
    pub sweep: String,
    pub combinations: u64,
    pub finished: u64,
}

/// Every grid of every database (a grid id found twice: the first database wins).
pub fn list_grids(library: &Library) -> Result<Vec<GridListing>, ApiError> {
    let mut listings: Vec<GridListing> = Vec::new();
    for path in library.existing_grid_dbs() {
        let db = GridDb::open(path).map_err(ApiError::internal)?;
        for grid in db.grids().map_err(ApiError::internal)? {
            if listings
                .iter()
                .all(|listing| listing.grid_id != grid.grid_id)
            {
                listings.push(listing(grid));
            }
        }
    }
    Ok(listings)
}

fn listing(grid: GridInfo) -> GridListing {
    GridListing {
        grid_id: grid.grid_id,
        label: grid.label,
        sweep: grid.sweep,
        combinations: grid.combinations,
        finished: grid.finished,
    }
}

/// Sort direction of grid rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Largest first (rows without the value last), as `grid list --sort`.
    #[default]
    Descending,
    /// Smallest first (rows without the value still last).
    Ascending,
}

impl Order {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "desc" => Ok(Self::Descending),
            "asc" => Ok(Self::Ascending),
            other => Err(ApiError::BadRequest(format!(
                "order {other:?}: expected asc or desc"
            ))),
        }
    }
}

/// What a rows request asks for.
#[derive(Debug, Clone, Default)]
pub struct RowsRequest {
    pub sort: Option<String>,
    pub order: Order,
    /// `name op value` conditions (as `grid list --where`).
    pub conditions: Vec<String>,
    pub limit: Option<usize>,
}

/// One combination.
#[derive(Debug, Serialize)]
pub struct RowJson {
    pub run_id: String,
    pub seq: u64,
    pub params: Map<String, Value>,
    pub metrics: Map<String, Value>,
    /// Whether a run directory of this name exists (the detail view can open it).
    pub has_run: bool,
}

/// One grid's rows.
#[derive(Debug, Serialize)]
pub struct GridRows {
    pub grid: GridListing,
    /// Parameter and metric names over every row, sorted.
    pub params: Vec<String>,
    pub metrics: Vec<String>,
    /// Rows that meet the conditions, in the order asked for.
    pub rows: Vec<RowJson>,
}

/// The rows of grid `grid_id`.
pub fn grid_rows(
    library: &Library,
    grid_id: &str,
    request: &RowsRequest,
) -> Result<GridRows, ApiError> {
    check_name(grid_id, "grid")?;
    let conditions = request
        .conditions
        .iter()
        .map(|text| Condition::parse(text).map_err(|error| ApiError::BadRequest(error.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    for path in library.existing_grid_dbs() {
        let db = GridDb::open(path).map_err(ApiError::internal)?;
        let Some(grid) = db
            .grids()
            .map_err(ApiError::internal)?
            .into_iter()
            .find(|grid| grid.grid_id == grid_id)
        else {
            continue;
        };
        let stored = db.rows(grid_id).map_err(ApiError::internal)?;
        let mut rows = select(&stored, &conditions, request.sort.as_deref())
            .map_err(|error| ApiError::BadRequest(error.to_string()))?;
        if request.order == Order::Ascending
            && let Some(name) = &request.sort
        {
            sort_ascending(&mut rows, name);
        }
        if let Some(limit) = request.limit {
            rows.truncate(limit);
        }
        let params: BTreeSet<String> = rows
            .iter()
            .flat_map(|row| row.params.keys().cloned())
            .collect();
        let metrics: BTreeSet<String> = rows
            .iter()
            .flat_map(|row| row.metrics.keys().cloned())
            .collect();
        let run_names = library.run_names()?;
        return Ok(GridRows {
            grid: listing(grid),
            params: params.into_iter().collect(),
            metrics: metrics.into_iter().collect(),
            rows: rows
                .into_iter()
                .map(|row| RowJson {
                    has_run: run_names.contains(&row.run_id),
                    run_id: row.run_id,
                    seq: row.seq,
                    params: row.params,
                    metrics: row.metrics,
                })
                .collect(),
        });
    }
    Err(ApiError::NotFound(format!("no grid named {grid_id:?}")))
}

/// Smallest first by `name`, rows without a number last, ties in sweep order.
fn sort_ascending(rows: &mut [ResultRow], name: &str) {
    let key = |row: &ResultRow| row.value(name).and_then(Value::as_f64);
    rows.sort_by(|left, right| match (key(left), key(right)) {
        (Some(a), Some(b)) => a.total_cmp(&b).then(left.seq.cmp(&right.seq)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => left.seq.cmp(&right.seq),
    });
}
