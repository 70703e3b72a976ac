//! Order entry on Bybit (SPEC 7, live mode): a [`TradingGateway`] over the signed REST order
//! endpoints (a worker thread, so [`TradingGateway::send`] never blocks the trading loop) and
//! the private stream (reports), with REST as the fallback for positions, open orders and
//! orders whose create request got no answer.
//!
//! Threads: the private stream ([`crate::bybit::websocket::private`]) and the REST worker
//! (`worker.rs`) both post [`GatewayEvent`]s to one channel; [`TradingGateway::drain_reports`]
//! turns them into [`ExecutionReport`]s on the caller's thread ([`reports`]), so the order of
//! reports is the order of arrival. After the private stream reconnects, the executions since
//! shortly before the last message and the open orders are fetched over REST and replayed
//! through the same translator (which drops executions it has already reported).

pub mod reports;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;

use auction_trader_types::{ExecutionReport, OrderCommand, OrderId, Price, Quantity, UnixNanos};

use self::reports::ReportTranslator;
use self::worker::Request;
use crate::bybit::common::credentials::Credentials;
use crate::bybit::config::GatewayOptions;
use crate::bybit::http::HttpClient;
use crate::bybit::http::models::{
    Execution, OrderState, OrderStatus, PositionState, WalletState, protocol,
};
use crate::bybit::websocket::private::{self, PrivateStreamConfig, StreamEvent};
use crate::bybit::websocket::private_messages::PrivateMessage;
use crate::client_ids::ClientIds;
use crate::{
    Clock, Endpoints, TradingGateway, VenueError, VenueOrder, VenueOrderStatus, VenuePosition,
};

/// Reconciliation after a reconnect asks for executions from this long before the last
/// message heard (clock differences, messages in flight).
const RECONCILE_MARGIN_NANOS: i64 = 10_000_000_000;

/// What the stream and the REST worker tell the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayEvent {
    Stream(StreamEvent),
    /// A create request refused (`code` = retCode) or lost (`None`).
    SubmitFailed {
        id: OrderId,
        code: Option<i64>,
        message: String,
        at: UnixNanos,
    },
    CancelFailed {
        id: OrderId,
        message: String,
        at: UnixNanos,
    },
    AmendFailed {
        id: OrderId,
        message: String,
    },
    /// An order record fetched over REST (reconciliation, or a create without an answer).
    RestOrder(OrderState),
    /// An execution fetched over REST (reconciliation after a reconnect).
    RestExecution(Execution),
    /// A reconciliation query failed.
    ReconcileFailed(String),
}

/// What the gateway has seen besides reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayStatus {
    /// The private stream is authenticated and subscribed.
    pub stream_up: bool,
    /// The private stream ended (auth refused, gave up, stopped); orders still go over REST.
    pub stream_ended: bool,
    pub reconnects: u64,
    pub malformed: u64,
    pub amend_failures: u64,
    /// The last failure message of any kind (never contains credentials).
    pub last_error: Option<String>,
    /// The latest `position` record of our symbol from the stream.
    pub position: Option<PositionState>,
    /// The latest `wallet` record from the stream.
    pub wallet: Option<WalletState>,
}

