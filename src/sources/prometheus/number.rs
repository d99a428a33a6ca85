//! Number parsing for sample values and timestamps: a correctly rounded fast path for plain
//! decimals, the standard library for everything else, and the grammar checks around both.

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest significand the fast path converts exactly.
const MAX_EXACT: u64 = 1 << 53;

/// Clinger's fast path: `[+-]digits[.digits][e[+-]digits]` whose significand fits in 53 bits and
/// whose decimal exponent is at most 22 in magnitude is converted with one exact multiplication
/// or division, which IEEE rounding makes correctly rounded. Reads the longest such prefix of
/// `tok` and returns its value and length; anything the fast path cannot convert exactly returns
/// `None` and goes to the standard library parser (which also produces the errors).
#[inline(always)]
fn decimal_prefix(tok: &[u8]) -> Option<(f64, usize)> {
    let (negative, mut i) = match tok.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    // Leading zeros add nothing and the significand only grows, so stopping as soon as it passes
    // 2^53 rejects exactly the inputs the fast path cannot take (and never overflows).
    let mut mantissa: u64 = 0;
    let int_start = i;
    while let Some(d) = digit(tok, i) {
        mantissa = mantissa * 10 + d;
        if mantissa > MAX_EXACT {
            return None;
        }
        i += 1;
    }
    let mut digits = i - int_start;
    let mut exp10: i32 = 0;
    if tok.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while let Some(d) = digit(tok, i) {
            mantissa = mantissa * 10 + d;
            if mantissa > MAX_EXACT {
                return None;
            }
            i += 1;
        }
        digits += i - frac_start;
        // At most 2^53 < 10^16 worth of digits got here, so this cannot truncate.
        exp10 = -i32::try_from(i - frac_start).ok()?;
    }
    if digits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = tok.get(i) {
        i += 1;
        let negative_exp = match tok.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i32 = 0;
        while let Some(&c) = tok.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start >= 4 {
                return None;
            }
            e = e * 10 + i32::from(c - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        exp10 += if negative_exp { -e } else { e };
    }
    let m = mantissa as f64;
    let v = match exp10 {
        0 => m,
        1..=22 => m * POW10.get(exp10.unsigned_abs() as usize).copied()?,
        -22..=-1 => m / POW10.get(exp10.unsigned_abs() as usize).copied()?,
        _ if mantissa == 0 => 0.0,
        _ => return None,
    };
    Some((if negative { -v } else { v }, i))
}

/// The decimal digit at `i`, if there is one.
#[inline]
fn digit(tok: &[u8], i: usize) -> Option<u64> {
    let d = tok.get(i)?.wrapping_sub(b'0');
    (d < 10).then_some(u64::from(d))
}

/// [`decimal_prefix`] of the whole token.
#[inline]
fn fast_decimal(tok: &[u8]) -> Option<f64> {
    decimal_prefix(tok).and_then(|(v, len)| (len == tok.len()).then_some(v))
}

/// A sample value at the start of `b` that ends at one of the bytes in `ends` or at the end of
/// `b`: its value and length. `None` means "not a plain decimal": take the token up to the end
/// byte and give it to [`parse_value`], which decides.
#[inline]
pub(super) fn value_prefix(b: &[u8], ends: &[u8]) -> Option<(f64, usize)> {
    let (v, len) = decimal_prefix(b)?;
    match b.get(len) {
        None => Some((v, len)),
        Some(c) if ends.contains(c) => Some((v, len)),
        Some(_) => None,
    }
}

