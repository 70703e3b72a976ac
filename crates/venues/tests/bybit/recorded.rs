//! Parsers on recorded messages: the shared protocol examples (read in place, skipped when
//! absent) and Nautilus's recorded Bybit JSON committed under `test_data/bybit/` (origins in
//! `test_data/SOURCES.md`).

use auction_trader_data::import::bybit_ws::{BybitDecoder, Channel, Decoded};
use auction_trader_types::{
    CancelReason, ExecutionReport, Liquidity, MarketEvent, Money, OrderId, OrderSide, Price,
    Quantity, Rate, RejectReason, UnixNanos,
};
use auction_trader_venues::ClientIds;
use auction_trader_venues::bybit::gateway::reports::ReportTranslator;
use auction_trader_venues::bybit::http::endpoints::{
    parse_funding_history, parse_orders, parse_positions, parse_wallets,
};
use auction_trader_venues::bybit::http::models::OrderStatus;
use auction_trader_venues::bybit::websocket::private_messages::{PrivateMessage, parse};

use super::support::recorded;

fn example(name: &str) -> Option<String> {
    let path = auction_trader_testkit::shared_data(&format!("protocol_examples/{name}"))?;
    Some(std::fs::read_to_string(path).expect("read"))
}

fn price(text: &str) -> Price {
    Price::from_decimal_str(text).expect("price")
}

fn qty(text: &str) -> Quantity {
    Quantity::from_decimal_str(text).expect("qty")
}

#[test]
fn public_examples_decode() {
    let (Some(snapshot), Some(delta), Some(trade), Some(ticker), Some(ack)) = (
        example("bybit_ws_orderbook_snapshot.json"),
        example("bybit_ws_orderbook_delta.json"),
        example("bybit_ws_public_trade.json"),
        example("bybit_ws_ticker_linear.json"),
        example("bybit_ws_subscription_ack.json"),
    ) else {
        return;
    };
    let mut decoder = BybitDecoder::default();
    let mut out = Vec::new();
    let decoded = decoder
        .decode(snapshot.as_bytes(), Some(UnixNanos(1)), &mut out)
        .expect("snapshot");
    // "u": 123456789, "seq": 987654321, 2 bids + 2 asks.
    assert_eq!(
        decoded,
        Decoded::Market {
            channel: Channel::Orderbook {
                depth: 1,
                snapshot: true,
                update_id: 123_456_789,
                sequence: 987_654_321
            },
            symbol: "BTCUSDT".into()
        }
    );
    assert_eq!(out.len(), 4);
    out.clear();
    decoder
        .decode(delta.as_bytes(), Some(UnixNanos(2)), &mut out)
        .expect("delta");
    assert_eq!(out.len(), 2);
    out.clear();
    decoder
        .decode(trade.as_bytes(), Some(UnixNanos(3)), &mut out)
        .expect("trade");
    let [MarketEvent::Trade(trade)] = out.as_slice() else {
        panic!("{out:?}");
    };
    // "S": "Buy", "v": "0.010", "p": "27451.00", "T": 1709891679000.
    assert_eq!(trade.price, price("27451"));
    assert_eq!(trade.size, qty("0.01"));
    assert_eq!(trade.ts_event, UnixNanos(1_709_891_679_000_000_000));
    out.clear();
    decoder
        .decode(ticker.as_bytes(), Some(UnixNanos(4)), &mut out)
        .expect("ticker");
    let [MarketEvent::Quote(quote), MarketEvent::Funding(funding)] = out.as_slice() else {
        panic!("{out:?}");
    };
    // bid1 17215.50 x 84.489, ask1 17216.00 x 83.020, cs 24987956059; funding -0.000212,
    // next 1673280000000, mark 17217.33, index 17227.36.
    assert_eq!(
        (quote.bid_price, quote.bid_size),
        (price("17215.5"), qty("84.489"))
    );
    assert_eq!(
        (quote.ask_price, quote.ask_size),
        (price("17216"), qty("83.02"))
    );
    assert_eq!(quote.update_id, 24_987_956_059);
    assert_eq!(
        funding.rate,
        Rate::from_decimal_str("-0.000212").expect("rate")
    );
    assert_eq!(
        funding.next_funding_time,
        UnixNanos(1_673_280_000_000_000_000)
    );
    assert_eq!(funding.mark_price, price("17217.33"));
    assert_eq!(funding.index_price, price("17227.36"));
    out.clear();
    assert!(matches!(
        decoder.decode(ack.as_bytes(), None, &mut out),
        Ok(Decoded::Control { ref op, success: Some(true), .. }) if op == "subscribe"
    ));
}

