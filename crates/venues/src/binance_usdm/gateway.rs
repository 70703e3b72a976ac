//! The trading side of Binance USD-M as [`TradingGateway`]: orders go out on a worker thread
//! over signed REST (`send` never blocks the trading loop); reports come from the user-data
//! stream (`/ws/<listenKey>`, kept alive every 30 minutes, reopened with a new key when it
//! expires or drops); REST refusals become `Rejected` / `CancelRejected` reports; the
//! position for reconciliation is read from `GET /fapi/v2/positionRisk`, an order's record
//! after a restart from `GET /fapi/v1/order` and `GET /fapi/v1/userTrades` (SPEC 7).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use auction_trader_types::{
    ExecutionReport, Fill, Liquidity, Money, OrderCommand, OrderId, OrderSide, Price, Quantity,
    RejectReason, UnixNanos,
};

use super::common::Backoff;
use super::config::{Credentials, GatewayOptions};
use super::http::{OrderResponse, RestClient, UserTrade};
use super::websocket::{AccountPosition, Read, UserEvent, connect, parse_user_event, read_message};
use crate::{
    ClientIds, Clock, Endpoints, TradingGateway, VenueError, VenueOrder, VenueOrderStatus,
    VenuePosition,
};

/// Binance's order error codes that have a reason of ours.
fn reject_reason(code: i64) -> RejectReason {
    match code {
        // "Order would immediately match and take" (GTX).
        -5022 => RejectReason::PostOnlyWouldCross,
        // "ReduceOnly Order is rejected."
        -2022 => RejectReason::NothingToReduce,
        // Quantity below minimum / not a step multiple / above maximum.
        -4003 | -4005 | -4023 | -4164 => RejectReason::InvalidQuantity,
        // Price below minimum / above maximum / not a tick multiple.
        -4013 | -4014 | -4016 | -4024 => RejectReason::InvalidPrice,
        // "ClientOrderId is duplicated."
        -4116 => RejectReason::DuplicateId,
        _ => RejectReason::VenueRefused,
    }
}

/// Shared between the gateway, its order worker and its user-stream thread.
struct Shared {
    rest: Mutex<RestClient>,
    symbol: String,
    ids: ClientIds,
    clock: Arc<dyn Clock>,
    reports: Sender<ExecutionReport>,
    /// Failures that produced no report (network errors: the order's fate is unknown until
    /// the next reconciliation), in arrival order.
    errors: Mutex<Vec<VenueError>>,
    account_position: Mutex<Option<AccountPosition>>,
    stop: AtomicBool,
}

impl Shared {
    fn rest(&self) -> MutexGuard<'_, RestClient> {
        // A panic in another thread while holding the lock leaves a usable client.
        self.rest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note_error(&self, error: VenueError) {
        self.errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(error);
    }
}

