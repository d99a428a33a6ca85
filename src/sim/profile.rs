//! Deterministic per-node parameters of the simulated cluster and the closed-form functions of
//! time that the renderers read.
//!
//! Everything here is pure: no I/O and no clock. Time is always an argument, `t_s`, in seconds
//! since the simulation started. Every counter is the exact integral of its rate, so a test can
//! predict what `rate()` between two scrapes must give, and every histogram has fixed cumulative
//! bucket fractions, so its true quantile is known. The same seed always gives the same profile.

use std::f64::consts::PI;

/// Models the simulated nodes serve (Hugging Face ids, as vLLM reports them in `model_name`).
pub const MODELS: &[&str] = &[
    "Qwen/Qwen2.5-32B-Instruct-AWQ",
    "meta-llama/Llama-3.1-8B-Instruct",
    "Qwen/Qwen2.5-Coder-7B-Instruct",
    "mistralai/Mistral-7B-Instruct-v0.3",
];

/// GPU product name reported in dcgm-exporter's `modelName` label.
pub const GPU_MODEL_NAME: &str = "NVIDIA H100 80GB HBM3";

/// Framebuffer size of one simulated GPU, MiB (what an H100 80GB reports).
pub const GPU_FB_TOTAL_MIB: u64 = 81_559;

/// Bucket bounds of `vllm:time_to_first_token_seconds` (vLLM V1 `loggers.py`).
pub const TTFT_BUCKETS_S: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
];

/// Bucket bounds of `vllm:inter_token_latency_seconds` (vLLM V1 `loggers.py`).
pub const ITL_BUCKETS_S: &[f64] = &[
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
    40.0, 80.0,
];

/// Bucket bounds of the request-phase histograms (`e2e_request_latency_seconds`,
/// `request_queue_time_seconds`, … ; vLLM V1 `request_latency_buckets`).
pub const REQUEST_LATENCY_BUCKETS_S: &[f64] = &[
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
    480.0, 960.0, 1920.0, 7680.0,
];

/// A wave period of about 30,000 years: [`NodeProfile::steady`].
const STEADY_PERIOD_S: f64 = 1e12;

/// Values of the `finished_reason` label, in the order of [`NodeProfile::finish_fractions`].
pub const FINISHED_REASONS: [&str; 3] = ["stop", "length", "abort"];

/// Share of finished requests that were aborted, on every node.
pub const ABORT_FRACTION: f64 = 0.02;

/// A smooth periodic load shape, `1 + amplitude·sin(2πτ/period_s + phase_rad)`, with its exact
/// integral. `amplitude < 1`, so the shape stays positive and its integral strictly increases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wave {
    /// Relative swing around 1, in `0..1`.
    pub amplitude: f64,
    /// Period of one swing, seconds.
    pub period_s: f64,
    /// Phase at τ = 0, radians.
    pub phase_rad: f64,
}

impl Wave {
    /// The shape at τ seconds: a factor in `1 − amplitude ..= 1 + amplitude`.
    #[must_use]
    pub fn value(&self, tau_s: f64) -> f64 {
        1.0 + self.amplitude * (2.0 * PI * tau_s / self.period_s + self.phase_rad).sin()
    }

    /// `∫₀^τ value(x) dx`, exactly.
    #[must_use]
    pub fn integral(&self, tau_s: f64) -> f64 {
        let k = 2.0 * PI / self.period_s;
        tau_s + self.amplitude / k * (self.phase_rad.cos() - (k * tau_s + self.phase_rad).cos())
    }

    /// The shape rescaled to `0..=1` (0 at the trough, 1 at the crest).
    #[must_use]
    pub fn normalized(&self, tau_s: f64) -> f64 {
        ((self.value(tau_s) - (1.0 - self.amplitude)) / (2.0 * self.amplitude)).clamp(0.0, 1.0)
    }

    /// `∫₀^τ normalized(x) dx`, exactly.
    #[must_use]
    pub fn normalized_integral(&self, tau_s: f64) -> f64 {
        (self.integral(tau_s) - (1.0 - self.amplitude) * tau_s) / (2.0 * self.amplitude)
    }

    fn random(rng: &mut fastrand::Rng, amplitude: (f64, f64), period_s: (f64, f64)) -> Self {
        Self {
            amplitude: uniform(rng, amplitude.0, amplitude.1),
            period_s: uniform(rng, period_s.0, period_s.1),
            phase_rad: uniform(rng, 0.0, 2.0 * PI),
        }
    }
}

