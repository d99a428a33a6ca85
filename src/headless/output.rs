//! The one way the headless commands write their output: [`emit`] writes text with every
//! URL's password taken out ([`redact_urls`]) and tells a reader that went away (`| head -1`
//! closed the pipe) from a real failure, so a closed stdout ends a command quietly, like any
//! Unix tool, instead of a "failed printing to stdout" panic.

use std::io::{ErrorKind, Write};

use crate::model::redact::redact_urls;

/// What became of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Output {
    /// Written and flushed.
    Written,
    /// Nobody reads any more (broken pipe): stop writing, it is not an error.
    Closed,
}

/// Write `text` (redacted) to `out` and flush it.
///
/// # Errors
/// When the write fails for any other reason than a closed reader (a full disk…).
pub fn emit(out: &mut dyn Write, text: &str) -> std::io::Result<Output> {
    let written = out
        .write_all(redact_urls(text).as_bytes())
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(Output::Written),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(Output::Closed),
        Err(e) => Err(e),
    }
}

/// [`emit`] to this process's standard output.
///
/// # Errors
/// As [`emit`]; the message names standard output.
pub fn print(text: &str) -> anyhow::Result<Output> {
    emit(&mut std::io::stdout().lock(), text)
        .map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A writer on a full disk.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn text_is_written_redacted() {
        let mut out = Vec::new();
        let r = emit(&mut out, "up http://u:secret@h:1/metrics\n").ok();
        assert_eq!(r, Some(Output::Written));
        assert_eq!(String::from_utf8_lossy(&out), "up http://***@h:1/metrics\n");
    }

    #[test]
    fn a_closed_reader_is_not_an_error_but_a_full_disk_is() {
        assert_eq!(emit(&mut ClosedPipe, "x").ok(), Some(Output::Closed));
        assert!(emit(&mut Full, "x").is_err());
    }
}
