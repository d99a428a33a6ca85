//! Byte-level scanning helpers: character classes, SWAR ("SIMD within a register") searches
//! over `&[u8]` eight bytes at a time, panic-free slicing, and the hasher for family names.
//! Safe code only; every function is small and `#[inline]`.

use std::hash::Hasher;

/// Membership table for `[a-zA-Z_]`, optionally with digits and `:`.
const fn class_table(digits: bool, colon: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphabetic()
            || b == b'_'
            || (colon && b == b':')
            || (digits && b.is_ascii_digit());
        c += 1;
    }
    t
}

/// `[a-zA-Z_:]`
pub(super) static METRIC_START: [bool; 256] = class_table(false, true);
/// `[a-zA-Z0-9_:]`
pub(super) static METRIC_CONT: [bool; 256] = class_table(true, true);
/// `[a-zA-Z_]`
pub(super) static LABEL_START: [bool; 256] = class_table(false, false);
/// `[a-zA-Z0-9_]`
pub(super) static LABEL_CONT: [bool; 256] = class_table(true, false);

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` that are zero get their high bit set (exact for the lowest such byte).
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LO) & !w & HI
}

/// High bit of each byte of `x` (all bytes < 0x80) set where `lo <= byte <= hi`. Exact: no
/// carry crosses a byte boundary for 7-bit inputs.
#[inline]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let ge_lo = x + LO * u64::from(0x80 - lo);
    let gt_hi = x + LO * u64::from(0x7f - hi);
    ge_lo & !gt_hi & HI
}

/// High bit of each byte of `w` set where the byte is `[a-zA-Z0-9_]` (plus `:` when `colon`).
#[inline]
fn name_bytes(w: u64, colon: bool) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w & LOW7;
    let ascii = !w & HI;
    let letter = in_range(x | (LO * 0x20), b'a', b'z');
    let digit = in_range(x, b'0', if colon { b':' } else { b'9' });
    let underscore = !((x ^ (LO * u64::from(b'_'))) + LOW7) & HI;
    (letter | digit | underscore) & ascii
}

/// Position of the first `needle` in `hay`, sixteen bytes per step (lines are long: ~80 bytes).
#[inline]
pub(super) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    let rep = LO * u64::from(needle);
    let (pairs, rest) = hay.as_chunks::<16>();
    for (n, pair) in pairs.iter().enumerate() {
        let (lo, hi) = pair.split_at(8);
        let lo = lo
            .first_chunk::<8>()
            .map_or(0, |c| zero_bytes(u64::from_le_bytes(*c) ^ rep));
        let hi = hi
            .first_chunk::<8>()
            .map_or(0, |c| zero_bytes(u64::from_le_bytes(*c) ^ rep));
        if lo | hi != 0 {
            let at = if lo != 0 {
                lo.trailing_zeros()
            } else {
                64 + hi.trailing_zeros()
            };
            return Some(n * 16 + (at / 8) as usize);
        }
    }
    let base = pairs.len() * 16;
    let (chunks, tail) = rest.as_chunks::<8>();
    if let Some(chunk) = chunks.first() {
        let z = zero_bytes(u64::from_le_bytes(*chunk) ^ rep);
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
    }
    let base = base + chunks.len() * 8;
    tail.iter().position(|&b| b == needle).map(|p| base + p)
}

/// Position of the first `a` or `b` in `hay`, eight bytes at a time.
#[inline]
pub(super) fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let (ra, rb) = (LO * u64::from(a), LO * u64::from(b));
    let (chunks, rest) = hay.as_chunks::<8>();
    for (n, chunk) in chunks.iter().enumerate() {
        let w = u64::from_le_bytes(*chunk);
        let z = zero_bytes(w ^ ra) | zero_bytes(w ^ rb);
        if z != 0 {
            return Some(n * 8 + (z.trailing_zeros() / 8) as usize);
        }
    }
    let base = chunks.len() * 8;
    rest.iter()
        .position(|&c| c == a || c == b)
        .map(|p| base + p)
}

/// `&s[a..b]` without a panic path.
#[inline]
pub(super) fn sub(s: &str, a: usize, b: usize) -> &str {
    // Two one-sided slices: the compiler inlines these where it calls out for `a..b`.
    s.get(..b)
        .and_then(|head| head.get(a..))
        .unwrap_or_default()
}

/// The byte at `i`, if any.
#[inline]
pub(super) fn at(b: &[u8], i: usize) -> Option<u8> {
    b.get(i).copied()
}

/// Space or tab.
#[inline]
pub(super) fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Index of the first non-blank byte at or after `i`.
#[inline]
pub(super) fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while at(b, i).is_some_and(is_blank) {
        i += 1;
    }
    i
}

/// End of the run of bytes starting at `i` that are in class `cont`, given a valid first byte.
#[inline]
pub(super) fn scan_name(b: &[u8], i: usize, start: &[bool; 256], cont: &[bool; 256]) -> usize {
    match at(b, i) {
        Some(c) if start[usize::from(c)] => {
            let mut j = i + 1;
            // Eight bytes per step: names are long (~40 bytes in real scrapes).
            let colon = cont[usize::from(b':')];
            while let Some(chunk) = b.get(j..).and_then(<[u8]>::first_chunk::<8>) {
                let bad = !name_bytes(u64::from_le_bytes(*chunk), colon) & HI;
                if bad != 0 {
                    return j + (bad.trailing_zeros() / 8) as usize;
                }
                j += 8;
            }
            while at(b, j).is_some_and(|c| cont[usize::from(c)]) {
                j += 1;
            }
            j
        }
        _ => i,
    }
}

/// End of a legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) starting at `i` (`i` if none).
#[inline]
pub(super) fn scan_metric_name(b: &[u8], i: usize) -> usize {
    scan_name(b, i, &METRIC_START, &METRIC_CONT)
}

/// Multiply-rotate hash (FxHash) for family names: far cheaper than SipHash on short keys. Names
/// come from the scraped server, which could collide them on purpose; that only slows its own
/// scrape down.
#[derive(Default, Clone, Copy)]
pub(super) struct NameHasher(u64);

impl NameHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let (chunks, rest) = bytes.as_chunks::<8>();
        for chunk in chunks {
            self.add(u64::from_le_bytes(*chunk));
        }
        let mut last = [0u8; 8];
        for (dst, src) in last.iter_mut().zip(rest) {
            *dst = *src;
        }
        self.add(u64::from_le_bytes(last) ^ (rest.len() as u64) << 56);
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};

    fn naive_name_end(b: &[u8], i: usize, start: &[bool; 256], cont: &[bool; 256]) -> usize {
        match b.get(i) {
            Some(&c) if start[usize::from(c)] => {
                let mut j = i + 1;
                while b.get(j).is_some_and(|&c| cont[usize::from(c)]) {
                    j += 1;
                }
                j
            }
            _ => i,
        }
    }

    #[test]
    fn swar_name_scan_matches_the_tables_for_every_byte_at_every_offset() {
        for tables in [(&METRIC_START, &METRIC_CONT), (&LABEL_START, &LABEL_CONT)] {
            for stop in 0..=255u8 {
                for pos in 1..20 {
                    let mut line = vec![b'a'; 24];
                    line[pos] = stop;
                    let want = naive_name_end(&line, 0, tables.0, tables.1);
                    assert_eq!(
                        scan_name(&line, 0, tables.0, tables.1),
                        want,
                        "{stop:#x}@{pos}"
                    );
                }
            }
        }
        assert_eq!(scan_metric_name(b"vllm:num_requests_running{", 0), 25);
        assert_eq!(scan_metric_name(b"0abc", 0), 0);
        assert_eq!(scan_metric_name("métrique".as_bytes(), 0), 1);
    }

    #[test]
    fn swar_searches_match_naive_search() {
        let text: Vec<u8> = (0..300u32)
            .map(|i| b"ab\"c\\d\n e"[(i * 7 % 9) as usize])
            .collect();
        for start in 0..text.len() {
            let hay = &text[start..];
            for needle in [b'\n', b'"', b'\\', b'z'] {
                assert_eq!(
                    find_byte(hay, needle),
                    hay.iter().position(|&c| c == needle)
                );
            }
            let naive = hay.iter().position(|&c| c == b'"' || c == b'\\');
            assert_eq!(find_either(hay, b'"', b'\\'), naive);
        }
        assert_eq!(find_byte(b"", b'\n'), None);
        assert_eq!(find_byte("é\n".as_bytes(), b'\n'), Some(2));
    }

    #[test]
    fn helpers_never_panic_out_of_range() {
        assert_eq!(sub("abc", 2, 9), "");
        assert_eq!(sub("é", 0, 1), "");
        assert_eq!(at(b"a", 5), None);
        assert_eq!(skip_blanks(b" \t x", 0), 3);
        assert_eq!(skip_blanks(b"  ", 0), 2);
    }

    #[test]
    fn name_hasher_separates_lengths_and_contents() {
        let h = BuildHasherDefault::<NameHasher>::default();
        assert_eq!(h.hash_one("go_goroutines"), h.hash_one("go_goroutines"));
        assert_ne!(h.hash_one("a"), h.hash_one("a\0"));
        assert_ne!(h.hash_one("abcdefgh"), h.hash_one("abcdefgi"));
    }
}
