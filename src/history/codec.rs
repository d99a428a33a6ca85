//! How a chunk's columns become bytes: each column is a run of `i64` (fixed-point values, times
//! in ms, series ids), compressed with pco (made for numeric columns: delta, offset and
//! frequency encodings picked per chunk), framed as `[count: u8][len: u32 LE][pco bytes]…`.
//! [`GAP`] marks "no value at this tick" inside a value column.

use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress};

/// pco's effort (0–12, default 8). Lower encodes faster: a closing window compresses every series
/// at once, on the thread that draws (docs/BENCHMARKS.md, "History").
const COMPRESSION_LEVEL: usize = 4;

/// No value at this tick (the source was down, or the figure not reported).
pub const GAP: i64 = i64::MIN;

/// Why stored bytes could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("a history chunk is damaged ({0}); `swarmglass history info` names the file")]
pub struct CodecError(String);

/// Compress `columns` into one blob.
#[must_use]
pub fn encode(columns: &[&[i64]]) -> Vec<u8> {
    let config = ChunkConfig::default().with_compression_level(COMPRESSION_LEVEL);
    let mut out = Vec::with_capacity(16 + columns.iter().map(|c| c.len()).sum::<usize>());
    out.push(u8::try_from(columns.len()).unwrap_or(u8::MAX));
    for col in columns.iter().take(usize::from(u8::MAX)) {
        // pco only fails on invalid configs; the default one is valid.
        let bytes = simple_compress(col, &config).unwrap_or_default();
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Read back what [`encode`] wrote.
///
/// # Errors
/// When the blob is truncated or not pco.
pub fn decode(mut bytes: &[u8]) -> Result<Vec<Vec<i64>>, CodecError> {
    let (&count, rest) = bytes
        .split_first()
        .ok_or_else(|| CodecError("empty".into()))?;
    bytes = rest;
    let mut columns = Vec::with_capacity(usize::from(count));
    for i in 0..count {
        let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(CodecError(format!("column {i} has no length")));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(CodecError(format!(
                "column {i} is cut short ({} of {len} bytes)",
                rest.len()
            )));
        }
        let (col, rest) = rest.split_at(len);
        columns.push(simple_decompress::<i64>(col).map_err(|e| CodecError(e.to_string()))?);
        bytes = rest;
    }
    Ok(columns)
}

/// A figure as a fixed-point integer: `value × scale`, rounded; non-finite is a [`GAP`].
#[must_use]
pub fn to_fixed(value: f64, scale: f64) -> i64 {
    let v = (value * scale).round();
    if v.is_finite() && v > i64::MIN as f64 && v < i64::MAX as f64 {
        #[allow(clippy::cast_possible_truncation, reason = "range checked above")]
        let fixed = v as i64;
        fixed
    } else {
        GAP
    }
}

/// Back from fixed point; a [`GAP`] is `None`.
#[must_use]
pub fn from_fixed(fixed: i64, scale: f64) -> Option<f64> {
    #[allow(
        clippy::cast_precision_loss,
        reason = "stored values are display precision"
    )]
    (fixed != GAP).then(|| fixed as f64 / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip_and_damage_is_an_error() {
        let ticks: Vec<i64> = (0..300).map(|i| 1_700_000_000_000 + i * 1000).collect();
        let values: Vec<i64> = (0..300)
            .map(|i| if i % 50 == 7 { GAP } else { i % 13 })
            .collect();
        let blob = encode(&[&ticks, &values, &[]]);
        let back = decode(&blob).unwrap();
        assert_eq!(back, vec![ticks, values, Vec::new()]);
        // Regular ticks and small values: far below 2 bytes per sample.
        assert!(blob.len() < 300, "{} bytes for 300 samples", blob.len());
        assert!(decode(&blob[..blob.len() - 3]).is_err());
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn fixed_point_keeps_display_precision_and_gaps() {
        assert_eq!(to_fixed(54.26, 10.0), 543);
        assert_eq!(from_fixed(543, 10.0), Some(54.3));
        assert_eq!(to_fixed(f64::NAN, 10.0), GAP);
        assert_eq!(to_fixed(1e308, 10.0), GAP);
        assert_eq!(from_fixed(GAP, 10.0), None);
    }
}
