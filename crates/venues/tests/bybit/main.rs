//! Integration tests of the Bybit v5 adapter: recorded messages (the shared protocol examples
//! read in place, Nautilus's recorded private-stream and REST messages under
//! `test_data/bybit/`), and loopback tests against tiny in-test servers on 127.0.0.1:0.

mod feed_loopback;
mod gateway_loopback;
mod recorded;
mod rest_loopback;
mod support;
