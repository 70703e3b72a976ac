//! Every path into the research code (loaders, feature matrices) in one place: those
//! modules may move to their own crate, and then only these lines change.

pub(crate) use auction_trader_research::loader::{
    BookRow, LoaderConfig, load_bars, load_book_snapshots,
};
