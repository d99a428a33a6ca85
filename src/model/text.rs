//! Small text helpers the model and its sources share, and the one natural order of names
//! ([`natural_cmp`]) every list uses.

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

/// Order names the way people read them: digit runs compare as numbers, so `node-2` comes
/// before `node-10`. Ties fall back to plain byte order, so the order is total and stable.
#[must_use]
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            let (da, db) = (trim_zeros(&x[si..i]), trim_zeros(&y[sj..j]));
            let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if x[i] != y[j] {
                return x[i].cmp(&y[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let k = d.iter().take_while(|&&c| c == b'0').count();
    &d[k.min(d.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_str("héllo", 2), "h…");
        assert_eq!(truncate_str("abc", 3), "abc");
    }

    #[test]
    fn natural_order() {
        let mut v = vec![
            "sim-node-10",
            "sim-node-2",
            "sim-node-1",
            "alpha",
            "sim-node-02",
            "sim-node-1a",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "alpha",
                "sim-node-1",
                "sim-node-1a",
                "sim-node-02",
                "sim-node-2",
                "sim-node-10"
            ]
        );
        assert_eq!(natural_cmp("gpu", "gpu"), std::cmp::Ordering::Equal);
    }
}