/// A connected Bybit trading gateway for one linear symbol.
pub struct Gateway {
    symbol: String,
    links: ClientIds,
    http: Arc<HttpClient>,
    commands: Option<Sender<Request>>,
    events: Receiver<GatewayEvent>,
    pending: Vec<GatewayEvent>,
    translator: ReportTranslator,
    status: GatewayStatus,
    clock: Arc<dyn Clock>,
    /// When the private stream last delivered a message (reconciliation starts a little
    /// before it).
    last_heard: UnixNanos,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Gateway")
            .field("symbol", &self.symbol)
            .field("http", &self.http)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Connects the private stream (waits until it is authenticated: a refused key is an
    /// error here, not later) and starts the REST worker.
    pub fn connect(
        endpoints: &Endpoints,
        credentials: Credentials,
        symbol: &str,
        clock: Arc<dyn Clock>,
        options: GatewayOptions,
    ) -> Result<Self, VenueError> {
        let links = ClientIds::new(&options.order_link_prefix)?;
        let symbol = symbol.to_ascii_uppercase();
        let symbol = symbol.as_str();
        let http = Arc::new(HttpClient::new(
            endpoints,
            Some(credentials.clone()),
            Arc::clone(&clock),
            &options,
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let (event_sender, events) = mpsc::channel();
        let config = PrivateStreamConfig {
            websocket: endpoints.websocket.clone(),
            credentials,
            ping_interval: options.ping_interval,
            backoff: options.backoff,
            seed: options.seed,
            connect_timeout: options.request_timeout,
            give_up_after: 5,
        };
        let stream_sender = event_sender.clone();
        let stream_clock = Arc::clone(&clock);
        let stream_stop = Arc::clone(&stop);
        let stream = spawn("bybit-private", move || {
            private::run(&config, &stream_clock, &stream_stop, &mut |event| {
                stream_sender.send(GatewayEvent::Stream(event)).is_ok()
            });
        })?;
        let (commands, requests) = mpsc::channel();
        let worker_http = Arc::clone(&http);
        let worker_symbol = symbol.to_owned();
        let worker_links = links.clone();
        let worker_clock = Arc::clone(&clock);
        let mut pacer = worker::Pacer::new(options.max_orders_per_second);
        let worker = spawn("bybit-orders", move || {
            worker::run(
                &worker_http,
                &worker_links,
                &worker_symbol,
                &mut pacer,
                &requests,
                &event_sender,
                &*worker_clock,
            );
        })?;
        let mut gateway = Self {
            symbol: symbol.to_owned(),
            http,
            commands: Some(commands),
            events,
            pending: Vec::new(),
            translator: ReportTranslator::new(links.clone(), symbol),
            links,
            status: GatewayStatus::default(),
            last_heard: clock.now(),
            clock,
            stop,
            threads: vec![stream, worker],
        };
        gateway.wait_until_up(options.request_timeout)?;
        Ok(gateway)
    }

    fn wait_until_up(&mut self, timeout: std::time::Duration) -> Result<(), VenueError> {
        loop {
            match self.events.recv_timeout(timeout) {
                Ok(GatewayEvent::Stream(StreamEvent::Up)) => {
                    self.status.stream_up = true;
                    return Ok(());
                }
                Ok(GatewayEvent::Stream(StreamEvent::AuthFailed { code, message })) => {
                    return Err(VenueError::Rejected {
                        context: "bybit private-stream auth".to_owned(),
                        status: 0,
                        code,
                        message,
                    });
                }
                Ok(GatewayEvent::Stream(StreamEvent::Ended)) => {
                    return Err(VenueError::Transport {
                        context: "bybit private stream".to_owned(),
                        reason: "could not connect".to_owned(),
                    });
                }
                Ok(other) => self.pending.push(other),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    return Err(VenueError::Transport {
                        context: "bybit private stream".to_owned(),
                        reason: format!("no auth answer within {timeout:?}"),
                    });
                }
            }
        }
    }

    /// Queues an amend (new quantity and/or price) of a resting order; a refusal is counted
    /// in [`Gateway::status`] (there is no amend report in our vocabulary).
    pub fn amend(
        &mut self,
        id: OrderId,
        quantity: Option<Quantity>,
        price: Option<Price>,
    ) -> Result<(), VenueError> {
        self.request(Request::Amend {
            id,
            quantity,
            price,
        })
    }

    /// Open orders of the symbol (REST, blocking).
    pub fn open_orders(&self) -> Result<Vec<OrderState>, VenueError> {
        self.http.open_orders(&self.symbol)
    }

    /// The unified account's balances (REST, blocking).
    pub fn wallet_balance(&self) -> Result<Vec<WalletState>, VenueError> {
        self.http.wallet_balance()
    }

    /// The REST client (for funding history, the order book, ...).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn status(&self) -> &GatewayStatus {
        &self.status
    }

    pub fn translator_stats(&self) -> &reports::TranslatorStats {
        self.translator.stats()
    }

    fn request(&self, request: Request) -> Result<(), VenueError> {
        self.commands
            .as_ref()
            .and_then(|commands| commands.send(request).ok())
            .ok_or_else(|| VenueError::Stopped {
                context: "bybit order worker".to_owned(),
            })
    }

    fn handle(&mut self, event: GatewayEvent, out: &mut Vec<ExecutionReport>) {
        match event {
            GatewayEvent::Stream(StreamEvent::Message(message)) => {
                self.last_heard = self.clock.now();
                self.message(message, out);
            }
            GatewayEvent::Stream(StreamEvent::Up) => {
                self.status.stream_up = true;
                self.status.reconnects += 1;
                // Updates may have been missed while down: replay executions since a little
                // before the last message, then the open orders (duplicates are dropped).
                let since = UnixNanos(self.last_heard.0.saturating_sub(RECONCILE_MARGIN_NANOS));
                if let Err(error) = self.request(Request::Reconcile { since }) {
                    self.status.last_error = Some(error.to_string());
                }
            }
            GatewayEvent::Stream(StreamEvent::Down(reason)) => {
                self.status.stream_up = false;
                self.status.last_error = Some(reason);
            }
            GatewayEvent::Stream(StreamEvent::Malformed(reason)) => {
                self.status.malformed += 1;
                self.status.last_error = Some(reason);
            }
            GatewayEvent::Stream(StreamEvent::AuthFailed { code, message }) => {
                self.status.stream_up = false;
                self.status.stream_ended = true;
                self.status.last_error = Some(format!("auth refused: retCode {code} {message}"));
            }
            GatewayEvent::Stream(StreamEvent::Ended) => {
                self.status.stream_up = false;
                self.status.stream_ended = true;
            }
            GatewayEvent::SubmitFailed {
                id,
                code,
                message,
                at,
            } => {
                self.status.last_error = Some(message);
                out.push(self.translator.submit_failed(id, code, at));
            }
            GatewayEvent::CancelFailed { id, message, at } => {
                self.status.last_error = Some(message);
                out.push(self.translator.cancel_failed(id, at));
            }
            GatewayEvent::AmendFailed { message, .. } => {
                self.status.amend_failures += 1;
                self.status.last_error = Some(message);
            }
            GatewayEvent::RestOrder(order) => self.translator.order(&order, out),
            GatewayEvent::RestExecution(execution) => self.translator.execution(&execution, out),
            GatewayEvent::ReconcileFailed(message) => self.status.last_error = Some(message),
        }
    }

    fn message(&mut self, message: PrivateMessage, out: &mut Vec<ExecutionReport>) {
        match message {
            PrivateMessage::Orders(orders) => {
                for order in &orders {
                    self.translator.order(order, out);
                }
            }
            PrivateMessage::Executions(executions) => {
                for execution in &executions {
                    self.translator.execution(execution, out);
                }
            }
            PrivateMessage::Positions(positions) => {
                if let Some(position) = positions
                    .into_iter()
                    .rev()
                    .find(|position| position.symbol == self.symbol)
                {
                    self.status.position = Some(position);
                }
            }
            PrivateMessage::Wallets(wallets) => {
                if let Some(wallet) = wallets.into_iter().next_back() {
                    self.status.wallet = Some(wallet);
                }
            }
            PrivateMessage::Control {
                success, message, ..
            } => {
                if success == Some(false) {
                    self.status.last_error = Some(message);
                }
            }
            PrivateMessage::Other { .. } => {}
        }
    }
}

impl TradingGateway for Gateway {
    fn send(&mut self, _now: UnixNanos, command: OrderCommand) -> Result<(), VenueError> {
        match command {
            OrderCommand::Submit(order) => self.request(Request::Submit(order)),
            OrderCommand::Cancel(id) => {
                self.translator.cancel_requested(id);
                self.request(Request::Cancel(id))
            }
        }
    }

