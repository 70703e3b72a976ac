//! Our order ids on Bybit: `orderLinkId = <prefix><OrderId>` (Bybit allows up to 36
//! characters of letters, digits, `-` and `_`), so every report of the private stream names
//! the engine's order, and orders placed by anything else are recognised as not ours.

use auction_trader_types::OrderId;

use crate::VenueError;

/// Bybit's limit on `orderLinkId`.
const MAX_LENGTH: usize = 36;

/// Maps [`OrderId`]s to `orderLinkId`s and back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLinks {
    prefix: String,
}

impl OrderLinks {
    pub fn new(prefix: &str) -> Result<Self, VenueError> {
        let valid = prefix
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        // 20 digits of u64::MAX must still fit.
        if !valid || prefix.len() + 20 > MAX_LENGTH {
            return Err(VenueError::Config(format!(
                "orderLinkId prefix {prefix:?}: at most 16 letters, digits, '-' or '_'"
            )));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    pub fn link(&self, id: OrderId) -> String {
        format!("{}{}", self.prefix, id.0)
    }

    /// Our order behind an `orderLinkId`, `None` when it is not one of ours.
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
        let links = OrderLinks::new("at-").unwrap();
        assert_eq!(links.link(OrderId(42)), "at-42");
        assert_eq!(links.order("at-42"), Some(OrderId(42)));
        assert_eq!(
            links.order(&links.link(OrderId(u64::MAX))),
            Some(OrderId(u64::MAX))
        );
        assert_eq!(links.order("client-1"), None);
        assert_eq!(links.order("at-"), None);
        assert_eq!(links.order("at-+1"), None);
        assert!(OrderLinks::new("bad prefix").is_err());
        assert!(OrderLinks::new("seventeen-chars-x").is_err());
    }
}
