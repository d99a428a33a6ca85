#!/usr/bin/env bash
# Idle cost of the real window: `swarmglass demo` at its default size under Xvfb with software GL
# (llvmpipe), the simulated cluster sending data every second. After a 10 s start it measures, over
# 20 s: the whole process's CPU (% of one core, from /proc/PID/stat), the split by thread name, and
# the frames painted per second (the window logs one debug line per pass, target
# swarmglass::frames). Prints a markdown table. Usage: benches/idle_window.sh [runs] (default 2).
#
# Needs Xvfb (apt-get install xvfb) and a release build (built here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-2}
BIN=${BIN:-target/release/swarmglass}
[ -x "$BIN" ] || cargo build --release --locked
command -v Xvfb >/dev/null || { echo "Xvfb missing: apt-get install xvfb" >&2; exit 2; }

DISPLAY_NUM=:$((90 + RANDOM % 9))
Xvfb "$DISPLAY_NUM" -screen 0 1920x1200x24 -nolisten tcp >/dev/null 2>&1 &
XPID=$!
WORK=$(mktemp -d)
cleanup() { kill "$XPID" 2>/dev/null || true; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
sleep 1
export DISPLAY=$DISPLAY_NUM LIBGL_ALWAYS_SOFTWARE=1
TICK=$(getconf CLK_TCK)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
threads() { # "tid name ticks" per thread
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(tr ' ' '_' < "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done
}

echo "| run | whole process (% of one core) | frames/s | busiest threads (% of one core) |"
echo "|---:|---:|---:|---|"
for run in $(seq 1 "$RUNS"); do
  LOG=$WORK/log.$run
  # A home of its own: no remembered window size or theme from another run.
  HOME=$WORK/home.$run XDG_CONFIG_HOME=$WORK/home.$run/.config XDG_DATA_HOME=$WORK/home.$run/.local \
    RUST_LOG=swarmglass::frames=debug "$BIN" demo --screenshot "$WORK/shot.$run.png" \
    --screenshot-after 45s 2>"$LOG" &
  PID=$!
  sleep 10
  c0=$(ticks "$PID"); f0=$(grep -c ' pass ' "$LOG" || true); t0=$(date +%s.%N); threads "$PID" >"$WORK/th0"
  sleep 20
  c1=$(ticks "$PID"); f1=$(grep -c ' pass ' "$LOG" || true); t1=$(date +%s.%N); threads "$PID" >"$WORK/th1"
  kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=
  dt=$(echo "$t1 - $t0" | bc -l)
  cpu=$(echo "($c1 - $c0) / $TICK / $dt * 100" | bc -l)
  fps=$(echo "($f1 - $f0) / $dt" | bc -l)
  # Per thread name (llvmpipe-N kept apart, rt-worker summed): ticks now minus ticks then.
  split=$(awk -v tick="$TICK" -v dt="$dt" \
    'FNR == NR {before[$1] = $3; next} {d[$2] += $3 - before[$1]}
     END {for (n in d) if (d[n] > 0) printf "%s %.2f\n", n, d[n] / tick / dt * 100}' \
    "$WORK/th0" "$WORK/th1" \
    | sort -k2 -nr | head -5 | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
  printf '| %d | %.2f | %.2f | %s |\n' "$run" "$cpu" "$fps" "$split"
done
