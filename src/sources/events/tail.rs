//! Following a growing text file like `tail -F`, line by line: appends are read from where the
//! last read stopped; rotation (the path now names another file) is noticed by device + inode,
//! and the old file is read to its end first; truncation restarts from the top, noticed when the
//! file shrank or when its first bytes changed (truncated and at once rewritten longer, as
//! `copytruncate` and a restarted writer do: the size alone would hide it). Lines are handed out complete (a half-written last line waits for its newline) and cut
//! at a maximum length. Blocking file I/O, no parsing: what a line means is the caller's.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::input::EventError;

/// Where the first read of the file starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailStart {
    /// The whole file.
    Beginning,
    /// Only what is appended from now on.
    End,
    /// The last this many bytes (from the first full line in them): recent history without
    /// reading a huge file.
    LastBytes(u64),
}

/// Counters of what a follower has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TailStats {
    /// Times the path came to name a new file.
    pub rotations: u64,
    /// Times the file shrank.
    pub truncations: u64,
    /// Lines that did not belong to any record (dropped).
    pub orphan_lines: u64,
    /// Lines cut to the maximum length.
    pub lines_cut: u64,
    /// Bytes read in all.
    pub bytes_read: u64,
}

/// What a follower hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailLine<'a> {
    /// One complete line, without its newline (and at most the maximum length).
    Line(&'a [u8]),
    /// The file being read has ended for good (rotated away or truncated): whatever the caller
    /// was assembling from it is complete.
    FileEnded,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_m: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// How much of a file's start is kept as its fingerprint: a rewritten file shows itself by a
/// different start (log lines start with their time) even when it is already longer.
const HEAD_BYTES: u64 = 1024;

/// The first [`HEAD_BYTES`] of `f` (fewer when it is shorter).
fn head_of(f: &mut File) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    f.seek(SeekFrom::Start(0))?;
    f.take(HEAD_BYTES).read_to_end(&mut head)?;
    Ok(head)
}

/// A `tail -F` of one path.
#[derive(Debug)]
pub struct FileFollower {
    path: PathBuf,
    start: TailStart,
    max_read_per_poll: usize,
    max_line_bytes: usize,
    file: Option<(File, Option<(u64, u64)>)>,
    /// The start of the open file as last seen (see [`HEAD_BYTES`]).
    head: Vec<u8>,
    pos: u64,
    opened_once: bool,
    partial: Vec<u8>,
    skip_to_newline: bool,
    /// What it has seen so far.
    pub stats: TailStats,
}

impl FileFollower {
    /// Follow `path`, reading at most `max_read_per_poll` bytes a poll and cutting lines at
    /// `max_line_bytes`. Nothing is read until the first poll.
    #[must_use]
    pub fn new(
        path: impl Into<PathBuf>,
        start: TailStart,
        max_read_per_poll: usize,
        max_line_bytes: usize,
    ) -> Self {
        Self {
            path: path.into(),
            start,
            max_read_per_poll: max_read_per_poll.max(1),
            max_line_bytes: max_line_bytes.max(1),
            file: None,
            head: Vec::new(),
            pos: 0,
            opened_once: false,
            partial: Vec::new(),
            skip_to_newline: false,
            stats: TailStats::default(),
        }
    }