    fn drain_reports(&mut self, out: &mut Vec<ExecutionReport>) {
        for event in std::mem::take(&mut self.pending) {
            self.handle(event, out);
        }
        while let Ok(event) = self.events.try_recv() {
            self.handle(event, out);
        }
    }

    /// The position of the symbol over REST (one-way mode: one record; hedge-mode records
    /// are summed with their signs).
    fn position(&mut self) -> Result<VenuePosition, VenueError> {
        let positions = self.http.positions(&self.symbol)?;
        let mut quantity = Quantity::ZERO;
        for position in positions
            .iter()
            .filter(|position| position.symbol == self.symbol)
        {
            quantity = quantity
                .try_add(position.quantity, "venue position")
                .map_err(|error| protocol("bybit position", error.to_string()))?;
        }
        Ok(VenuePosition { quantity })
    }

    fn order_record(&mut self, order_id: OrderId) -> Result<Option<VenueOrder>, VenueError> {
        let link = self.links.link(order_id);
        let Some(order) = self.http.order_by_link_any_age(&self.symbol, &link)? else {
            return Ok(None);
        };
        let executions = if order.filled_quantity.is_zero() {
            Vec::new()
        } else {
            self.http.order_executions(&self.symbol, &order.order_id)?
        };
        Ok(Some(venue_order(order_id, &order, &executions)))
    }
}

/// Our order's record from its order state and its executions (trades only, ascending).
fn venue_order(order_id: OrderId, order: &OrderState, executions: &[Execution]) -> VenueOrder {
    let status = match &order.status {
        OrderStatus::Filled => VenueOrderStatus::Filled,
        OrderStatus::Rejected => VenueOrderStatus::Rejected,
        status if status.is_canceled() => VenueOrderStatus::Canceled,
        _ => VenueOrderStatus::Open,
    };
    let mut trades: Vec<&Execution> = executions
        .iter()
        .filter(|execution| execution.order_id == order.order_id && execution.exec_type == "Trade")
        .collect();
    // Oldest first; within one millisecond the open remainder only shrinks.
    trades.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then(b.leaves_quantity.cmp(&a.leaves_quantity))
    });
    let fills = trades
        .into_iter()
        .map(|execution| reports::fill_of(execution, order_id))
        .collect();
    VenueOrder {
        status,
        updated: order.updated,
        fills,
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Closing the command channel ends the worker after its current request.
        self.commands = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, VenueError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map_err(|error| VenueError::Transport {
            context: format!("thread {name}"),
            reason: error.to_string(),
        })
}
