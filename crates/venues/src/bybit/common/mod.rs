//! What the REST client, the streams and the gateway share: credentials, signing, reconnect
//! backoff and our order ids on the venue.

pub mod backoff;
pub mod credentials;
pub mod order_link;
pub mod signing;
