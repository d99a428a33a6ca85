//! A short, stable-toolchain smoke run of every fuzz target (fuzz/fuzz_targets/bodies/): each
//! target's seeds from fuzz/corpus/<target>/, then seeded mutations of them (bit flips, boundary
//! bytes, deleted, repeated and spliced ranges, truncation, and the values that broke parsers
//! before: NaN, ±Inf, 1e308, 2^64−1, negative numbers, times before 1970 and at 9999, a BOM, a
//! 0xFF byte). It runs in the test suite, so CI exercises every body `scripts/fuzz.sh` fuzzes
//! without building the libFuzzer workspace; the long coverage-guided runs stay in that script.
//!
//! A panic fails the test with the target, the mutation round and the input saved under the
//! test's temp dir, named so it can be copied into fuzz/corpus/ and replayed with
//! `scripts/fuzz.sh`. `FUZZ_SMOKE_ROUNDS` (default 2000 per target, a few seconds) and `FUZZ_SMOKE_SEED`
//! (default fixed, so a failure reproduces) change the run.

#![allow(clippy::expect_used)]

#[path = "../fuzz/fuzz_targets/bodies/mod.rs"]
mod bodies;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Values that earlier parsers mishandled, inserted whole.
const TOKENS: &[&[u8]] = &[
    b"NaN",
    b"+Inf",
    b"-Inf",
    b"-1",
    b"-5",
    b"1e308",
    b"18446744073709551615",
    b"-9223372036854775808",
    b"0.0",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"null",
    b"[]",
    b"{}",
    b"\"\"",
    b"\"str\"",
    b"1960-01-01T00:00:00Z",
    b"9999-12-31T23:59:59Z",
    b"-100000000000",
    b"# TYPE x counter\n",
    b"_bucket{le=\"+Inf\"} ",
    b"\n",
    b" ",
    b":",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One mutation of `data`, another seed of the same target at hand for splicing.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let len = data.len();
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = [0, 0xFF, b'\n', b'"', b'{', b'}', b'-', b'9', b'.', b'e'][rng.below(10)];
        }
        2 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(32)).min(len);
            data.drain(start..end);
        }
        3 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            let copy = data[start..end].to_vec();
            let at = rng.below(len + 1);
            for _ in 0..=rng.below(3) {
                data.splice(at..at, copy.iter().copied());
            }
        }
        4 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            let at = rng.below(len + 1);
            data.splice(at..at, token.iter().copied());
        }
        5 if !other.is_empty() => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        6 if len > 0 => data.truncate(rng.below(len)),
        _ => {
            // Replace a number-looking run with a token (the values parsers get wrong).
            if let Some(start) = data.iter().position(|b| b.is_ascii_digit()) {
                let skip = rng.below(len - start);
                let start = data[start + skip..]
                    .iter()
                    .position(|b| b.is_ascii_digit())
                    .map_or(start, |p| start + skip + p);
                let end = data[start..]
                    .iter()
                    .position(|b| !(b.is_ascii_digit() || *b == b'.'))
                    .map_or(len, |p| start + p);
                let token = TOKENS[rng.below(9)];
                data.splice(start..end, token.iter().copied());
            }
        }
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (every target needs seeds)", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect();
    assert!(!seeds.is_empty(), "{}: no seeds", dir.display());
    seeds
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?}: expected a whole number"))
        })
        .unwrap_or(default)
}

/// Run `body` on `input`; a panic saves the input and fails with where it is.
fn run_one(target: &str, body: fn(&[u8]), input: &[u8], what: &str) {
    if catch_unwind(AssertUnwindSafe(|| body(input))).is_err() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-smoke");
        std::fs::create_dir_all(&dir).expect("create fuzz-smoke dir");
        let path = dir.join(format!("{target}-{}", what.replace([' ', '/'], "_")));
        std::fs::write(&path, input).expect("save crashing input");
        panic!(
            "fuzz target {target} panicked on {what}; the input is saved at {} — copy it into \
             fuzz/corpus/{target}/ and add a regression test beside the parser",
            path.display()
        );
    }
}

#[test]
fn every_fuzz_target_survives_its_seeds_and_their_mutations() {
    let rounds = env_u64("FUZZ_SMOKE_ROUNDS", 2000);
    let seed = env_u64("FUZZ_SMOKE_SEED", 0x5EED_F00D);
    let mut ran = 0usize;
    for &(target, body) in bodies::TARGETS {
        let seeds = seeds(target);
        for (i, input) in seeds.iter().enumerate() {
            run_one(target, body, input, &format!("seed {i}"));
            ran += 1;
        }
        let mut rng = Rng(seed ^ target.len() as u64 ^ 0x9E37_79B9_7F4A_7C15);
        for round in 0..rounds {
            let base = rng.below(seeds.len());
            let other = &seeds[rng.below(seeds.len())];
            let mut input = seeds[base].clone();
            for _ in 0..=rng.below(4) {
                mutate(&mut rng, &mut input, other);
            }
            input.truncate(1 << 20);
            run_one(
                target,
                body,
                &input,
                &format!("round {round} of seed {seed:#x}"),
            );
            ran += 1;
        }
    }
    assert!(
        ran >= bodies::TARGETS.len() * (rounds as usize + 1),
        "ran only {ran} inputs"
    );
}

#[test]
#[should_panic(expected = "fuzz target demo panicked on round 7")]
fn a_panicking_body_fails_the_run_and_names_its_saved_input() {
    fn body(data: &[u8]) {
        assert!(!data.starts_with(b"boom"), "the body broke");
    }
    run_one("demo", body, b"fine", "round 6");
    run_one("demo", body, b"boom", "round 7");
}
