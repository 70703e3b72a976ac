//! Volume profile and value area (SPEC 2.2): the shared POC / value-area rules, the
//! standalone fixed-width profile, and the rolling 240-minute profile of the engine.

pub mod compute;
pub mod histogram;
pub mod rolling;
pub mod value_area;
