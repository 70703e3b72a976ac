//! Our order ids on a venue: `<prefix><OrderId>` as Binance's `newClientOrderId` and Bybit's
//! `orderLinkId` (both allow up to 36 characters of letters, digits, `-` and `_`). Every
//! report then names the engine's order, orders placed by anything else are recognised as
//! not ours, and a per-session prefix keeps two sessions (whose engine ids both start at 1)
//! from naming the same order.

use auction_trader_types::OrderId;

use crate::VenueError;

/// Both venues' limit on a client order id.
const MAX_LENGTH: usize = 36;
/// Digits left for the engine's order id (10^12 orders per session: never reached).
const ID_DIGITS: usize = 12;

/// Maps [`OrderId`]s to client order ids and back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIds {
    prefix: String,
}

impl ClientIds {
    pub fn new(prefix: &str) -> Result<Self, VenueError> {
        let valid = prefix
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if !valid || prefix.len() + ID_DIGITS > MAX_LENGTH {
            return Err(VenueError::Config(format!(
                "client order id prefix {prefix:?}: at most {} letters, digits, '-' or '_'",
                MAX_LENGTH - ID_DIGITS
            )));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    pub fn link(&self, id: OrderId) -> String {
        format!("{}{}", self.prefix, id.0)
    }

    /// Our order behind a client order id, `None` when it is not one of ours.
    pub fn order(&self, link: &str) -> Option<OrderId> {
        let digits = link.strip_prefix(&self.prefix)?;
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(OrderId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign_ids() {
        let ids = ClientIds::new("at-").unwrap();
        assert_eq!(ids.link(OrderId(42)), "at-42");
        assert_eq!(ids.order("at-42"), Some(OrderId(42)));
        assert_eq!(
            ids.order(&ids.link(OrderId(u64::MAX))),
            Some(OrderId(u64::MAX))
        );
        assert_eq!(ids.order("client-1"), None);
        assert_eq!(ids.order("at-"), None);
        assert_eq!(ids.order("at-+1"), None);
        assert!(ClientIds::new("bad prefix").is_err());
    }

    #[test]
    fn a_session_prefix_fits_and_another_sessions_ids_are_not_ours() {
        // The live session's tag: `at<first start, s>g<generation>-`.
        let session = ClientIds::new("at1733352000g12-").unwrap();
        let id = session.link(OrderId(999_999_999_999));
        assert!(id.len() <= 36, "{id}");
        assert_eq!(session.order("at1733352000g11-7"), None);
        assert_eq!(session.order("at1733352000g12-7"), Some(OrderId(7)));
        assert!(ClientIds::new("twenty-five-characters-xx").is_err());
        assert!(ClientIds::new("twenty-four-characters-x").is_ok());
    }
}
