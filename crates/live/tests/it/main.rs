//! Integration tests of the live crate: sessions over the shared real capture.

mod paper_session;
mod support;
