//! TODO: implement.
