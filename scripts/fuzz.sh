#!/usr/bin/env bash
# Fuzz every parser and decoder of outside input (fuzz/fuzz_targets/) for SECONDS each
# (default 600), with a memory limit and a per-input timeout; stops at the first target that
# crashes, hangs or runs out of memory, and says where the input that did it was saved.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 20   (the CI smoke run)
#
# cargo-fuzz (`cargo install cargo-fuzz --locked`) on the stable toolchain: its sanitizer flags
# need RUSTC_BOOTSTRAP=1, set here. The seeds in fuzz/corpus/<target>/ are read, never
# written: what libFuzzer learns goes to $FUZZ_WORK (default fuzz/target/corpus-work/), so the
# repository stays small. Environment: FUZZ_RSS_MB (default 2048), FUZZ_TIMEOUT_S (default 10),
# FUZZ_JOBS (parallel jobs per target, default 1), FUZZ_SANITIZER (default address; `none`
# builds faster). Run it from a checkout nobody edits meanwhile (a git worktree): `cargo fuzz
# run` rebuilds the crate before each target. Cost here (2 cores, shared): a cold build ~31 min and ~6 GB in fuzz/target;
# after a change to the main crate ~5 min; then SECONDS + ~5 s per target.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-600}"
shift || true
rss_mb="${FUZZ_RSS_MB:-2048}"
timeout_s="${FUZZ_TIMEOUT_S:-10}"
jobs="${FUZZ_JOBS:-1}"
sanitizer="${FUZZ_SANITIZER:-address}"
work="${FUZZ_WORK:-target/corpus-work}"
export RUSTC_BOOTSTRAP=1
# The fuzz crate has its own target dir (fuzz/target), whatever the caller's CARGO_TARGET_DIR.
unset CARGO_TARGET_DIR

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[@]} fuzz target(s) (sanitizer: $sanitizer)"
start=$(date +%s)
cargo fuzz build --sanitizer "$sanitizer"
echo "   built in $(($(date +%s) - start)) s"

# -jobs sends libFuzzer's output to fuzz-N.log files: only ask for it when running several.
parallel=()
if [ "$jobs" -gt 1 ]; then
    parallel=(-jobs="$jobs" -workers="$jobs")
fi

for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "corpus/$t" "artifacts/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${seconds} s, rss limit ${rss_mb} MB, ${timeout_s} s per input"
    # The first corpus dir receives new inputs; the seeds are only read.
    cargo fuzz run --sanitizer "$sanitizer" "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" \
        -rss_limit_mb="$rss_mb" \
        -malloc_limit_mb="$rss_mb" \
        -timeout="$timeout_s" \
        "${parallel[@]}" \
        -print_final_stats=1 2>&1 | tail -n 25 || {
        # `cargo fuzz run` rebuilds first: a build error is not a finding.
        if [ "$(find "artifacts/$t" -type f | wc -l)" -eq "$before" ]; then
            echo "FAILED: $t did not run (no input saved: see the build output above)" >&2
        else
            echo "FAILED: $t — the input is under fuzz/artifacts/$t/; reproduce with" >&2
            echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run $t fuzz/artifacts/$t/<file>" >&2
        fi
        exit 1
    }
done
echo "== all ${#targets[@]} target(s) ran ${seconds} s each without a crash, hang or OOM"