/// A latency distribution bucketed on fixed bounds: a log-logistic law
/// `F(x) = 1 / (1 + (x/median)^−shape)` evaluated at each bound.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyDistribution {
    /// Finite upper bounds (`le`) of the buckets, seconds, increasing.
    pub bounds_s: &'static [f64],
    /// Median of the underlying law, seconds.
    pub median_s: f64,
    /// Shape of the law (larger is narrower), `> 1`.
    pub shape: f64,
    /// Mean of the underlying law, seconds: `_sum / _count` of the rendered histogram.
    pub mean_s: f64,
    cumulative: Vec<f64>,
}

impl LatencyDistribution {
    /// Builds the distribution; `shape` must be above 1 for the mean to exist.
    #[must_use]
    pub fn new(bounds_s: &'static [f64], median_s: f64, shape: f64) -> Self {
        let mut cumulative: Vec<f64> = bounds_s
            .iter()
            .map(|&b| 1.0 / (1.0 + (b / median_s).powf(-shape)))
            .collect();
        cumulative.push(1.0);
        let x = PI / shape;
        Self {
            bounds_s,
            median_s,
            shape,
            mean_s: median_s * x / x.sin(),
            cumulative,
        }
    }

    /// Cumulative fraction of observations at or below each bound, then `1.0` for `+Inf`
    /// (`bounds_s.len() + 1` values). A `_bucket` sample is `_count` times this.
    #[must_use]
    pub fn cumulative_fractions(&self) -> &[f64] {
        &self.cumulative
    }

    /// The φ-quantile as PromQL's `histogram_quantile` computes it from these buckets (linear
    /// interpolation inside the bucket, 0 as the lower edge of the first, the last finite bound
    /// when the rank falls in `+Inf`). It does not depend on the count, so it is also the quantile
    /// of the increase between any two scrapes.
    #[must_use]
    pub fn quantile_expected(&self, q: f64) -> f64 {
        if q.is_nan() {
            return f64::NAN;
        }
        if q < 0.0 {
            return f64::NEG_INFINITY;
        }
        if q > 1.0 {
            return f64::INFINITY;
        }
        let finite = self.bounds_s.len();
        let Some(b) = self.cumulative[..finite].iter().position(|&c| c >= q) else {
            return self.bounds_s.last().copied().unwrap_or(f64::NAN);
        };
        let end = self.bounds_s[b];
        let (start, below) = if b == 0 {
            (0.0, 0.0)
        } else {
            (self.bounds_s[b - 1], self.cumulative[b - 1])
        };
        let in_bucket = self.cumulative[b] - below;
        if in_bucket <= 0.0 {
            return end;
        }
        start + (end - start) * ((q - below) / in_bucket)
    }
}

/// One simulated GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuProfile {
    /// Index on its node (`gpu` label).
    pub index: usize,
    /// `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, from the seed.
    pub uuid: String,
    /// Framebuffer used when idle (weights plus the preallocated KV cache), MiB.
    pub fb_used_base_mib: u64,
    /// Temperature at no load, °C.
    pub idle_temp_c: f64,
    /// Offset added to the node's utilization for this GPU, percentage points.
    pub util_offset_pct: f64,
    /// Power at no load, W.
    pub power_idle_w: f64,
    /// Power at full load, W.
    pub power_max_w: f64,
    /// Energy counted before the simulation started, mJ.
    pub energy_offset_mj: f64,
}

