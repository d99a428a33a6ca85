//! Fixture tests for the Prometheus / OpenMetrics text parser: real scrapes copied from other
//! projects (`tests/fixtures/prometheus/SOURCES.md`), the official OpenMetrics conformance suite,
//! and the upstream Prometheus (`promparse`) and `expfmt` parser test cases.

// A broken fixture or case file should fail the test loudly, right where it is read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use swarmglass::sources::prometheus::{Exposition, Format, MetricType, detect_format, parse};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prometheus")
}

fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `.om.txt` files are OpenMetrics; everything else is Prometheus text.
fn format_of(name: &str) -> Format {
    if name.ends_with(".om.txt") {
        Format::OpenMetrics
    } else {
        Format::Prometheus
    }
}

fn errors_text(e: &Exposition<'_>) -> String {
    e.errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expected sample counts of every top-level fixture payload.
///
/// Obtained independently of the parser, by counting non-comment, non-blank lines:
/// `grep -a -v -E '^[[:space:]]*(#|$)' FILE | wc -l`, minus the `_created` sample lines in
/// OpenMetrics files (`grep -a -c -E '^[^{ ]*_created[{ ]'`; 9 in `alltypes.5mfs.om.txt`, 0
/// elsewhere). SOURCES.md states the same totals for the two big inputs: 1857 samples in
/// `alltypes.237mfs` and 3027 in node_exporter's Linux output.
const COUNTS: &[(&str, usize)] = &[
    ("datadog__dcgm_exporter_metrics.txt", 30),
    ("datadog__sglang_metrics.txt", 43),
    ("datadog__tgi_payload_first14k.txt", 264),
    ("datadog__vllm_metrics.txt", 185),
    ("expfmt__testdata_text.prom", 248),
    ("node_exporter__e2e-output-darwin.prom", 103),
    ("node_exporter__e2e-output-linux.prom", 3027),
    ("nvidia_gpu_exporter__h100_load.prom", 138),
    ("nvidia_gpu_exporter__h200_mig_load.prom", 129),
    ("nvidia_gpu_exporter__win_rtx2080s_idle.prom", 100),
    ("prometheus__1histogram.om.txt", 42),
    ("prometheus__alltypes.237mfs.nometa.prom.txt", 1857),
    ("prometheus__alltypes.237mfs.prom.txt", 1857),
    ("prometheus__alltypes.5mfs.om.txt", 53 - 9),
    ("prometheus__promparse_lenient_edgecases.prom", 27),
    ("prometheus__promtool_metrics-test.prom", 27),
    ("prometheus__utf8_quoted_names.prom", 11),
];

fn expected_count(name: &str) -> usize {
    COUNTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, c)| c)
        .unwrap_or_else(|| panic!("{name} missing from COUNTS"))
}

/// Parse a valid fixture: zero errors and exactly the expected number of samples.
fn check_valid(name: &str) -> Exposition<'static> {
    let body: &'static [u8] = Box::leak(read(name).into_boxed_slice());
    let e = parse(body, format_of(name));
    assert!(
        e.errors.is_empty(),
        "{name}: unexpected errors:\n{}",
        errors_text(&e)
    );
    assert_eq!(
        e.sample_count(),
        expected_count(name),
        "{name}: sample count"
    );
    e
}

macro_rules! valid_fixture {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_valid($file);
            }
        )*

        /// Every top-level payload has a test above and a count in `COUNTS`.
        #[test]
        fn every_fixture_file_is_covered() {
            let tested = [$($file),*];
            let mut missing = Vec::new();
            for entry in std::fs::read_dir(dir()).expect("fixture dir") {
                let entry = entry.expect("dir entry");
                let name = entry.file_name().to_string_lossy().into_owned();
                let payload = entry.path().is_file()
                    && !name.ends_with(".json")
                    && !name.ends_with(".md");
                if payload
                    && !(tested.contains(&name.as_str()) || name == "prometheus__alltypes.5mfs.om.txt")
                {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "fixtures without a test: {missing:?}");
            assert_eq!(tested.len() + 1, COUNTS.len());
        }
    };
}

