#!/usr/bin/env bash
# What `swarmglass agent` costs: its CPU (user + system, from /proc/PID/stat) while it is scraped
# once a second, over SECONDS after a 5 s warm-up, and its resident memory at the end.
# On a machine without NVIDIA GPUs the GPU reader stops after its first failure (said once), so
# this measures the HTTP server, the host readers and the exposition; run it on a GPU node for
# the NVML part (docs/GPU-CHECK.md).
#
# Usage: benches/agent_cpu.sh [SECONDS=60]     Needs: a release build, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-60}
BIN=target/release/swarmglass
[ -x "$BIN" ] || cargo build --release --quiet
TMP=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
"$BIN" agent --listen 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err" &
PID=$!
for _ in $(seq 100); do [ -s "$TMP/out" ] && break; sleep 0.1; done
URL=$(sed -n 's/^swarmglass agent serving //p' "$TMP/out")
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
for _ in $(seq 5); do curl -sf "$URL" >/dev/null; sleep 1; done
A=$(ticks)
BYTES=0
for _ in $(seq "$DUR"); do
  BYTES=$(curl -sf "$URL" | wc -c)
  sleep 1
done
B=$(ticks)
RSS=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
NVML=$(curl -sf "$URL" | awk '/^swarmglass_agent_nvml_up/ {print $2}')
echo "swarmglass agent, scraped every 1 s for ${DUR} s (after 5 s warm-up), $(nproc) cores, NVML readable: $NVML"
echo
echo "| figure | value | target |"
echo "|---|---:|---:|"
awk -v a="$A" -v b="$B" -v hz="$HZ" -v d="$DUR" 'BEGIN { printf "| CPU, %% of one core | %.3f %% | ≤ 0.5 %% |\n", (b - a) / hz / d * 100 }'
echo "| resident memory | $((RSS / 1024)) MiB | |"
echo "| answer size | $BYTES bytes | |"
