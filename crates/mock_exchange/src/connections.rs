//! The open WebSocket connections and what the replay sends them. Each connection task owns
//! its socket; the registry holds its topic filter and the sending half of its queue.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::mpsc;

/// Frames queued per connection. In paced replay a connection whose queue is full is too slow
/// and is disconnected (as the venues do); with `Speed::AsFastAsRead` the replay waits.
pub const QUEUE_FRAMES: usize = 16_384;

/// What a connection task is told to do.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// Send a text frame.
    Text(Arc<str>),
    /// Send a normal close frame (1000) and end: the replay is over.
    Close,
    /// End at once without a close frame (`/mock/drop`: a lost connection).
    Drop,
}

/// Whose data a connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// Public market data.
    Market,
    /// Private data of the account with this index (once authenticated on Bybit).
    User(Option<usize>),
}

#[derive(Debug)]
pub struct Connection {
    pub id: u64,
    pub kind: ConnectionKind,
    /// Streams (Binance) or topics (Bybit) the connection subscribed to.
    pub topics: BTreeSet<String>,
    pub sender: mpsc::Sender<Outgoing>,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Connections {
    next_id: u64,
    pub open: Vec<Connection>,
    /// Connections ever accepted.
    pub accepted: u64,
}

impl Connections {
    /// Registers a connection; returns its id and the receiving half of its queue.
    pub fn register(&mut self, kind: ConnectionKind) -> (u64, mpsc::Receiver<Outgoing>) {
        let (sender, receiver) = mpsc::channel(QUEUE_FRAMES);
        self.next_id += 1;
        self.accepted += 1;
        self.open.push(Connection {
            id: self.next_id,
            kind,
            topics: BTreeSet::new(),
            sender,
        });
        (self.next_id, receiver)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Connection> {
        self.open.iter_mut().find(|connection| connection.id == id)
    }

    pub fn remove(&mut self, id: u64) {
        self.open.retain(|connection| connection.id != id);
    }

    /// Tells every connection `message` and forgets them all.
    pub fn end_all(&mut self, message: &Outgoing) -> usize {
        let count = self.open.len();
        for connection in self.open.drain(..) {
            let _ = connection.sender.try_send(message.clone());
        }
        count
    }

    /// Market connections subscribed to `topic`.
    pub fn market_subscribers(&self, topic: &str) -> Vec<(u64, mpsc::Sender<Outgoing>)> {
        self.open
            .iter()
            .filter(|connection| {
                connection.kind == ConnectionKind::Market && connection.topics.contains(topic)
            })
            .map(|connection| (connection.id, connection.sender.clone()))
            .collect()
    }

    /// Private connections of account `account` subscribed to `topic` (`None`: any topic).
    pub fn user_subscribers(
        &self,
        account: usize,
        topic: Option<&str>,
    ) -> Vec<(u64, mpsc::Sender<Outgoing>)> {
        self.open
            .iter()
            .filter(|connection| {
                connection.kind == ConnectionKind::User(Some(account))
                    && topic.is_none_or(|topic| connection.topics.contains(topic))
            })
            .map(|connection| (connection.id, connection.sender.clone()))
            .collect()
    }

    /// Open market connections with at least one subscription.
    pub fn subscribed_market_count(&self) -> usize {
        self.open
            .iter()
            .filter(|connection| {
                connection.kind == ConnectionKind::Market && !connection.topics.is_empty()
            })
            .count()
    }
}