/// A connected Binance USD-M trading gateway for one symbol.
pub struct Gateway {
    shared: Arc<Shared>,
    commands: Option<Sender<(UnixNanos, OrderCommand)>>,
    reports: Receiver<ExecutionReport>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Gateway")
            .field("symbol", &self.shared.symbol)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Opens a user-data stream (listen key) and starts the order worker. Credentials come
    /// from [`Credentials::from_env`] in the product.
    pub fn connect(
        endpoints: &Endpoints,
        credentials: Credentials,
        symbol: &str,
        clock: Arc<dyn Clock>,
        options: GatewayOptions,
    ) -> Result<Self, VenueError> {
        let ids = ClientIds::new(&options.client_id_prefix)?;
        let mut rest = RestClient::new(
            &endpoints.rest,
            Some(credentials),
            Arc::clone(&clock),
            options.recv_window_ms,
            options.rest_weight_limit,
        );
        let listen_key = rest.create_listen_key()?;
        let (report_sender, reports) = channel();
        let shared = Arc::new(Shared {
            rest: Mutex::new(rest),
            symbol: symbol.to_ascii_uppercase(),
            ids,
            clock,
            reports: report_sender,
            errors: Mutex::new(Vec::new()),
            account_position: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let (commands, queue) = channel();
        let worker_shared = Arc::clone(&shared);
        let order_worker = std::thread::Builder::new()
            .name(format!("binance-usdm-orders-{symbol}"))
            .spawn(move || order_worker(&worker_shared, &queue))
            .map_err(spawn_error)?;
        let stream_shared = Arc::clone(&shared);
        let websocket = endpoints.websocket.trim_end_matches('/').to_owned();
        let user_stream = std::thread::Builder::new()
            .name(format!("binance-usdm-user-{symbol}"))
            .spawn(move || user_stream(&stream_shared, &websocket, listen_key, &options))
            .map_err(spawn_error)?;
        Ok(Self {
            shared,
            commands: Some(commands),
            reports,
            threads: vec![order_worker, user_stream],
        })
    }

    /// Failures that gave no report since the last call (network errors of order requests).
    pub fn take_errors(&self) -> Vec<VenueError> {
        std::mem::take(
            &mut *self
                .shared
                .errors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The position of the last `ACCOUNT_UPDATE` (None before the first one).
    pub fn streamed_position(&self) -> Option<AccountPosition> {
        self.shared
            .account_position
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The venue's open orders of the symbol (REST, for reconciliation).
    pub fn open_orders(&self) -> Result<Vec<OrderResponse>, VenueError> {
        self.shared.rest().open_orders(&self.shared.symbol)
    }
}

fn spawn_error(error: std::io::Error) -> VenueError {
    VenueError::Transport {
        context: "spawn a gateway thread".to_owned(),
        reason: error.to_string(),
    }
}

impl TradingGateway for Gateway {
    fn send(&mut self, now: UnixNanos, command: OrderCommand) -> Result<(), VenueError> {
        self.commands
            .as_ref()
            .and_then(|commands| commands.send((now, command)).ok())
            .ok_or_else(|| VenueError::Stopped {
                context: "binance-usdm gateway".to_owned(),
            })
    }

    fn drain_reports(&mut self, out: &mut Vec<ExecutionReport>) {
        out.extend(self.reports.try_iter());
    }

    fn position(&mut self) -> Result<VenuePosition, VenueError> {
        let rows = self.shared.rest().position_risk(&self.shared.symbol)?;
        let mut net: i128 = 0;
        for row in rows
            .iter()
            .filter(|row| row.symbol.eq_ignore_ascii_case(&self.shared.symbol))
        {
            let amount = Quantity::from_decimal_str(&row.position_amt).map_err(|error| {
                VenueError::Protocol {
                    context: "GET /fapi/v2/positionRisk".to_owned(),
                    reason: error.to_string(),
                }
            })?;
            net += amount.raw();
        }
        Ok(VenuePosition {
            quantity: Quantity::from_raw(net),
        })
    }

    fn order_record(&mut self, order_id: OrderId) -> Result<Option<VenueOrder>, VenueError> {
        let order =
            match self
                .shared
                .rest()
                .query_order(&self.shared.symbol, order_id, &self.shared.ids)
            {
                Ok(order) => order,
                // "Order does not exist."
                Err(VenueError::Rejected { code: -2013, .. }) => return Ok(None),
                Err(error) => return Err(error),
            };
        let executed = decimal(
            Quantity::from_decimal_str,
            &order.executed_qty,
            "executedQty",
        )?;
        let trades = if executed.is_zero() {
            Vec::new()
        } else {
            self.shared
                .rest()
                .order_trades(&self.shared.symbol, order.order_id)?
        };
        venue_order(order_id, &order, &trades).map(Some)
    }
}

/// A decimal field of a REST answer.
fn decimal<T, E: std::fmt::Display>(
    parse: impl FnOnce(&str) -> Result<T, E>,
    text: &str,
    field: &str,
) -> Result<T, VenueError> {
    parse(text).map_err(|error| VenueError::Protocol {
        context: format!("binance-usdm {field}"),
        reason: error.to_string(),
    })
}

/// Our order's record from `GET /fapi/v1/order` and its `userTrades` (any order, ascending
/// by trade id; fills carry the leaves after each).
fn venue_order(
    order_id: OrderId,
    order: &OrderResponse,
    trades: &[UserTrade],
) -> Result<VenueOrder, VenueError> {
    let status = match order.status.as_str() {
        "NEW" | "PARTIALLY_FILLED" => VenueOrderStatus::Open,
        "FILLED" => VenueOrderStatus::Filled,
        "CANCELED" | "EXPIRED" | "EXPIRED_IN_MATCH" => VenueOrderStatus::Canceled,
        "REJECTED" => VenueOrderStatus::Rejected,
        other => {
            return Err(VenueError::Protocol {
                context: "binance-usdm GET /fapi/v1/order".to_owned(),
                reason: format!("unknown order status {other:?}"),
            });
        }
    };
    let ordered = decimal(Quantity::from_decimal_str, &order.orig_qty, "origQty")?;
    let mut trades: Vec<&UserTrade> = trades
        .iter()
        .filter(|trade| trade.order_id == order.order_id)
        .collect();
    trades.sort_by_key(|trade| (trade.time, trade.id));
    let mut filled = Quantity::ZERO;
    let mut fills = Vec::with_capacity(trades.len());
    for trade in trades {
        let quantity = decimal(Quantity::from_decimal_str, &trade.qty, "qty")?;
        filled = filled.saturating_add(quantity);
        fills.push(Fill {
            order_id,
            ts: UnixNanos(trade.time.saturating_mul(1_000_000)),
            side: if trade.side.eq_ignore_ascii_case("BUY") {
                OrderSide::Buy
            } else {
                OrderSide::Sell
            },
            price: decimal(Price::from_decimal_str, &trade.price, "price")?,
            quantity,
            liquidity: if trade.maker {
                Liquidity::Maker
            } else {
                Liquidity::Taker
            },
            fee: decimal(Money::from_decimal_str, &trade.commission, "commission")?,
            reference_mid: None,
            leaves_quantity: ordered.saturating_sub(filled),
        });
    }
    Ok(VenueOrder {
        status,
        updated: UnixNanos(order.update_time.saturating_mul(1_000_000)),
        fills,
    })
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Ends the order worker's queue.
        self.commands = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Sends each command over REST, in order; refusals become reports.
fn order_worker(shared: &Shared, queue: &Receiver<(UnixNanos, OrderCommand)>) {
    for (_, command) in queue {
        let result = match command {
            OrderCommand::Submit(order) => shared
                .rest()
                .new_order(&shared.symbol, &order, &shared.ids)
                .map(drop)
                .map_err(|error| (order.id, true, error)),
            OrderCommand::Cancel(id) => shared
                .rest()
                .cancel_order(&shared.symbol, id, &shared.ids)
                .map(drop)
                .map_err(|error| (id, false, error)),
        };
        // Accepted / Canceled come from the user-data stream.
        let Err((order_id, submit, error)) = result else {
            continue;
        };
        let ts = shared.clock.now();
        let report = match (&error, submit) {
            (VenueError::Rejected { code, .. }, true) => Some(ExecutionReport::Rejected {
                order_id,
                ts,
                reason: reject_reason(*code),
            }),
            (VenueError::Rejected { .. }, false) => {
                Some(ExecutionReport::CancelRejected { order_id, ts })
            }
            _ => None,
        };
        match report {
            Some(report) => {
                let _ = shared.reports.send(report);
            }
            None => shared.note_error(error),
        }
    }
}

/// Reads the user-data stream until stopped: reports out, keep-alive every period,
/// reconnect (with a new key after `listenKeyExpired`) with backoff.
fn user_stream(shared: &Shared, websocket: &str, mut listen_key: String, options: &GatewayOptions) {
    let poll = Duration::from_millis(options.poll_ms.max(1));
    let mut backoff = Backoff::new(&options.backoff);
    let keep_alive_nanos = i64::try_from(options.keep_alive_ms)
        .unwrap_or(i64::MAX / 1_000_000)
        .saturating_mul(1_000_000);
    let mut last_keep_alive = shared.clock.now();
    'connections: while !shared.stop.load(Ordering::SeqCst) {
        let url = format!("{websocket}/ws/{listen_key}");
        let mut socket = match connect(&url, poll) {
            Ok(socket) => socket,
            Err(error) => {
                shared.note_error(error);
                pause(shared, backoff.next_delay_ms(), poll);
                continue;
            }
        };
        backoff.reset();
        while !shared.stop.load(Ordering::SeqCst) {
            let now = shared.clock.now();
            if now.as_i64().saturating_sub(last_keep_alive.as_i64()) >= keep_alive_nanos {
                last_keep_alive = now;
                if let Err(error) = shared.rest().keep_alive_listen_key() {
                    shared.note_error(error);
                }
            }
            match read_message(&mut socket) {
                Read::Data(bytes) => match parse_user_event(&bytes, &shared.symbol, &shared.ids) {
                    Ok(events) => {
                        for event in events {
                            match event {
                                UserEvent::Report(report) => {
                                    let _ = shared.reports.send(report);
                                }
                                UserEvent::Position(position) => {
                                    *shared
                                        .account_position
                                        .lock()
                                        .unwrap_or_else(std::sync::PoisonError::into_inner) =
                                        Some(position);
                                }
                                UserEvent::ListenKeyExpired => {
                                    let _ = socket.close(None);
                                    match shared.rest().create_listen_key() {
                                        Ok(key) => listen_key = key,
                                        Err(error) => shared.note_error(error),
                                    }
                                    continue 'connections;
                                }
                            }
                        }
                    }
                    Err(error) => shared.note_error(error),
                },
                Read::Idle => {}
                Read::Closed(_) | Read::Failed(_) => {
                    pause(shared, backoff.next_delay_ms(), poll);
                    continue 'connections;
                }
            }
        }
        let _ = socket.close(None);
        let _ = socket.flush();
    }
    // Best effort: the key expires by itself after 60 minutes anyway.
    let _ = shared.rest().delete_listen_key();
}

fn pause(shared: &Shared, delay_ms: u64, step: Duration) {
    let mut left = Duration::from_millis(delay_ms);
    while !left.is_zero() && !shared.stop.load(Ordering::SeqCst) {
        let now = left.min(step);
        std::thread::sleep(now);
        left -= now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(id: u64, time: i64, qty: &str, maker: bool) -> UserTrade {
        UserTrade {
            id,
            order_id: 77,
            symbol: "BTCUSDT".to_owned(),
            side: "BUY".to_owned(),
            price: "61800.5".to_owned(),
            qty: qty.to_owned(),
            commission: if maker { "-0.00100000" } else { "0.02000000" }.to_owned(),
            commission_asset: "USDT".to_owned(),
            maker,
            time,
        }
    }

    #[test]
    fn an_order_record_lists_its_trades_in_order_with_what_each_left_open() {
        let order: OrderResponse = serde_json::from_str(
            r#"{"orderId":77,"symbol":"BTCUSDT","status":"CANCELED","clientOrderId":"at1g0-5",
                "price":"61800.5","origQty":"0.010","executedQty":"0.007","side":"BUY",
                "type":"LIMIT","timeInForce":"GTX","updateTime":1723161290000}"#,
        )
        .unwrap();
        // Out of order, and one of another order.
        let mut other = trade(9, 1_723_161_280_000, "0.001", true);
        other.order_id = 78;
        let trades = [
            trade(12, 1_723_161_285_000, "0.004", false),
            other,
            trade(11, 1_723_161_280_000, "0.003", true),
        ];
        let record = venue_order(OrderId(5), &order, &trades).unwrap();
        assert_eq!(record.status, VenueOrderStatus::Canceled);
        assert_eq!(record.updated, UnixNanos(1_723_161_290_000_000_000));
        let q = |text| Quantity::from_decimal_str(text).unwrap();
        let summary: Vec<(i64, Quantity, Quantity, Liquidity, Money)> = record
            .fills
            .iter()
            .map(|fill| {
                assert_eq!(fill.order_id, OrderId(5));
                assert_eq!(fill.side, OrderSide::Buy);
                (
                    fill.ts.0 / 1_000_000,
                    fill.quantity,
                    fill.leaves_quantity,
                    fill.liquidity,
                    fill.fee,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    1_723_161_280_000,
                    q("0.003"),
                    q("0.007"),
                    Liquidity::Maker,
                    Money::from_decimal_str("-0.001").unwrap()
                ),
                (
                    1_723_161_285_000,
                    q("0.004"),
                    q("0.003"),
                    Liquidity::Taker,
                    Money::from_decimal_str("0.02").unwrap()
                ),
            ]
        );
        let mut unknown = order.clone();
        unknown.status = "PENDING_SOMETHING".to_owned();
        assert!(venue_order(OrderId(5), &unknown, &[]).is_err());
    }

    #[test]
    fn binance_error_codes_map_to_our_reasons() {
        assert_eq!(reject_reason(-5022), RejectReason::PostOnlyWouldCross);
        assert_eq!(reject_reason(-2022), RejectReason::NothingToReduce);
        assert_eq!(reject_reason(-4014), RejectReason::InvalidPrice);
        assert_eq!(reject_reason(-4003), RejectReason::InvalidQuantity);
        assert_eq!(reject_reason(-4116), RejectReason::DuplicateId);
        assert_eq!(reject_reason(-1021), RejectReason::VenueRefused);
    }
}