#[test]
fn rest_examples_parse() {
    let (Some(positions), Some(funding), Some(book)) = (
        example("bybit_http_get_positions.json"),
        example("bybit_http_get_funding_history.json"),
        example("bybit_http_get_orderbook.json"),
    ) else {
        return;
    };
    let positions = parse_positions(&positions).expect("positions");
    // BTCUSDT Buy 0.5 @ 50000.00; ETHUSDT Sell 5.0; SOLUSDT flat.
    let signed: Vec<_> = positions
        .iter()
        .map(|position| (position.symbol.as_str(), position.quantity))
        .collect();
    assert_eq!(
        signed,
        [
            ("BTCUSDT", qty("0.5")),
            ("ETHUSDT", qty("-5")),
            ("SOLUSDT", Quantity::ZERO)
        ]
    );
    assert_eq!(positions[0].entry_price, price("50000"));
    assert_eq!(positions[0].mark_price, price("50500"));
    assert_eq!(
        positions[0].unrealised_pnl,
        Money::from_decimal_str("250").expect("pnl")
    );
    let funding = parse_funding_history(&funding).expect("funding");
    assert_eq!(funding.len(), 2);
    assert_eq!(
        funding[0].rate,
        Rate::from_decimal_str("0.0001").expect("rate")
    );
    assert_eq!(funding[0].ts, UnixNanos(1_709_884_800_000_000_000));
    let mut rows = Vec::new();
    let snapshot = auction_trader_data::import::bybit_ws::rest::decode_orderbook_response(
        book.as_bytes(),
        Some(UnixNanos(9)),
        &mut rows,
    )
    .expect("book");
    assert_eq!(
        (snapshot.update_id, snapshot.sequence),
        (1_234_567, 9_876_543)
    );
    assert_eq!(rows.len(), 6);
}

#[test]
fn nautilus_private_messages_parse() {
    let PrivateMessage::Executions(executions) =
        parse(&recorded("ws_account_execution.json")).expect("execution")
    else {
        panic!("not executions");
    };
    let execution = &executions[0];
    assert_eq!(execution.exec_type, "Trade");
    assert_eq!(execution.side, OrderSide::Sell);
    assert_eq!(execution.price, price("95900.1"));
    assert_eq!(execution.quantity, qty("0.5"));
    assert_eq!(
        execution.fee,
        Money::from_decimal_str("26.3725275").expect("fee")
    );
    assert_eq!(
        execution.fee_rate,
        Rate::from_decimal_str("0.00055").expect("rate")
    );
    assert!(!execution.is_maker);
    assert_eq!(execution.time, UnixNanos(1_746_270_400_353_000_000));

    let PrivateMessage::Orders(orders) = parse(&recorded("ws_account_order.json")).expect("order")
    else {
        panic!("not orders");
    };
    assert_eq!(orders[0].status, OrderStatus::Cancelled);
    assert_eq!(orders[0].cancel_type, "CancelByUser");
    assert_eq!(orders[0].price, price("30000"));
    assert_eq!(orders[0].leaves_quantity, qty("0.01"));
    assert_eq!(orders[0].updated, UnixNanos(1_700_000_005_000_000_000));

    let PrivateMessage::Positions(positions) =
        parse(&recorded("ws_account_position.json")).expect("position")
    else {
        panic!("not positions");
    };
    // ETHUSDT Sell 0.01, entryPrice 3641.075.
    assert_eq!(positions[0].quantity, qty("-0.01"));
    assert_eq!(positions[0].entry_price, price("3641.075"));

    let PrivateMessage::Wallets(wallets) =
        parse(&recorded("ws_account_wallet.json")).expect("wallet")
    else {
        panic!("not wallets");
    };
    assert_eq!(
        wallets[0].total_available_balance,
        Money::from_decimal_str("9556.6056555").expect("balance")
    );
    assert_eq!(wallets[0].coins[1].coin, "USDT");
    assert_eq!(
        wallets[0].coins[1].wallet_balance,
        Money::from_decimal_str("9647.75537647").expect("balance")
    );
    for (file, success) in [
        ("ws_auth_success.json", true),
        ("ws_auth_failure.json", false),
    ] {
        let message = parse(&recorded(file)).expect("auth");
        assert!(
            matches!(message, PrivateMessage::Control { ref op, success: Some(s), .. } if op == "auth" && s == success),
            "{message:?}"
        );
    }
}

