//! What the REST client, the streams and the gateway share: credentials, signing, reconnect
//! backoff (our order ids are the crate's [`crate::ClientIds`]).

pub mod backoff;
pub mod credentials;
pub mod signing;