/// Everything that makes one simulated node what it is. Built by [`NodeProfile::generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeProfile {
    /// Node index in the cluster.
    pub index: usize,
    /// `sim-node-<index>`; also the GPUs' `Hostname`.
    pub name: String,
    /// Served model (`model_name` label).
    pub model: String,
    /// Share of the node's traffic per vLLM engine (`engine` label); sums to 1.
    pub engine_shares: Vec<f64>,
    /// The node's GPUs.
    pub gpus: Vec<GpuProfile>,
    /// Seconds the server had been up when the simulation started; counters start there.
    pub uptime_offset_s: f64,
    /// Load shape driving requests, generation, gauges and GPU activity.
    pub load: Wave,
    /// Shape of prompt traffic (its own phase and period).
    pub prompt_wave: Wave,
    /// Mean generation rate, tokens/s.
    pub gen_tokens_base_per_s: f64,
    /// Mean prompt rate, tokens/s.
    pub prompt_tokens_base_per_s: f64,
    /// Mean completion rate, requests/s.
    pub requests_base_per_s: f64,
    /// Fractions of finished requests per [`FINISHED_REASONS`]; sums to 1.
    pub finish_fractions: [f64; 3],
    /// Preemptions per finished request.
    pub preemptions_per_request: f64,
    /// Prefix-cache hits per queried prompt token.
    pub prefix_hit_ratio: f64,
    /// Time to first token.
    pub ttft: LatencyDistribution,
    /// Inter-token latency (one observation per generated token after the first).
    pub itl: LatencyDistribution,
    /// End-to-end request latency.
    pub e2e: LatencyDistribution,
    /// Time spent waiting in the queue.
    pub queue: LatencyDistribution,
    /// Time spent in prefill.
    pub prefill: LatencyDistribution,
    /// Time spent in decode.
    pub decode: LatencyDistribution,
    /// KV blocks per engine (`cache_config_info{num_gpu_blocks}`).
    pub num_gpu_blocks: u64,
    /// Unix time the simulated server process started, seconds.
    pub process_start_epoch_s: f64,
}

impl NodeProfile {
    /// The same node with its load held steady: both waves' periods so long that within any
    /// run the load is its value at the start, and every counter grows at a constant rate.
    #[must_use]
    pub fn steady(mut self) -> Self {
        self.load.period_s = STEADY_PERIOD_S;
        self.prompt_wave.period_s = STEADY_PERIOD_S;
        self
    }

    /// The profile of node `index` for `seed`: the same arguments always give the same profile.
    /// Node 0 runs two data-parallel engines, every other node one; consecutive nodes serve
    /// different models from [`MODELS`].
    #[must_use]
    pub fn generate(seed: u64, index: usize, gpus_per_node: usize) -> Self {
        let mut rng = fastrand::Rng::with_seed(mix(seed, index as u64));
        // Consecutive nodes serve different models (seed-dependent rotation), for variety.
        let first = usize::try_from(seed % MODELS.len() as u64).unwrap_or(0);
        let model = MODELS[(first + index) % MODELS.len()].to_owned();
        let engine_shares = if index == 0 {
            let s = uniform(&mut rng, 0.45, 0.55);
            vec![s, 1.0 - s]
        } else {
            vec![1.0]
        };
        let gpus = (0..gpus_per_node).map(|g| gpu(&mut rng, g)).collect();
        let uptime_offset_s = uniform(&mut rng, 600.0, 7200.0).round();
        let load = Wave::random(&mut rng, (0.25, 0.45), (90.0, 300.0));
        let prompt_wave = Wave::random(&mut rng, (0.2, 0.5), (90.0, 300.0));
        let requests_base_per_s = uniform(&mut rng, 2.0, 8.0);
        let gen_tokens_base_per_s = requests_base_per_s * uniform(&mut rng, 150.0, 400.0);
        let prompt_tokens_base_per_s = requests_base_per_s * uniform(&mut rng, 300.0, 1500.0);
        let length = uniform(&mut rng, 0.08, 0.2);
        let e2e_median = uniform(&mut rng, 3.0, 12.0);
        let ttft_median = uniform(&mut rng, 0.05, 0.3);
        Self {
            index,
            name: format!("sim-node-{index}"),
            model,
            engine_shares,
            gpus,
            uptime_offset_s,
            load,
            prompt_wave,
            gen_tokens_base_per_s,
            prompt_tokens_base_per_s,
            requests_base_per_s,
            finish_fractions: [1.0 - length - ABORT_FRACTION, length, ABORT_FRACTION],
            preemptions_per_request: uniform(&mut rng, 0.001, 0.02),
            prefix_hit_ratio: uniform(&mut rng, 0.3, 0.7),
            ttft: LatencyDistribution::new(TTFT_BUCKETS_S, ttft_median, 2.5),
            itl: LatencyDistribution::new(ITL_BUCKETS_S, uniform(&mut rng, 0.015, 0.04), 4.0),
            e2e: LatencyDistribution::new(REQUEST_LATENCY_BUCKETS_S, e2e_median, 3.0),
            queue: LatencyDistribution::new(REQUEST_LATENCY_BUCKETS_S, 0.2, 1.5),
            prefill: LatencyDistribution::new(REQUEST_LATENCY_BUCKETS_S, ttft_median, 2.5),
            decode: LatencyDistribution::new(REQUEST_LATENCY_BUCKETS_S, e2e_median * 0.9, 3.0),
            num_gpu_blocks: 10_000 + rng.u64(0..20_000),
            process_start_epoch_s: 1.75e9 + (rng.u64(0..10_000_000) as f64),
        }
    }