    /// The followed path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_err(&self, e: &std::io::Error, hint: &str) -> EventError {
        EventError::Io {
            path: self.path.display().to_string(),
            reason: format!("{e}{hint}"),
        }
    }

    /// Read what is new, handing each complete line (and each file end) to `out`. Returns the
    /// bytes read (0: nothing new).
    ///
    /// # Errors
    /// [`EventError::Io`] while the file does not exist (and none was open) or cannot be read.
    pub fn poll(&mut self, out: &mut dyn FnMut(TailLine<'_>)) -> Result<usize, EventError> {
        let mut read = 0;
        match std::fs::metadata(&self.path) {
            Err(e) => {
                if self.file.is_none() {
                    return Err(self.io_err(
                        &e,
                        "; waiting for the tool proxy to create it (check `path`)",
                    ));
                }
                // Renamed away and not yet recreated: finish the old file.
                read += self.read_new(out)?;
                self.end_of_file(out);
            }
            Ok(meta) => {
                let id = file_id(&meta);
                let rotated = self
                    .file
                    .as_ref()
                    .is_some_and(|(_, old)| id.is_some() && *old != id);
                if rotated {
                    read += self.read_new(out)?;
                    self.end_of_file(out);
                    self.file = None;
                    self.stats.rotations += 1;
                } else if self.file.is_some() && (meta.len() < self.pos || self.rewritten()?) {
                    self.end_of_file(out);
                    self.pos = 0;
                    self.head.clear();
                    self.stats.truncations += 1;
                }
                if self.file.is_none() {
                    let f = File::open(&self.path)
                        .map_err(|e| self.io_err(&e, "; check its permissions"))?;
                    self.pos = match (self.opened_once, self.start) {
                        (true, _) | (false, TailStart::Beginning) => 0,
                        (false, TailStart::End) => meta.len(),
                        (false, TailStart::LastBytes(n)) => meta.len().saturating_sub(n),
                    };
                    // Starting inside the file: the first (partial) line is not ours.
                    self.skip_to_newline =
                        !self.opened_once && self.pos > 0 && self.start != TailStart::End;
                    self.opened_once = true;
                    self.file = Some((f, id));
                    self.head.clear();
                    self.rewritten()?;
                }
                read += self.read_new(out)?;
            }
        }
        Ok(read)
    }

    /// Whether the open file's start is no longer what it was (it was truncated and written
    /// again); remembers the start as it is now.
    fn rewritten(&mut self) -> Result<bool, EventError> {
        let Some((f, _)) = self.file.as_mut() else {
            return Ok(false);
        };
        let now = head_of(f).map_err(|e| self.io_err(&e, ""))?;
        let changed = !now.starts_with(&self.head);
        self.head = now;
        Ok(changed)
    }

    /// Read from `pos` to the end (at most `max_read_per_poll`), handing out complete lines.
    fn read_new(&mut self, out: &mut dyn FnMut(TailLine<'_>)) -> Result<usize, EventError> {
        let Some((f, _)) = self.file.as_mut() else {
            return Ok(0);
        };
        let mut buf = Vec::new();
        let res = f
            .seek(SeekFrom::Start(self.pos))
            .and_then(|_| f.take(self.max_read_per_poll as u64).read_to_end(&mut buf));
        let n = res.map_err(|e| self.io_err(&e, ""))?;
        self.pos += n as u64;
        self.stats.bytes_read += n as u64;
        let mut start = 0;
        while let Some(i) = buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + i;
            if self.skip_to_newline {
                self.skip_to_newline = false;
                self.partial.clear();
            } else if self.partial.is_empty() {
                self.emit(&buf[start..end], out);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&buf[start..end]);
                self.emit(&line, out);
            }
            start = end + 1;
        }
        if !self.skip_to_newline {
            self.partial.extend_from_slice(&buf[start..]);
            if self.partial.len() > self.max_line_bytes {
                // An endless line: hand out its start, drop the rest up to the newline.
                let line = std::mem::take(&mut self.partial);
                self.emit(&line, out);
                self.skip_to_newline = true;
            }
        }
        Ok(n)
    }

    /// The current file ends here: its last (unterminated) line is complete.
    fn end_of_file(&mut self, out: &mut dyn FnMut(TailLine<'_>)) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line, out);
        }
        self.skip_to_newline = false;
        out(TailLine::FileEnded);
    }

    fn emit(&mut self, line: &[u8], out: &mut dyn FnMut(TailLine<'_>)) {
        let line = if line.len() > self.max_line_bytes {
            self.stats.lines_cut += 1;
            &line[..self.max_line_bytes]
        } else {
            line
        };
        out(TailLine::Line(line.strip_suffix(b"\r").unwrap_or(line)));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    fn lines(f: &mut FileFollower) -> Vec<String> {
        let mut v = Vec::new();
        f.poll(&mut |l| match l {
            TailLine::Line(b) => v.push(String::from_utf8_lossy(b).into_owned()),
            TailLine::FileEnded => v.push("<end>".into()),
        })
        .unwrap();
        v
    }

    #[test]
    fn partial_lines_wait_and_long_lines_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        std::fs::write(&p, "one\r\ntw").unwrap();
        let mut f = FileFollower::new(&p, TailStart::Beginning, 1 << 20, 8);
        assert_eq!(lines(&mut f), ["one"]);
        let mut h = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        h.write_all(b"o\nthis line is too long\nok\n").unwrap();
        assert_eq!(lines(&mut f), ["two", "this lin", "ok"]);
        assert_eq!(f.stats.lines_cut, 1);
        std::fs::write(&p, "new\n").unwrap();
        assert_eq!(lines(&mut f), ["<end>", "new"]);
        assert_eq!(f.stats.truncations, 1);
    }

    #[test]
    fn truncated_and_at_once_rewritten_longer_is_read_from_its_start() {
        // The defect: 100 lines read, then the file truncated and rewritten with 160 lines
        // before the next poll: the size only grew, so reading went on at byte ~1500 and the
        // first ~95 new lines were lost.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("proxy.log");
        let text = |tag: &str, n: usize| -> String {
            (0..n).map(|i| format!("{tag} line {i:03}\n")).collect()
        };
        std::fs::write(&p, text("first", 100)).unwrap();
        let mut f = FileFollower::new(&p, TailStart::Beginning, 1 << 20, 1024);
        assert_eq!(lines(&mut f).len(), 100);
        // Same inode: truncate and write through the same path.
        let mut h = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        h.write_all(text("second", 160).as_bytes()).unwrap();
        drop(h);
        let got = lines(&mut f);
        assert_eq!(got.len(), 161, "{got:?}");
        assert_eq!(got[0], "<end>");
        assert_eq!(got[1], "second line 000");
        assert_eq!(got[160], "second line 159");
        assert_eq!(f.stats.truncations, 1);
        // Appends after that are read as usual; an unchanged start is no truncation.
        let mut h = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        h.write_all(b"appended\n").unwrap();
        assert_eq!(lines(&mut f), ["appended"]);
        assert!(lines(&mut f).is_empty());
        assert_eq!(f.stats.truncations, 1);
    }

    #[test]
    fn a_file_that_grows_from_short_keeps_its_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.log");
        std::fs::write(&p, "a\n").unwrap();
        let mut f = FileFollower::new(&p, TailStart::Beginning, 1 << 20, 1024);
        assert_eq!(lines(&mut f), ["a"]);
        let mut h = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        for i in 0..300 {
            h.write_all(format!("line {i}\n").as_bytes()).unwrap();
            assert_eq!(lines(&mut f), [format!("line {i}")]);
        }
        assert_eq!(f.stats.truncations, 0);
    }
}