valid_fixture! {
    fixture_dcgm_exporter => "datadog__dcgm_exporter_metrics.txt",
    fixture_sglang => "datadog__sglang_metrics.txt",
    fixture_tgi => "datadog__tgi_payload_first14k.txt",
    fixture_vllm => "datadog__vllm_metrics.txt",
    fixture_expfmt_testdata => "expfmt__testdata_text.prom",
    fixture_node_exporter_darwin => "node_exporter__e2e-output-darwin.prom",
    fixture_node_exporter_linux => "node_exporter__e2e-output-linux.prom",
    fixture_nvidia_h100 => "nvidia_gpu_exporter__h100_load.prom",
    fixture_nvidia_h200_mig => "nvidia_gpu_exporter__h200_mig_load.prom",
    fixture_nvidia_win_rtx2080s => "nvidia_gpu_exporter__win_rtx2080s_idle.prom",
    fixture_om_1histogram => "prometheus__1histogram.om.txt",
    fixture_alltypes_nometa => "prometheus__alltypes.237mfs.nometa.prom.txt",
    fixture_alltypes => "prometheus__alltypes.237mfs.prom.txt",
    fixture_lenient_edgecases => "prometheus__promparse_lenient_edgecases.prom",
    fixture_promtool => "prometheus__promtool_metrics-test.prom",
    fixture_utf8_quoted_names => "prometheus__utf8_quoted_names.prom",
}

/// `alltypes.5mfs.om.txt` (written by client_golang) breaks three OpenMetrics 1.0 rules that the
/// official conformance suite enforces, so a validating parser must flag them; every sample is
/// still parsed. Each expected error is pinned by a suite case that must fail:
/// - a histogram with negative buckets must not expose `_sum` (`bad_histograms_3`),
/// - a `_sum` must not be negative (`bad_counter_values_5`, `bad_counter_values_17`),
/// - summary quantile values must not be negative (`bad_counter_values_19`).
#[test]
fn fixture_om_alltypes_5mfs() {
    let name = "prometheus__alltypes.5mfs.om.txt";
    let body = read(name);
    let e = parse(&body, Format::OpenMetrics);
    assert_eq!(e.sample_count(), expected_count(name));
    let mut got: Vec<(usize, &str)> = e
        .errors
        .iter()
        .map(|x| (x.line, x.message.as_str()))
        .collect();
    got.sort_unstable();
    let want = [
        (33, "counter-like values must not be negative"),
        (
            34,
            "histogram rpc_durations_histogram_seconds has negative buckets, so it must not have _sum",
        ),
        (44, "quantile values must not be negative"),
        (47, "counter-like values must not be negative"),
    ];
    assert_eq!(got, want, "{}", errors_text(&e));
    // `_created` samples are skipped, exemplars do not disturb the bucket values.
    let hist = e
        .families
        .iter()
        .find(|f| f.name == "rpc_durations_histogram_seconds")
        .expect("histogram family");
    assert_eq!(hist.kind, MetricType::Histogram);
    assert!(hist.samples.iter().all(|s| !s.name.ends_with("_created")));
    let b = hist
        .samples
        .iter()
        .find(|s| s.label("le") == Some("-0.0002899999999999998"))
        .expect("bucket with exemplar");
    assert_eq!(b.value, 3.0);
}

// ---------------------------------------------------------------------------------------------
// OpenMetrics conformance suite
// ---------------------------------------------------------------------------------------------

#[test]
fn openmetrics_conformance_suite() {
    let root = dir().join("openmetrics-testsuite");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("suite dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 211, "number of suite cases");
    let mut failures = Vec::new();
    let mut bad = 0;
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("test.json")).expect("test.json"))
                .expect("test.json is JSON");
        let should_parse = spec["shouldParse"].as_bool().expect("shouldParse");
        let body = std::fs::read(case.join("metrics")).expect("metrics");
        let e = parse(&body, Format::OpenMetrics);
        if !should_parse {
            bad += 1;
        }
        if should_parse != e.errors.is_empty() {
            failures.push(format!(
                "{name} (shouldParse={should_parse}): {}",
                if e.errors.is_empty() {
                    "no errors".to_owned()
                } else {
                    errors_text(&e)
                }
            ));
        }
    }
    assert_eq!(bad, 167, "number of bad_* cases");
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Upstream error-case tables
// ---------------------------------------------------------------------------------------------

/// Minimal standard base64 decoder (the case files store inputs byte-exact as base64).
fn b64(s: &str) -> Vec<u8> {
    fn val(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 byte {c}"),
        }
    }
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()) {
        acc = (acc << 6) | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&read(name)).expect("case file is JSON")
}