    /// Server-side time at `t_s` seconds into the simulation (uptime offset added).
    #[must_use]
    pub fn tau_s(&self, t_s: f64) -> f64 {
        self.uptime_offset_s + t_s.max(0.0)
    }

    /// Load at `t_s`, scaled to `0..=1`; drives gauges and GPU activity.
    #[must_use]
    pub fn load_norm(&self, t_s: f64) -> f64 {
        self.load.normalized(self.tau_s(t_s))
    }

    /// Generation tokens per second at `t_s` (whole node).
    #[must_use]
    pub fn gen_tokens_per_s(&self, t_s: f64) -> f64 {
        self.gen_tokens_base_per_s * self.load.value(self.tau_s(t_s))
    }

    /// `vllm:generation_tokens_total` at `t_s` (whole node): the integral of
    /// [`Self::gen_tokens_per_s`] since the server started.
    #[must_use]
    pub fn gen_tokens_total(&self, t_s: f64) -> f64 {
        self.gen_tokens_base_per_s * self.load.integral(self.tau_s(t_s))
    }

    /// Prompt tokens per second at `t_s` (whole node).
    #[must_use]
    pub fn prompt_tokens_per_s(&self, t_s: f64) -> f64 {
        self.prompt_tokens_base_per_s * self.prompt_wave.value(self.tau_s(t_s))
    }

    /// `vllm:prompt_tokens_total` at `t_s` (whole node); also the prefix-cache query count.
    #[must_use]
    pub fn prompt_tokens_total(&self, t_s: f64) -> f64 {
        self.prompt_tokens_base_per_s * self.prompt_wave.integral(self.tau_s(t_s))
    }

    /// Finished requests per second at `t_s` (whole node, every finish reason).
    #[must_use]
    pub fn requests_per_s(&self, t_s: f64) -> f64 {
        self.requests_base_per_s * self.load.value(self.tau_s(t_s))
    }

    /// Finished requests at `t_s` (whole node): the sum of `request_success_total` over reasons
    /// and the `_count` of every request histogram.
    #[must_use]
    pub fn requests_total(&self, t_s: f64) -> f64 {
        self.requests_base_per_s * self.load.integral(self.tau_s(t_s))
    }

    /// `request_success_total{finished_reason = FINISHED_REASONS[reason]}` at `t_s` (whole node).
    #[must_use]
    pub fn finished_total(&self, reason: usize, t_s: f64) -> f64 {
        self.finish_fractions.get(reason).copied().unwrap_or(0.0) * self.requests_total(t_s)
    }

    /// `vllm:num_preemptions_total` at `t_s` (whole node).
    #[must_use]
    pub fn preemptions_total(&self, t_s: f64) -> f64 {
        self.preemptions_per_request * self.requests_total(t_s)
    }

    /// `vllm:prefix_cache_hits_total` at `t_s` (whole node); queries are the prompt tokens.
    #[must_use]
    pub fn prefix_cache_hits_total(&self, t_s: f64) -> f64 {
        self.prefix_hit_ratio * self.prompt_tokens_total(t_s)
    }

    /// Inter-token intervals observed at `t_s` (whole node): generated tokens minus first tokens.
    #[must_use]
    pub fn itl_observations_total(&self, t_s: f64) -> f64 {
        (self.gen_tokens_base_per_s - self.requests_base_per_s)
            * self.load.integral(self.tau_s(t_s))
    }

    /// Requests being executed at `t_s` (whole node, Little's law: rate × mean latency), before
    /// rounding per engine.
    #[must_use]
    pub fn running_requests(&self, t_s: f64) -> f64 {
        self.requests_per_s(t_s) * self.e2e.mean_s
    }

    /// Requests queued at `t_s` (whole node), before rounding per engine: only near peak load.
    #[must_use]
    pub fn waiting_requests(&self, t_s: f64) -> f64 {
        (self.load_norm(t_s) - 0.7).max(0.0) * 10.0 * self.requests_base_per_s
    }

