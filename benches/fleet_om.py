#!/usr/bin/env python3
"""Write an OpenMetrics file of a fleet for `promtool tsdb create-blocks-from openmetrics`:
NODES nodes x GPUS dcgm-exporter GPUs and one vLLM server each, every 15 s for MINUTES minutes
ending at END (unix seconds). Labels as Prometheus would add them (instance, job).
Usage: fleet_om.py NODES GPUS MINUTES END > fleet.om"""
import math
import sys

nodes, gpus, minutes, end = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
step = 15.0
stamps = [end - step * i for i in range(int(minutes * 60 / step), -1, -1)]
out = sys.stdout
w = out.write

DCGM = [("DCGM_FI_DEV_GPU_UTIL", lambda n, g, t: 40 + (n * 7 + g * 13) % 60),
        ("DCGM_FI_DEV_FB_USED", lambda n, g, t: 60000 + (n * 31 + g) % 20000),
        ("DCGM_FI_DEV_FB_FREE", lambda n, g, t: 141000 - 60000 - (n * 31 + g) % 20000),
        ("DCGM_FI_DEV_GPU_TEMP", lambda n, g, t: 45 + (n + g) % 40),
        ("DCGM_FI_DEV_POWER_USAGE", lambda n, g, t: 300 + (n * 3 + g) % 400),
        ("DCGM_FI_DEV_SM_CLOCK", lambda n, g, t: 1980),
        ("DCGM_FI_DEV_MEM_CLOCK", lambda n, g, t: 3201)]

def node(n):
    return f"node-{n:04d}"

for name, f in DCGM:
    w(f"# TYPE {name} gauge\n")
    for n in range(nodes):
        for g in range(gpus):
            labels = (f'{{instance="{node(n)}:9400",job="dcgm",gpu="{g}",UUID="GPU-{n:06d}-{g}",'
                      f'Hostname="{node(n)}",modelName="NVIDIA H200"}}')
            for t in stamps:
                w(f"{name}{labels} {f(n, g, t)} {t:.3f}\n")

def vlabels(n, extra=""):
    return f'instance="{node(n)}:8000",job="vllm",model_name="model-{n % 5}"{extra}'

for name in ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"]:
    w(f"# TYPE {name} gauge\n")
    for n in range(nodes):
        for t in stamps:
            v = 0.5 if name.endswith("perc") else (n % 30)
            w(f"{name}{{{vlabels(n)}}} {v} {t:.3f}\n")

COUNTERS = [("vllm:generation_tokens", 900.0), ("vllm:prompt_tokens", 2500.0),
            ("vllm:num_preemptions", 0.01), ("vllm:prefix_cache_queries", 2500.0),
            ("vllm:prefix_cache_hits", 1200.0)]
for name, rate in COUNTERS:
    w(f"# TYPE {name} counter\n")
    for n in range(nodes):
        for t in stamps:
            w(f"{name}_total{{{vlabels(n)}}} {rate * (t - stamps[0] + 1000):.3f} {t:.3f}\n")
w("# TYPE vllm:request_success counter\n")
for n in range(nodes):
    for reason, share in [("stop", 0.9), ("length", 0.08), ("abort", 0.02)]:
        for t in stamps:
            extra = ',finished_reason="%s"' % reason
            w(f"vllm:request_success_total{{{vlabels(n, extra)}}} "
              f"{4.0 * share * (t - stamps[0] + 1000):.3f} {t:.3f}\n")

BOUNDS = {
    "vllm:time_to_first_token_seconds": [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0],
    "vllm:inter_token_latency_seconds": [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5],
    "vllm:e2e_request_latency_seconds": [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0],
}
for name, bounds in BOUNDS.items():
    median = bounds[len(bounds) // 2]
    w(f"# TYPE {name} histogram\n")
    for n in range(nodes):
        for t in stamps:
            count = 4.0 * (t - stamps[0] + 1000)
            for b in bounds:
                frac = 1.0 / (1.0 + (b / median) ** -2.5)
                le = ',le="%s"' % b
                w(f"{name}_bucket{{{vlabels(n, le)}}} {count * frac:.3f} {t:.3f}\n")
            inf = ',le="+Inf"'
            w(f"{name}_bucket{{{vlabels(n, inf)}}} {count:.3f} {t:.3f}\n")
            w(f"{name}_sum{{{vlabels(n)}}} {count * median:.3f} {t:.3f}\n")
            w(f"{name}_count{{{vlabels(n)}}} {count:.3f} {t:.3f}\n")
w("# EOF\n")