fn verdict_mismatch(label: String, body: &[u8], should_parse: bool) -> Option<String> {
    let e = parse(body, Format::Prometheus);
    (should_parse != e.errors.is_empty()).then(|| {
        format!(
            "{label} (should_parse={should_parse}) {:?}: {}",
            String::from_utf8_lossy(body),
            if e.errors.is_empty() {
                "no errors".to_owned()
            } else {
                errors_text(&e)
            }
        )
    })
}

#[test]
fn promparse_error_cases() {
    let cases = json("prometheus__promparse_error_cases.json");
    let cases = cases["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 27);
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let body = b64(c["input_b64"].as_str().expect("input_b64"));
            let should_parse = c["should_parse"].as_bool().expect("should_parse");
            verdict_mismatch(format!("case {i}"), &body, should_parse)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inputs the strict expfmt parser rejects that we accept on purpose, with the reason.
const EXPFMT_ACCEPTED: &[(u64, &str)] = &[
    (
        0,
        "no newline at end of input: real vLLM scrapes end without one (see \
         datadog__vllm_metrics.txt) and must parse cleanly",
    ),
    (
        41,
        "dotted quoted metric name only fails the legacy name check; Prometheus 3 accepts \
         quoted UTF-8 names",
    ),
    (
        42,
        "dotted quoted label name only fails the legacy name check; Prometheus 3 accepts \
         quoted UTF-8 names",
    ),
];

#[test]
fn expfmt_text_parse_cases() {
    let cases = json("expfmt__text_parse_cases.json");
    let valid = cases["valid"].as_array().expect("valid");
    let invalid = cases["invalid"].as_array().expect("invalid");
    assert_eq!((valid.len(), invalid.len()), (18, 47));
    let mut failures = Vec::new();
    for (kind, list) in [("valid", valid), ("invalid", invalid)] {
        for c in list {
            let idx = c["idx"].as_u64().expect("idx");
            let body = b64(c["input_b64"].as_str().expect("input_b64"));
            let accepted = kind == "invalid" && EXPFMT_ACCEPTED.iter().any(|&(i, _)| i == idx);
            let should_parse = kind == "valid" || accepted;
            failures.extend(verdict_mismatch(
                format!("{kind} idx {idx}"),
                &body,
                should_parse,
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expfmt_accepted_exceptions_parse_to_the_right_samples() {
    let cases = json("expfmt__text_parse_cases.json");
    let invalid = cases["invalid"].as_array().expect("invalid");
    let body = |idx: u64| {
        let c = invalid
            .iter()
            .find(|c| c["idx"].as_u64() == Some(idx))
            .expect("case");
        b64(c["input_b64"].as_str().expect("input_b64"))
    };
    let b0 = body(0);
    let e = parse(&b0, Format::Prometheus);
    let names: Vec<(&str, String)> = e
        .families
        .iter()
        .flat_map(|f| &f.samples)
        .map(|s| (s.name.as_ref(), s.value.to_string()))
        .collect();
    assert_eq!(
        names,
        [("bla", "3.14".to_owned()), ("blubber", "42".to_owned())]
    );

    let b41 = body(41);
    let e = parse(&b41, Format::Prometheus);
    assert_eq!(e.families[0].name, "metric.name");
    assert_eq!(e.families[0].samples[0].label("foo"), Some("bla"));

    let b42 = body(42);
    let e = parse(&b42, Format::Prometheus);
    let s = &e.families[0].samples[0];
    assert_eq!(
        (s.name.as_ref(), s.label("dotted.label")),
        ("metric_name", Some("bla"))
    );
}

// ---------------------------------------------------------------------------------------------
// Spot checks of values
// ---------------------------------------------------------------------------------------------

fn family<'e, 'a>(
    e: &'e Exposition<'a>,
    name: &str,
) -> &'e swarmglass::sources::prometheus::Family<'a> {
    e.families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("family {name} missing"))
}

#[test]
fn vllm_families_types_and_values() {
    let e = check_valid("datadog__vllm_metrics.txt");
    let running = family(&e, "vllm:num_requests_running");
    assert_eq!(running.kind, MetricType::Gauge);
    assert_eq!(
        running.samples[0].label("model_name"),
        Some("facebook/opt-125m")
    );

    let prompt = family(&e, "vllm:prompt_tokens_total");
    assert_eq!(prompt.kind, MetricType::Counter);
    assert_eq!(prompt.samples[0].value, 5.0);

    let lat = family(&e, "vllm:e2e_request_latency_seconds");
    assert_eq!(lat.kind, MetricType::Histogram);
    assert_eq!(lat.samples.len(), 13, "11 buckets + _count + _sum");
    let inf = lat
        .samples
        .iter()
        .find(|s| s.label("le") == Some("+Inf"))
        .expect("+Inf bucket");
    assert_eq!(
        (inf.name.as_ref(), inf.value, inf.line),
        ("vllm:e2e_request_latency_seconds_bucket", 1.0, 115)
    );
    let sum = lat
        .samples
        .iter()
        .find(|s| s.name.ends_with("_sum"))
        .expect("sum");
    assert_eq!(sum.value, 0.5034303665161133);

    let cfg = family(&e, "vllm:cache_config_info");
    assert_eq!(cfg.samples[0].labels.len(), 10);
    assert_eq!(cfg.samples[0].label("num_gpu_blocks"), Some("7281"));
    assert_eq!(cfg.help.as_deref().map(str::is_empty), Some(false));

    let by_source = family(&e, "vllm:prompt_tokens_by_source_total");
    let sources: Vec<_> = by_source
        .samples
        .iter()
        .filter_map(|s| s.label("source"))
        .collect();
    assert_eq!(
        sources,
        ["local_compute", "local_cache_hit", "external_kv_transfer"]
    );

    // The body has no final newline: the last sample is still there.
    let last = family(&e, "vllm:request_prefill_kv_computed_tokens");
    assert_eq!(last.samples.last().map(|s| s.value), Some(53.0));
    // Names borrow from the body (no unescaping needed).
    assert!(matches!(lat.samples[0].name, std::borrow::Cow::Borrowed(_)));
}

#[test]
fn label_values_are_unescaped() {
    let body = br#"m{a="x,y=z}#w",b="say \"hi\"",c="back\\slash",d="line\nbreak"} 1
"#;
    let e = parse(body, Format::Prometheus);
    assert!(e.errors.is_empty(), "{}", errors_text(&e));
    let s = &e.families[0].samples[0];
    assert_eq!(s.label("a"), Some("x,y=z}#w"));
    assert_eq!(s.label("b"), Some("say \"hi\""));
    assert_eq!(s.label("c"), Some("back\\slash"));
    assert_eq!(s.label("d"), Some("line\nbreak"));
    assert!(matches!(s.labels[0].1, std::borrow::Cow::Borrowed(_)));
    assert!(matches!(s.labels[1].1, std::borrow::Cow::Owned(_)));
}

#[test]
fn help_is_unescaped() {
    let body = b"# HELP m first\\nsecond \\\\ done\n# TYPE m gauge\nm 1\n";
    let e = parse(body, Format::Prometheus);
    assert!(e.errors.is_empty(), "{}", errors_text(&e));
    assert_eq!(e.families[0].help.as_deref(), Some("first\nsecond \\ done"));
}

#[test]
fn nan_and_infinity_spellings() {
    let body = b"# TYPE llamacpp:n_busy_slots_per_decode gauge
llamacpp:n_busy_slots_per_decode -nan
a{s=\"1\"} -nan(ind)
a{s=\"2\"} nan
a{s=\"3\"} NaN
a{s=\"4\"} +Inf
a{s=\"5\"} -Inf
a{s=\"6\"} Inf
a{s=\"7\"} 1.23457e+06
";
    let e = parse(body, Format::Prometheus);
    assert!(e.errors.is_empty(), "{}", errors_text(&e));
    let llama = family(&e, "llamacpp:n_busy_slots_per_decode");
    assert!(llama.samples[0].value.is_nan());
    let v: Vec<f64> = family(&e, "a").samples.iter().map(|s| s.value).collect();
    assert!(v[0].is_nan() && v[1].is_nan() && v[2].is_nan());
    assert_eq!(
        &v[3..],
        [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, 1_234_570.0]
    );
}

#[test]
fn dcgm_blank_sentinel_is_a_float() {
    let body = b"DCGM_FI_DEV_MEMORY_TEMP{gpu=\"0\",Hostname=\"h\"} 9223372036854775794\n";
    let e = parse(body, Format::Prometheus);
    assert!(e.errors.is_empty());
    assert_eq!(
        e.families[0].samples[0].value,
        9_223_372_036_854_775_794_f64
    );
}

#[test]
fn timestamps_in_both_dialects() {
    let e = parse(b"a 1 1718140558300\nb 2 -5\n", Format::Prometheus);
    assert!(e.errors.is_empty());
    assert_eq!(
        e.families[0].samples[0].timestamp_ms,
        Some(1_718_140_558_300)
    );
    assert_eq!(e.families[1].samples[0].timestamp_ms, Some(-5));
    let e = parse(b"a 1 1718140558.3\nb 2 12\n# EOF\n", Format::OpenMetrics);
    assert!(e.errors.is_empty(), "{}", errors_text(&e));
    assert_eq!(
        e.families[0].samples[0].timestamp_ms,
        Some(1_718_140_558_300)
    );
    assert_eq!(e.families[1].samples[0].timestamp_ms, Some(12_000));
    // Float timestamps are an error in Prometheus text.
    assert_eq!(parse(b"a 1 1.5\n", Format::Prometheus).errors.len(), 1);
}

#[test]
fn crlf_body_parses_like_lf() {
    let lf = read("datadog__sglang_metrics.txt");
    let crlf = String::from_utf8(lf.clone())
        .expect("utf8")
        .replace('\n', "\r\n")
        .into_bytes();
    let a = parse(&lf, Format::Prometheus);
    let b = parse(&crlf, Format::Prometheus);
    assert!(b.errors.is_empty(), "{}", errors_text(&b));
    assert_eq!(a, b);
}

#[test]
fn a_bad_line_in_the_middle_only_loses_itself() {
    let body = b"# TYPE up gauge
up{job=\"a\"} 1

  up{job=\"b\"} true
up{job=\"c\"} 0
# TYPE reqs counter
reqs_total{code=\"200\"} 7
reqs_total{code=\"500\" 3
reqs_total{code=\"404\"} 2
";
    let e = parse(body, Format::Prometheus);
    let errs: Vec<usize> = e.errors.iter().map(|x| x.line).collect();
    assert_eq!(errs, [4, 8], "{}", errors_text(&e));
    let up: Vec<_> = family(&e, "up")
        .samples
        .iter()
        .map(|s| (s.label("job"), s.value, s.line))
        .collect();
    assert_eq!(up, [(Some("a"), 1.0, 2), (Some("c"), 0.0, 5)]);
    let reqs: Vec<_> = family(&e, "reqs")
        .samples
        .iter()
        .map(|s| s.label("code"))
        .collect();
    assert_eq!(reqs, [Some("200"), Some("404")]);
}

#[test]
fn invalid_utf8_is_an_error_for_that_line_only() {
    let body = b"a 1\nb{x=\"\xff\"} 2\nc 3\n";
    let e = parse(body, Format::Prometheus);
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].line, 2);
    assert_eq!(e.sample_count(), 2);
}

#[test]
fn grouping_by_declared_type() {
    let body = b"# TYPE h histogram
h_sum 3
h_bucket{le=\"1\"} 1
h_bucket{le=\"+Inf\"} 2
h_count 2
# TYPE s summary
s{quantile=\"0.5\"} 1
s_sum 1
s_count 1
# TYPE c counter
c_total 4
# TYPE i info
i_info{v=\"1\"} 1
# TYPE empty histogram
loose 1
loose_bucket 2
h_count{x=\"late\"} 9
";
    let e = parse(body, Format::Prometheus);
    assert!(e.errors.is_empty(), "{}", errors_text(&e));
    let kinds: Vec<_> = e
        .families
        .iter()
        .map(|f| (f.name.as_ref(), f.kind, f.samples.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("h", MetricType::Histogram, 5),
            ("s", MetricType::Summary, 3),
            ("c", MetricType::Counter, 1),
            ("i", MetricType::Info, 1),
            ("empty", MetricType::Histogram, 0),
            ("loose", MetricType::Untyped, 1),
            ("loose_bucket", MetricType::Untyped, 1),
        ]
    );
}

#[test]
fn nometa_gives_one_untyped_family_per_name() {
    let e = check_valid("prometheus__alltypes.237mfs.nometa.prom.txt");
    let body = read("prometheus__alltypes.237mfs.nometa.prom.txt");
    let text = String::from_utf8(body).expect("utf8");
    let mut names: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(e.families.len(), names.len());
    assert!(e.families.iter().all(|f| f.kind == MetricType::Untyped));
}

#[test]
fn utf8_quoted_names() {
    let e = check_valid("prometheus__utf8_quoted_names.prom");
    let gc = family(&e, "go.gc_duration_seconds");
    assert_eq!(gc.kind, MetricType::Summary);
    assert_eq!(gc.samples.len(), 10, "9 quantiles + _count");
    assert_eq!(gc.samples[9].name, "go.gc_duration_seconds_count");
    let odd = e.families.last().expect("last family");
    assert!(odd.name.starts_with(
        "Heizölrückstoßabdämpfung 10€ metric with \"interesting\" {character\nchoices}"
    ));
    assert_eq!(odd.samples[0].labels[0].0, "strange©™\n'quoted' \"name\"");
    assert_eq!(odd.samples[0].labels[0].1, "6");
}

#[test]
fn lenient_edgecases_values() {
    let e = check_valid("prometheus__promparse_lenient_edgecases.prom");
    let gc = family(&e, "go_gc_duration_seconds");
    assert_eq!(gc.kind, MetricType::Summary);
    // Samples after other families are appended to the family (Prometheus text is lenient).
    assert_eq!(gc.samples.len(), 11);
    assert_eq!(
        family(&e, "go_goroutines").samples[0].timestamp_ms,
        Some(123_123)
    );
    assert_eq!(
        family(&e, "testmetric").samples[1].label("label"),
        Some("\"bar\"")
    );
    assert_eq!(
        family(&e, "null_byte_metric").samples[0].label("a"),
        Some("abc\0")
    );
    assert_eq!(family(&e, "nohelp2").help.as_deref(), Some(""));
}

#[test]
fn detect_format_rules() {
    let om = b"a 1\n# EOF\n";
    let prom = b"a 1\n";
    assert_eq!(
        detect_format(
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            prom
        ),
        Format::OpenMetrics
    );
    assert_eq!(
        detect_format(Some("text/plain; version=0.0.4"), prom),
        Format::Prometheus
    );
    assert_eq!(detect_format(None, om), Format::OpenMetrics);
    assert_eq!(
        detect_format(Some("text/plain"), b"a 1\n# EOF\r\n\n\n"),
        Format::OpenMetrics
    );
    assert_eq!(detect_format(None, b"# EOF\na 1"), Format::Prometheus);
    assert_eq!(detect_format(None, b""), Format::Prometheus);
}

#[test]
fn openmetrics_fixture_skips_created_and_keeps_exemplar_buckets() {
    let e = check_valid("prometheus__1histogram.om.txt");
    assert_eq!(e.families.len(), 1);
    assert_eq!(e.families[0].kind, MetricType::Histogram);
}

/// Truncations and random byte mutations of real inputs never panic, in either dialect, and
/// every error points at a line of the body.
#[test]
fn mutated_inputs_never_panic() {
    let seeds = [
        read("prometheus__alltypes.5mfs.om.txt"),
        read("prometheus__utf8_quoted_names.prom"),
        read("prometheus__promparse_lenient_edgecases.prom"),
    ];
    let check = |body: &[u8]| {
        let lines = body.split(|&b| b == b'\n').count().max(1);
        for format in [Format::Prometheus, Format::OpenMetrics] {
            let e = parse(body, format);
            assert!(
                e.errors.iter().all(|x| (1..=lines).contains(&x.line)),
                "{:?}",
                e.errors
            );
        }
    };
    for seed in &seeds {
        for cut in 0..seed.len() {
            check(&seed[..cut]);
        }
    }
    let alphabet = b"{}\",=\\ \t\n#_:aZ9.+-e\0\xff\xc3";
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for seed in &seeds {
        for _ in 0..300 {
            let mut body = seed.clone();
            for _ in 0..1 + next() % 8 {
                let pos = (next() as usize) % body.len();
                let byte = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => body[pos] = byte,
                    1 => body.insert(pos, byte),
                    _ => {
                        body.remove(pos);
                    }
                }
            }
            check(&body);
        }
    }
}