    /// KV-cache usage of engine `engine` at `t_s`, `0..=1`.
    #[must_use]
    pub fn kv_cache_usage(&self, engine: usize, t_s: f64) -> f64 {
        let skew = if engine.is_multiple_of(2) {
            0.02
        } else {
            -0.02
        };
        (0.1 + 0.75 * self.load_norm(t_s) + skew).clamp(0.0, 0.99)
    }

    /// Utilization of GPU `gpu` at `t_s`, whole percent.
    #[must_use]
    pub fn gpu_util_pct(&self, gpu: &GpuProfile, t_s: f64) -> f64 {
        (35.0 + 60.0 * self.load_norm(t_s) + gpu.util_offset_pct)
            .clamp(0.0, 100.0)
            .round()
    }

    /// Temperature of GPU `gpu` at `t_s`, whole °C; 92 when overheating.
    #[must_use]
    pub fn gpu_temp_c(&self, gpu: &GpuProfile, t_s: f64, overheat: bool) -> f64 {
        if overheat {
            92.0
        } else {
            (gpu.idle_temp_c + 30.0 * self.load_norm(t_s)).round()
        }
    }

    /// Power draw of GPU `gpu` at `t_s`, W.
    #[must_use]
    pub fn gpu_power_w(&self, gpu: &GpuProfile, t_s: f64) -> f64 {
        gpu.power_idle_w + (gpu.power_max_w - gpu.power_idle_w) * self.load_norm(t_s)
    }

    /// Energy used by GPU `gpu` at `t_s`, mJ: the integral of [`Self::gpu_power_w`].
    #[must_use]
    pub fn gpu_energy_mj(&self, gpu: &GpuProfile, t_s: f64) -> f64 {
        let tau = self.tau_s(t_s);
        let joules = gpu.power_idle_w * tau
            + (gpu.power_max_w - gpu.power_idle_w) * self.load.normalized_integral(tau);
        gpu.energy_offset_mj + joules * 1000.0
    }

    /// Framebuffer used on GPU `gpu` at `t_s`, MiB.
    #[must_use]
    pub fn gpu_fb_used_mib(&self, gpu: &GpuProfile, t_s: f64) -> u64 {
        // Rounded and bounded to 0..=600 before the cast, so it cannot truncate.
        let activations = (600.0 * self.load_norm(t_s)).round() as u64;
        (gpu.fb_used_base_mib + activations).min(GPU_FB_TOTAL_MIB)
    }

    /// SM clock of GPU `gpu` at `t_s`, MHz; throttled when overheating.
    #[must_use]
    pub fn gpu_sm_clock_mhz(&self, gpu: &GpuProfile, t_s: f64, overheat: bool) -> u64 {
        if overheat {
            1_275
        } else if self.gpu_util_pct(gpu, t_s) < 10.0 {
            345
        } else {
            1_980
        }
    }

    /// The expected φ-quantile of `vllm:e2e_request_latency_seconds`, as `histogram_quantile`
    /// computes it (see [`LatencyDistribution::quantile_expected`]).
    #[must_use]
    pub fn e2e_quantile_expected(&self, q: f64) -> f64 {
        self.e2e.quantile_expected(q)
    }

    /// The expected φ-quantile of `vllm:time_to_first_token_seconds`.
    #[must_use]
    pub fn ttft_quantile_expected(&self, q: f64) -> f64 {
        self.ttft.quantile_expected(q)
    }

    /// The expected φ-quantile of `vllm:inter_token_latency_seconds`.
    #[must_use]
    pub fn itl_quantile_expected(&self, q: f64) -> f64 {
        self.itl.quantile_expected(q)
    }
}

fn gpu(rng: &mut fastrand::Rng, index: usize) -> GpuProfile {
    let hex = |rng: &mut fastrand::Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
            .collect()
    };
    let uuid = format!(
        "GPU-{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    );
    GpuProfile {
        index,
        uuid,
        fb_used_base_mib: 72_000 + rng.u64(0..2_000),
        idle_temp_c: uniform(rng, 32.0, 40.0),
        util_offset_pct: uniform(rng, -4.0, 4.0),
        power_idle_w: uniform(rng, 70.0, 90.0),
        power_max_w: uniform(rng, 560.0, 690.0),
        energy_offset_mj: (rng.u64(1_000_000..100_000_000) as f64) * 1000.0,
    }
}

fn uniform(rng: &mut fastrand::Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.f64()
}

/// `SplitMix64` of the seed and node index, so neighbouring seeds give unrelated nodes.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
