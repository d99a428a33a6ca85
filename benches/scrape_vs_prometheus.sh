#!/usr/bin/env bash
# Direct scraping, side by side in one run: the CPU Swarmglass's collector spends scraping N
# simulated targets every second, against Prometheus 2.42 scraping the same targets at the same
# interval. Each runs alone for SECONDS after a 10 s warm-up, against one simulator (not counted);
# CPU = user + system time of that process over the window, from /proc/PID/stat.
#
# Usage: benches/scrape_vs_prometheus.sh [SECONDS=60] [NODES=128]   (2 targets per node)
# BIN=path/to/swarmglass measures another build (e.g. an older commit's, side by side).
# Needs: a release build (cargo build --release), prometheus (apt-get install prometheus).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-60}
NODES=${2:-128}
BIN=${BIN:-target/release/swarmglass}
[ -x "$BIN" ] || cargo build --release --quiet
command -v prometheus >/dev/null || { echo "prometheus not installed: apt-get install -y prometheus"; exit 1; }
TMP=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$BIN" sim --nodes "$NODES" --gpus-per-node 8 --no-agents --steady --write-config "$TMP/sim.toml" >"$TMP/sim.out" 2>&1 &
for _ in $(seq 100); do [ -s "$TMP/sim.toml" ] && break; sleep 0.1; done
# Only the Prometheus targets (no /status): the same list both scrape.
awk '/^\[\[status\]\]/{exit} {print}' "$TMP/sim.toml" > "$TMP/direct.toml"
TARGETS=$(grep -c '^\[\[prometheus\]\]' "$TMP/direct.toml")

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
measure() { # PID -> CPU % of one core over DUR s, after a 10 s warm-up
  sleep 10
  local a; a=$(ticks "$1"); sleep "$DUR"; local b; b=$(ticks "$1")
  awk -v a="$a" -v b="$b" -v hz="$HZ" -v d="$DUR" 'BEGIN { printf "%.2f", (b - a) / hz / d * 100 }'
}

"$BIN" --no-history snapshot --config "$TMP/direct.toml" --duration "$((DUR + 15))s" >/dev/null 2>&1 &
OURS=$!
OURS_CPU=$(measure $OURS)
kill $OURS 2>/dev/null || true; wait $OURS 2>/dev/null || true

{
  echo "global: {scrape_interval: 1s, scrape_timeout: 1s}"
  echo "scrape_configs:"
  echo "  - job_name: vllm"
  echo "    static_configs: [{targets: [$(grep -o 'http://[^"]*/metrics"' "$TMP/direct.toml" | grep -v /gpu/ | sed 's#http://##; s#/metrics"##' | sed "s/.*/'&'/" | paste -sd, -)]}]"
  echo "  - job_name: dcgm"
  echo "    metrics_path: /gpu/metrics"
  echo "    static_configs: [{targets: [$(grep -o 'http://[^"]*/gpu/metrics"' "$TMP/direct.toml" | sed 's#http://##; s#/gpu/metrics"##' | sed "s/.*/'&'/" | paste -sd, -)]}]"
} > "$TMP/prometheus.yml"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
  --web.listen-address=127.0.0.1:0 >"$TMP/prom.log" 2>&1 &
PROM=$!
PROM_CPU=$(measure $PROM)
UP=$(grep -c "Server is ready" "$TMP/prom.log" || true)

echo "Direct scraping of $TARGETS simulated targets every 1 s ($NODES nodes: vLLM /metrics + 8-GPU dcgm /gpu/metrics), ${DUR} s each after 10 s warm-up, $(nproc) cores"
echo
echo "| scraper | CPU (% of one core) | ratio to Prometheus |"
echo "|---|---:|---:|"
awk -v o="$OURS_CPU" -v p="$PROM_CPU" 'BEGIN {
  printf "| Swarmglass collector (parse + map + model + views) | %s | %.2f× |\n", o, o / p
  printf "| Prometheus 2.42 (scrape + parse + TSDB append) | %s | 1.00× |\n", p }'
[ "$UP" -ge 1 ] || echo "(warning: Prometheus did not log readiness; see its log)"
