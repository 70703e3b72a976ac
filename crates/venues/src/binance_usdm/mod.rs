//! Binance USD-M futures: market streams, the depth snapshot + `pu` procedure, the user-data stream and the signed REST order endpoints.