/// Parse a sample value. Accepts what Go's and Python's float parsers agree on (decimal and
/// exponent forms, `Inf`/`Infinity`/`NaN` in any case, with a sign), plus MSVC's `-nan(ind)`.
/// Hex, binary, octal and `_` separators are rejected.
#[inline]
pub(super) fn parse_value(tok: &str) -> Option<f64> {
    if let Some(v) = fast_decimal(tok.as_bytes()) {
        return Some(v);
    }
    // The spellings of `le="+Inf"` and friends, without the detour through the general parser.
    match tok {
        "+Inf" => return Some(f64::INFINITY),
        "-Inf" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    if let Ok(v) = tok.parse::<f64>() {
        return Some(v);
    }
    let unsigned = tok.strip_prefix(['-', '+']).unwrap_or(tok);
    (unsigned.eq_ignore_ascii_case("nan(ind)") || unsigned.eq_ignore_ascii_case("nan(snan)"))
        .then_some(f64::NAN)
}

/// An OpenMetrics timestamp (seconds, possibly fractional): milliseconds and exact seconds.
pub(super) fn parse_om_timestamp(tok: &str) -> Option<(i64, f64)> {
    let digits = tok.strip_prefix('-').unwrap_or(tok);
    if !digits.is_empty()
        && digits.bytes().all(|c| c.is_ascii_digit())
        && let Ok(secs) = tok.parse::<i64>()
    {
        return Some((secs.saturating_mul(1000), secs as f64));
    }
    let secs = tok.parse::<f64>().ok().filter(|s| s.is_finite())?;
    // `as` saturates for out-of-range values, which is what we want for absurd timestamps.
    Some(((secs * 1000.0).round() as i64, secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            (None, None) => true,
            _ => false,
        }
    }

    #[test]
    fn fast_path_agrees_with_std_bit_for_bit() {
        let fixed = [
            "0",
            "-0",
            "+0",
            "1",
            "1.",
            ".5",
            "-.5",
            "0.1",
            "0.000118953",
            "4.893432e+06",
            "1.23457e+06",
            "7.424100000000001e-05",
            "9007199254740992",
            "9007199254740993",
            "9223372036854775794",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "0000000000000000000000000001.2e-1",
            "1.7976931348623157e308",
            "5e-324",
            "0e9999",
            "1E5",
            "1e+05",
            "2693.9",
            "-8.969000",
        ];
        let mut inputs: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mant = x % 100_000_000_000;
            let point = (x >> 40) % 12;
            let exp = (x >> 48) % 60;
            let mut s = mant.to_string();
            if (point as usize) < s.len() {
                s.insert((point as usize).min(s.len()), '.');
            }
            if x & 1 == 1 {
                s = format!("{s}e{}{exp}", if x & 2 == 2 { "-" } else { "+" });
            }
            inputs.push(s);
        }
        for s in &inputs {
            let std = s.parse::<f64>().ok();
            assert!(
                same(parse_value(s), std),
                "{s}: {:?} vs {std:?}",
                parse_value(s)
            );
            if let Some(fast) = fast_decimal(s.as_bytes()) {
                assert!(same(Some(fast), std), "fast path wrong for {s}");
            }
        }
    }

    #[test]
    fn value_prefix_agrees_with_the_token_parser() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut inputs: Vec<String> = [
            "0",
            "-0",
            "1.",
            ".5",
            "-.5",
            "1e5",
            "1e+05",
            "1E-3",
            "+3",
            "1e",
            ".",
            "-",
            "1.2.3",
            "0x1",
            "1_2",
            "NaN",
            "+Inf",
            "Inf",
            "9007199254740993",
            "1e23",
            "0e9999",
            "1e99999",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            inputs.push(format!(
                "{}.{}e-{}",
                x % 100_000,
                (x >> 20) % 1000,
                (x >> 40) % 30
            ));
        }
        for s in &inputs {
            for tail in ["", " 17", "\t17", "x", "#", ",", "e", "."] {
                let line = format!("{s}{tail}");
                let token = line.split([' ', '\t']).next().unwrap_or_default();
                if let Some((v, len)) = value_prefix(line.as_bytes(), b" \t") {
                    assert_eq!(len, token.len(), "{line:?}");
                    assert!(same(Some(v), parse_value(token)), "{line:?}");
                }
            }
            // Every plain decimal the fast path takes is found without the token scan.
            if fast_decimal(s.as_bytes()).is_some() {
                assert!(
                    value_prefix(format!("{s} 1").as_bytes(), b" ").is_some(),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn value_grammar() {
        for ok in [
            "NaN",
            "nan",
            "-nan",
            "+Inf",
            "-Inf",
            "Inf",
            "inf",
            "Infinity",
            "-nan(ind)",
        ] {
            assert!(parse_value(ok).is_some(), "{ok}");
        }
        assert!(parse_value("-nan(ind)").is_some_and(f64::is_nan));
        for bad in [
            "", "true", "1_2", "0x1p-3", "0x1", "0X1", "0b1", "0B1", "0o1", "0O1", "1e", ".", "-",
            "--1", "1 ", " 1", "1\t", "1#", "1,5",
        ] {
            assert!(parse_value(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn openmetrics_timestamps() {
        assert_eq!(
            parse_om_timestamp("1718140558"),
            Some((1_718_140_558_000, 1_718_140_558.0))
        );
        assert_eq!(parse_om_timestamp("1.5").map(|t| t.0), Some(1500));
        assert_eq!(parse_om_timestamp("-1.1").map(|t| t.0), Some(-1100));
        assert_eq!(parse_om_timestamp("000").map(|t| t.0), Some(0));
        assert_eq!(parse_om_timestamp("1.5e3").map(|t| t.0), Some(1_500_000));
        assert_eq!(
            parse_om_timestamp("12345678901234567890.1234567890").map(|t| t.0),
            Some(i64::MAX)
        );
        for bad in [
            "NaN", "Inf", "-Inf", "z", "1z", "1_2", "1.1.1", "0x1p-3", "",
        ] {
            assert_eq!(parse_om_timestamp(bad), None, "{bad:?}");
        }
    }
}
