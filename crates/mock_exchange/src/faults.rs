//! Faults injected on command (the `/mock/...` control API, see the crate doc): what is
//! pending and what was done. The replay applies them to the market messages it sends; the
//! venue's own state (book, fills) is never changed by a fault on the wire.

/// A market message ready to send: its topic (Binance stream / Bybit topic), its text and
/// whether it is a depth message (gaps and reorders act on depth messages only).
#[derive(Debug, Clone)]
pub struct MarketMessage {
    pub topic: std::sync::Arc<str>,
    pub text: std::sync::Arc<str>,
    pub depth: bool,
}

/// Pending faults and counts of the injected ones.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Depth messages still to skip (`/mock/gap`).
    pub pending_gaps: u32,
    /// Depth-message swaps still to do (`/mock/reorder`).
    pub pending_reorders: u32,
    /// A depth message held back to be sent after the next one.
    held: Option<MarketMessage>,
    /// Stall still to apply before the next frame, milliseconds (`/mock/delay`).
    pub pending_delay_ms: u64,
    /// Orders still to reject (`/mock/reject`).
    pub pending_rejects: u32,
    pub gaps_injected: u64,
    pub reorders_injected: u64,
    pub delays_injected: u64,
    pub delay_ms_total: u64,
    pub rejects_injected: u64,
    pub drops_injected: u64,
    pub positions_forced: u64,
}

impl Faults {
    /// Applies pending gaps and reorders to the messages of one frame, in order.
    pub fn filter(&mut self, messages: Vec<MarketMessage>) -> Vec<MarketMessage> {
        let mut out = Vec::with_capacity(messages.len() + 1);
        for message in messages {
            if !message.depth {
                out.push(message);
                continue;
            }
            if self.pending_gaps > 0 {
                self.pending_gaps -= 1;
                self.gaps_injected += 1;
                continue;
            }
            if let Some(held) = self.held.take() {
                out.push(message);
                out.push(held);
                self.reorders_injected += 1;
                continue;
            }
            if self.pending_reorders > 0 {
                self.pending_reorders -= 1;
                self.held = Some(message);
                continue;
            }
            out.push(message);
        }
        out
    }

    /// A held message at the end of the replay (sent late rather than lost).
    pub fn take_held(&mut self) -> Option<MarketMessage> {
        self.held.take()
    }

    /// Consumes one pending rejection, if any.
    pub fn take_reject(&mut self) -> bool {
        if self.pending_rejects == 0 {
            return false;
        }
        self.pending_rejects -= 1;
        self.rejects_injected += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str, depth: bool) -> MarketMessage {
        MarketMessage {
            topic: "t".into(),
            text: text.into(),
            depth,
        }
    }

    fn texts(messages: &[MarketMessage]) -> Vec<&str> {
        messages.iter().map(|message| &*message.text).collect()
    }

    #[test]
    fn a_gap_skips_the_next_depth_message_only() {
        let mut faults = Faults {
            pending_gaps: 1,
            ..Faults::default()
        };
        let out = faults.filter(vec![message("q1", false), message("d1", true)]);
        assert_eq!(texts(&out), ["q1"]);
        let out = faults.filter(vec![message("d2", true)]);
        assert_eq!(texts(&out), ["d2"]);
        assert_eq!(faults.gaps_injected, 1);
    }

    #[test]
    fn a_reorder_swaps_two_depth_messages_around_other_streams() {
        let mut faults = Faults {
            pending_reorders: 1,
            ..Faults::default()
        };
        assert_eq!(texts(&faults.filter(vec![message("d1", true)])), [""; 0]);
        assert_eq!(texts(&faults.filter(vec![message("q1", false)])), ["q1"]);
        assert_eq!(
            texts(&faults.filter(vec![message("d2", true)])),
            ["d2", "d1"]
        );
        assert_eq!(texts(&faults.filter(vec![message("d3", true)])), ["d3"]);
        assert_eq!(faults.reorders_injected, 1);
    }
}
