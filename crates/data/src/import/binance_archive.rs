//! TODO(helper): implement.
