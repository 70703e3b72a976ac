//! Standard output that never panics. `println!` panics when the reader of a pipe has gone
//! (`auction-trader catalog --json | head -1`); every command writes through [`outln!`] and
//! [`out!`] instead, which turn a closed stdout into the [`StdoutClosed`] error. `main` ends
//! the program quietly with exit 0 on it (as ripgrep does), so a command stops at its next
//! line of output and never reports the closed pipe as a failure. The workspace forbids
//! `unsafe`, so SIGPIPE stays ignored (Rust's default) and the error is handled here.

use std::fmt;
use std::io::{ErrorKind, Write};

/// Stdout was closed by its reader: the command ends quietly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes formatted text to stdout; a broken pipe becomes [`StdoutClosed`].
pub fn write_stdout(text: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(text).map_err(classify)
}

/// Flushes stdout (at the end of the program: buffered text must not be lost silently).
pub fn flush_stdout() -> anyhow::Result<()> {
    std::io::stdout().lock().flush().map_err(classify)
}

fn classify(error: std::io::Error) -> anyhow::Error {
    if error.kind() == ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(error).context("writing to standard output")
    }
}

/// Where a command's progress notes go: stdout, or stderr when stdout carries a JSON
/// document that must stay parseable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notes {
    Stdout,
    Stderr,
}

impl Notes {
    /// `Stderr` when `json` is asked for, `Stdout` otherwise.
    pub fn for_json(json: bool) -> Self {
        if json { Self::Stderr } else { Self::Stdout }
    }

    /// Writes one line of notes.
    pub fn line(self, text: impl fmt::Display) -> anyhow::Result<()> {
        match self {
            Self::Stdout => write_stdout(format_args!("{text}\n")),
            Self::Stderr => {
                eprintln!("{text}");
                Ok(())
            }
        }
    }
}

/// Does `error` mean that stdout was closed?
pub fn is_stdout_closed(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<StdoutClosed>().is_some())
}

/// `println!` that returns [`StdoutClosed`] from the enclosing function instead of panicking.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` that returns [`StdoutClosed`] from the enclosing function instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))?
    };
}

pub(crate) use {out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_recognised_through_context_and_others_are_not() {
        let closed = classify(std::io::Error::from(ErrorKind::BrokenPipe));
        assert!(is_stdout_closed(&closed));
        assert!(is_stdout_closed(&closed.context("printing the report")));
        let full = classify(std::io::Error::from(ErrorKind::StorageFull));
        assert!(!is_stdout_closed(&full));
        assert!(full.to_string().contains("standard output"));
    }
}