#[test]
fn nautilus_rest_orders_and_wallet_parse() {
    let orders = parse_orders(&recorded("http_get_orders_realtime.json")).expect("orders");
    assert_eq!(orders.len(), 2);
    // open-order-1: Buy 0.010 ETHUSDT @ 3930.41, New, "avgPrice": null.
    assert_eq!(orders[0].order_link_id, "client-open-1");
    assert_eq!(orders[0].side, OrderSide::Buy);
    assert_eq!(orders[0].price, price("3930.41"));
    assert_eq!(orders[0].status, OrderStatus::New);
    assert_eq!(orders[1].side, OrderSide::Sell);
    let wallets = parse_wallets(&recorded("http_get_wallet_balance.json")).expect("wallet");
    assert_eq!(
        wallets[0].total_equity,
        Money::from_decimal_str("3.31216591").expect("equity")
    );
    let usdt = wallets[0]
        .coins
        .iter()
        .find(|coin| coin.coin == "USDT")
        .expect("usdt");
    assert_eq!(
        usdt.equity,
        Money::from_decimal_str("1000.50").expect("equity")
    );
}

/// The recorded order lifecycle through the translator (their `orderLinkId`s rewritten to
/// ours: `at-<n>`).
#[test]
fn recorded_messages_become_reports() {
    let links = ClientIds::new("at-").expect("links");
    let mut translator = ReportTranslator::new(links, "BTCUSDT");
    let mut out = Vec::new();
    // A cancel we requested: Accepted (first news of the order), then Canceled(Requested).
    translator.cancel_requested(OrderId(1));
    let PrivateMessage::Orders(orders) =
        parse(&recorded("ws_account_order.json").replace("client-1", "at-1")).expect("order")
    else {
        panic!("not orders");
    };
    translator.order(&orders[0], &mut out);
    let ts = UnixNanos(1_700_000_005_000_000_000);
    assert_eq!(
        out,
        [
            ExecutionReport::Accepted {
                order_id: OrderId(1),
                ts
            },
            ExecutionReport::Canceled {
                order_id: OrderId(1),
                ts,
                reason: CancelReason::Requested
            }
        ]
    );
    // The same record again: the order is done, nothing new.
    out.clear();
    translator.order(&orders[0], &mut out);
    assert!(out.is_empty());
    // A post-only order Bybit cancelled because it would take liquidity: our Rejected.
    let post_only = recorded("ws_account_order.json")
        .replace("client-1", "at-2")
        .replace(
            r#""rejectReason": """#,
            r#""rejectReason": "EC_PostOnlyWillTakeLiquidity""#,
        )
        .replace("CancelByUser", "CancelByAdmin");
    let PrivateMessage::Orders(orders) = parse(&post_only).expect("order") else {
        panic!("not orders");
    };
    translator.order(&orders[0], &mut out);
    assert_eq!(
        out,
        [ExecutionReport::Rejected {
            order_id: OrderId(2),
            ts,
            reason: RejectReason::PostOnlyWouldCross
        }]
    );
    // An execution as maker.
    out.clear();
    let maker = recorded("ws_account_execution.json")
        .replace("test-order-link-001", "at-3")
        .replace(r#""isMaker": false"#, r#""isMaker": true"#);
    let PrivateMessage::Executions(executions) = parse(&maker).expect("execution") else {
        panic!("not executions");
    };
    translator.execution(&executions[0], &mut out);
    assert!(matches!(
        out[0],
        ExecutionReport::Accepted {
            order_id: OrderId(3),
            ..
        }
    ));
    let ExecutionReport::Filled(fill) = out[1] else {
        panic!("{out:?}");
    };
    assert_eq!(fill.liquidity, Liquidity::Maker);
    // Orders that are not ours (Nautilus's own link ids) produce nothing.
    out.clear();
    let PrivateMessage::Orders(foreign) =
        parse(&recorded("ws_account_order_filled.json")).expect("order")
    else {
        panic!("not orders");
    };
    translator.order(&foreign[0], &mut out);
    assert!(out.is_empty());
    assert_eq!(translator.stats().foreign_orders, 1);
}

#[test]
fn nautilus_rest_executions_parse() {
    let executions = auction_trader_venues::bybit::http::endpoints::parse_executions(&recorded(
        "http_get_executions.json",
    ))
    .expect("executions");
    // BTCUSDT Buy 0.100 @ 50000.00 maker, fee 0.0150; ETHUSDT Sell 0.500 @ 3000.00 taker,
    // leaves 0.500.
    assert_eq!(executions.len(), 2);
    assert_eq!(executions[0].side, OrderSide::Buy);
    assert!(executions[0].is_maker);
    assert_eq!(
        executions[0].fee,
        Money::from_decimal_str("0.015").expect("fee")
    );
    assert_eq!(executions[1].symbol, "ETHUSDT");
    assert_eq!(executions[1].leaves_quantity, qty("0.5"));
    assert_eq!(executions[1].time, UnixNanos(1_672_282_822_529_000_000));
}
