//! Small text helpers the model and its sources share.

/// `s` cut to at most `max_bytes` (on a character boundary), with `…` when cut.
#[must_use]
pub fn truncate_str(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s[..end].to_owned();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_str("héllo", 2), "h…");
        assert_eq!(truncate_str("abc", 3), "abc");
    }
}
