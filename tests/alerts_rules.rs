//! The alert engine over scripted models at explicit times: every threshold rule below / at /
//! above its threshold, hysteresis, the `for` duration, n/a, disappearing subjects, every
//! condition rule, transitions only, acknowledgement and silences.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::float_cmp)]

use std::time::{Duration, SystemTime};

use swarmglass::alerts::{AlertKey, AlertState, Engine, SilenceTarget, Subject, Suppression};
use swarmglass::config::alerts::{Comparison, Rule, RuleKind, RuleSet, Severity};
use swarmglass::model::gpu::GpuSample;
use swarmglass::model::ids::{SourceId, SourceKind};
use swarmglass::model::inference::InferenceStats;
use swarmglass::model::status::{ClusterStatus, StatusNode};
use swarmglass::model::{HostStats, Model, ModelSettings};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn gpu_src() -> SourceId {
    SourceId::new("a", SourceKind::Nvml, "local")
}

fn vllm_src() -> SourceId {
    SourceId::new("a", SourceKind::Prometheus, "http://10.0.0.5:8000/metrics")
}

fn model() -> Model {
    Model::new(ModelSettings::default())
}

fn source<'m>(m: &'m mut Model, id: &SourceId) -> &'m mut swarmglass::model::SourceState {
    m.register(id.clone(), Duration::from_secs(2));
    let s = m.source_state_mut(id).unwrap();
    if s.health.last_ok.is_none() {
        s.health.on_success(t(0));
    }
    s
}

fn set_gpu(m: &mut Model, f: impl Fn(&mut GpuSample)) {
    let s = source(m, &gpu_src());
    let mut g = GpuSample {
        index: Some(0),
        mem_total_bytes: Some(10_000),
        ..GpuSample::default()
    };
    f(&mut g);
    s.gpus = vec![g.into()];
}

fn set_server(m: &mut Model, f: impl Fn(&mut InferenceStats)) {
    let s = source(m, &vllm_src());
    let mut i = InferenceStats {
        model: Some("llama".into()),
        ..InferenceStats::default()
    };
    f(&mut i);
    s.inference = vec![i];
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn set_vram(m: &mut Model, v: Option<f64>) {
    set_gpu(m, |g| {
        g.mem_used_bytes = v.map(|v| (v * 100.0).round() as u64)
    });
}

/// One threshold rule: how to put a figure into the model, and the subject it lands on.
struct Case {
    rule: &'static str,
    set: fn(&mut Model, Option<f64>),
    subject: fn() -> Subject,
}

fn gpu_subject() -> Subject {
    Subject::Gpu {
        node: "a".into(),
        gpu: "gpu0".into(),
    }
}

fn server_subject() -> Subject {
    Subject::Server {
        node: "a".into(),
        url: "http://10.0.0.5:8000/metrics".into(),
        model: Some("llama".into()),
    }
}

const CASES: &[Case] = &[
    Case {
        rule: "gpu_temp_high",
        set: |m, v| set_gpu(m, |g| g.temp_c = v),
        subject: gpu_subject,
    },
    Case {
        rule: "vram_full",
        set: set_vram,
        subject: gpu_subject,
    },
    Case {
        rule: "gpu_idle",
        set: |m, v| set_gpu(m, |g| g.util_pct = v),
        subject: gpu_subject,
    },
    Case {
        rule: "kv_cache_full",
        set: |m, v| set_server(m, |i| i.kv_cache_pct = v),
        subject: server_subject,
    },
    Case {
        rule: "queue_backlog",
        set: |m, v| set_server(m, |i| i.waiting = v),
        subject: server_subject,
    },
    Case {
        rule: "error_rate",
        set: |m, v| set_server(m, |i| i.error_pct = v),
        subject: server_subject,
    },
    Case {
        rule: "ttft_p95_slow",
        set: |m, v| set_server(m, |i| i.ttft.p95_s = v),
        subject: server_subject,
    },
    Case {
        rule: "e2e_p95_slow",
        set: |m, v| set_server(m, |i| i.e2e.p95_s = v),
        subject: server_subject,
    },
    Case {
        rule: "throughput_low",
        set: |m, v| set_server(m, |i| i.gen_tps = v),
        subject: || Subject::Cluster,
    },
    Case {
        rule: "host_mem_high",
        set: |m, v| {
            source(m, &gpu_src()).host = Some(HostStats {
                cpu_pct: None,
                mem_pct: v,
            })
        },
        subject: || Subject::Node { node: "a".into() },
    },
];

/// The default rule `name`, enabled, with `for` zero and a hysteresis of 10 % of the threshold.
fn only(name: &str, for_duration: Duration) -> (Engine, f64, f64, Comparison) {
    let mut rule: Rule = RuleSet::defaults().get(name).unwrap().clone();
    rule.enabled = true;
    rule.for_duration = for_duration;
    let RuleKind::Threshold {
        threshold,
        comparison,
        ref mut hysteresis,
        ..
    } = rule.kind
    else {
        panic!("{name} is not a threshold rule")
    };
    *hysteresis = threshold * 0.1;
    let h = *hysteresis;
    let mut set = RuleSet::empty();
    set.insert(rule);
    (Engine::new(set), threshold, h, comparison)
}

#[test]
fn every_threshold_rule_fires_at_its_threshold_holds_with_hysteresis_and_resolves_past_it() {
    for case in CASES {
        let name = case.rule;
        let (mut engine, th, h, cmp) = only(name, Duration::ZERO);
        // A value `d` to the bad side of the threshold (negative: the good side).
        let bad = |d: f64| {
            if cmp == Comparison::Above {
                th + d
            } else {
                th - d
            }
        };
        let mut m = model();
        let step = |engine: &mut Engine, m: &mut Model, v: Option<f64>, s: u64| {
            (case.set)(m, v);
            engine.evaluate(m, t(s))
        };

        let ev = step(&mut engine, &mut m, Some(bad(-h * 0.5)), 1);
        assert!(
            ev.is_empty(),
            "{name}: good side of the threshold must not fire: {ev:?}"
        );
        let ev = step(&mut engine, &mut m, Some(bad(0.0)), 2);
        assert_eq!(ev.len(), 1, "{name}: at the threshold it fires: {ev:?}");
        let e = &ev[0];
        assert_eq!(
            (e.from, e.to, e.subject.clone(), e.rule.as_str()),
            (
                AlertState::Inactive,
                AlertState::Firing,
                (case.subject)(),
                name
            )
        );
        assert_eq!(
            (e.value, e.threshold, e.at),
            (Some(bad(0.0)), Some(th), t(2))
        );
        assert!(e.is_notifiable() && !e.message.is_empty(), "{name}: {e:?}");

        assert!(
            step(&mut engine, &mut m, Some(bad(0.0)), 3).is_empty(),
            "{name}: same state, no new event"
        );
        assert!(
            step(&mut engine, &mut m, Some(bad(h * 3.0)), 4).is_empty(),
            "{name}: further past, still one alert"
        );
        assert!(
            step(&mut engine, &mut m, None, 5).is_empty(),
            "{name}: n/a keeps a firing alert as it is"
        );
        assert_eq!(engine.firing().count(), 1, "{name}");
        assert!(
            step(&mut engine, &mut m, Some(bad(-h * 0.5)), 6).is_empty(),
            "{name}: inside the hysteresis band it holds"
        );
        assert!(
            step(&mut engine, &mut m, Some(bad(-h)), 7).is_empty(),
            "{name}: exactly at threshold ∓ hysteresis it holds"
        );
        let ev = step(&mut engine, &mut m, Some(bad(-h * 1.5)), 8);
        assert_eq!(ev.len(), 1, "{name}: past the band it resolves: {ev:?}");
        assert_eq!(
            (ev[0].from, ev[0].to),
            (AlertState::Firing, AlertState::Resolved),
            "{name}"
        );
        assert_eq!(engine.firing().count(), 0, "{name}");
        assert!(
            step(&mut engine, &mut m, Some(bad(-h * 1.5)), 9).is_empty(),
            "{name}: resolved stays quiet"
        );

        // n/a from the start never fires.
        let (mut fresh, ..) = only(name, Duration::ZERO);
        let mut m = model();
        for s in 0..3 {
            (case.set)(&mut m, None);
            assert!(
                fresh.evaluate(&m, t(s)).is_empty(),
                "{name}: n/a must never fire"
            );
        }
    }
}

#[test]
fn a_breach_must_last_for_the_rules_duration_before_firing() {
    for case in CASES {
        let name = case.rule;
        let (mut engine, th, _, cmp) = only(name, Duration::from_secs(30));
        let bad = if cmp == Comparison::Above {
            th * 2.0
        } else {
            th * 0.5
        };
        let good = if cmp == Comparison::Above {
            th * 0.5
        } else {
            th * 2.0
        };
        let mut m = model();
        (case.set)(&mut m, Some(bad));
        let ev = engine.evaluate(&m, t(100));
        assert_eq!(
            ev.iter().map(|e| (e.from, e.to)).collect::<Vec<_>>(),
            [(AlertState::Inactive, AlertState::Pending)],
            "{name}"
        );
        assert!(!ev[0].is_notifiable(), "{name}: pending is not notified");
        assert_eq!(
            (
                engine.pending().count(),
                engine.firing().count(),
                engine.worst()
            ),
            (1, 0, None),
            "{name}"
        );
        assert!(
            engine.evaluate(&m, t(129)).is_empty(),
            "{name}: 29 s is not yet 30 s"
        );
        let ev = engine.evaluate(&m, t(130));
        assert_eq!(
            ev.iter().map(|e| (e.from, e.to)).collect::<Vec<_>>(),
            [(AlertState::Pending, AlertState::Firing)],
            "{name}"
        );
        assert_eq!(ev[0].at, t(130));
        let a = engine.firing().next().unwrap();
        assert_eq!((a.since, a.firing_since), (t(100), Some(t(130))), "{name}");

        // A break in the breach restarts the clock.
        let (mut engine, ..) = only(name, Duration::from_secs(30));
        (case.set)(&mut m, Some(bad));
        engine.evaluate(&m, t(0));
        (case.set)(&mut m, Some(good));
        let ev = engine.evaluate(&m, t(20));
        assert_eq!(
            ev.iter().map(|e| (e.from, e.to)).collect::<Vec<_>>(),
            [(AlertState::Pending, AlertState::Inactive)],
            "{name}"
        );
        (case.set)(&mut m, Some(bad));
        engine.evaluate(&m, t(25));
        assert!(
            engine.evaluate(&m, t(50)).is_empty(),
            "{name}: only 25 s since the breach came back"
        );
        assert_eq!(engine.evaluate(&m, t(55)).len(), 1, "{name}");

        // n/a while pending cancels: it never fires on missing data.
        let (mut engine, ..) = only(name, Duration::from_secs(30));
        (case.set)(&mut m, Some(bad));
        engine.evaluate(&m, t(0));
        (case.set)(&mut m, None);
        let ev = engine.evaluate(&m, t(40));
        assert_eq!(
            ev.iter().map(|e| e.to).collect::<Vec<_>>(),
            [AlertState::Inactive],
            "{name}"
        );
        assert_eq!(engine.firing().count(), 0, "{name}");
    }
}

#[test]
fn a_subject_that_disappears_resolves_and_a_disabled_rule_resolves() {
    let (mut engine, ..) = only("gpu_temp_high", Duration::ZERO);
    let mut m = model();
    set_gpu(&mut m, |g| g.temp_c = Some(95.0));
    assert_eq!(engine.evaluate(&m, t(0)).len(), 1);
    m.source_state_mut(&gpu_src()).unwrap().gpus.clear();
    let ev = engine.evaluate(&m, t(1));
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].from, ev[0].to, ev[0].value),
        (AlertState::Firing, AlertState::Resolved, None)
    );
    assert!(
        ev[0].message.contains("no longer reported"),
        "{}",
        ev[0].message
    );
    assert!(ev[0].is_notifiable());

    set_gpu(&mut m, |g| g.temp_c = Some(95.0));
    assert_eq!(engine.evaluate(&m, t(2)).len(), 1);
    engine
        .rules_mut()
        .set_enabled("gpu_temp_high", false)
        .unwrap();
    let ev = engine.evaluate(&m, t(3));
    assert_eq!(
        ev.iter().map(|e| e.to).collect::<Vec<_>>(),
        [AlertState::Resolved]
    );
    assert!(ev[0].message.contains("disabled"), "{}", ev[0].message);
    assert!(engine.evaluate(&m, t(4)).is_empty());
}

#[test]
fn the_same_gpu_from_two_sources_is_one_alert_with_the_worse_figure() {
    let (mut engine, ..) = only("gpu_temp_high", Duration::ZERO);
    let mut m = model();
    set_gpu(&mut m, |g| g.temp_c = Some(70.0));
    let dcgm = SourceId::new("a", SourceKind::Prometheus, "http://10.0.0.5:9400/metrics");
    source(&mut m, &dcgm).gpus = vec![
        GpuSample {
            index: Some(0),
            temp_c: Some(91.0),
            ..GpuSample::default()
        }
        .into(),
    ];
    let ev = engine.evaluate(&m, t(0));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].value, Some(91.0));
}

fn engine_with(names: &[&str]) -> Engine {
    let defaults = RuleSet::defaults();
    let mut set = RuleSet::empty();
    for n in names {
        let mut r = defaults.get(n).unwrap().clone();
        r.for_duration = Duration::ZERO;
        set.insert(r);
    }
    Engine::new(set)
}

fn transitions(ev: &[swarmglass::alerts::AlertEvent]) -> Vec<(String, Subject, AlertState)> {
    ev.iter()
        .map(|e| (e.rule.clone(), e.subject.clone(), e.to))
        .collect()
}

#[test]
fn node_down_node_stale_and_source_unreachable() {
    let mut engine = engine_with(&["node_down", "node_stale", "source_unreachable"]);
    let mut m = model();
    let a = SourceId::new("a", SourceKind::Prometheus, "http://a:8000/metrics");
    let b1 = SourceId::new("b", SourceKind::Prometheus, "http://b:8000/metrics");
    let b2 = SourceId::new("b", SourceKind::Prometheus, "http://b:9400/metrics");
    for id in [&a, &b1, &b2] {
        source(&mut m, id);
    }
    assert!(engine.evaluate(&m, t(1)).is_empty(), "all up: nothing");

    // One blip: stale.
    m.source_state_mut(&a)
        .unwrap()
        .health
        .on_failure(t(2), "connection refused");
    let ev = engine.evaluate(&m, t(2));
    assert_eq!(
        transitions(&ev),
        [(
            "node_stale".into(),
            Subject::Node { node: "a".into() },
            AlertState::Firing
        )]
    );
    assert!(
        ev[0].message.contains("connection refused"),
        "{}",
        ev[0].message
    );
    // Two: down — the node (its only source) and the source; stale resolves.
    m.source_state_mut(&a)
        .unwrap()
        .health
        .on_failure(t(4), "connection refused");
    let ev = engine.evaluate(&m, t(4));
    let node_a = Subject::Node { node: "a".into() };
    assert_eq!(
        transitions(&ev),
        [
            ("node_down".into(), node_a.clone(), AlertState::Firing),
            ("node_stale".into(), node_a.clone(), AlertState::Resolved),
            (
                "source_unreachable".into(),
                Subject::Source { source: a.clone() },
                AlertState::Firing
            ),
        ]
    );
    assert_eq!(ev[0].severity, Severity::Critical);
    assert_eq!(engine.worst(), Some(Severity::Critical));

    // On node b one source of two is down: the source is unreachable, the node is not down.
    let s = m.source_state_mut(&b2).unwrap();
    s.health.on_failure(t(5), "timed out");
    s.health.on_failure(t(6), "timed out");
    let ev = engine.evaluate(&m, t(6));
    assert_eq!(
        transitions(&ev),
        [(
            "source_unreachable".into(),
            Subject::Source { source: b2.clone() },
            AlertState::Firing
        )]
    );

    // Recovery resolves.
    m.source_state_mut(&a).unwrap().health.on_success(t(8));
    let ev = engine.evaluate(&m, t(8));
    assert_eq!(
        transitions(&ev),
        [
            ("node_down".into(), node_a, AlertState::Resolved),
            (
                "source_unreachable".into(),
                Subject::Source { source: a },
                AlertState::Resolved
            ),
        ]
    );

    // Staleness by silence alone (tick), at an explicit now.
    m.tick(t(60));
    let ev = engine.evaluate(&m, t(60));
    assert!(
        ev.iter()
            .any(|e| e.rule == "node_stale" && e.to == AlertState::Firing),
        "{ev:?}"
    );
}

fn proxy(m: &mut Model, failover_ready: Option<bool>, b_healthy: Option<bool>) {
    let id = SourceId::new("cluster", SourceKind::Status, "http://proxy:9199/status");
    let s = source(m, &id);
    s.status = Some(ClusterStatus {
        healthy: Some(true),
        failover_ready,
        active_node: Some("a".into()),
        nodes: vec![
            StatusNode {
                name: "a".into(),
                healthy: Some(true),
                ..StatusNode::default()
            },
            StatusNode {
                name: "b".into(),
                healthy: b_healthy,
                ..StatusNode::default()
            },
        ],
        ..ClusterStatus::default()
    });
}

#[test]
fn failover_not_ready_and_a_node_the_proxy_calls_unhealthy() {
    let mut engine = engine_with(&["failover_not_ready", "node_down"]);
    let mut m = model();
    proxy(&mut m, Some(true), Some(true));
    assert!(engine.evaluate(&m, t(1)).is_empty());
    proxy(&mut m, Some(false), Some(false));
    let ev = engine.evaluate(&m, t(2));
    assert_eq!(
        transitions(&ev),
        [
            (
                "failover_not_ready".into(),
                Subject::Cluster,
                AlertState::Firing
            ),
            (
                "node_down".into(),
                Subject::Node { node: "b".into() },
                AlertState::Firing
            ),
        ]
    );
    assert!(
        ev[0].message.contains("cannot fail over"),
        "{}",
        ev[0].message
    );
    // Unknown readiness (no figure) is not a breach: it neither fires nor resolves.
    proxy(&mut m, None, Some(false));
    assert!(engine.evaluate(&m, t(3)).is_empty());
    proxy(&mut m, Some(true), Some(true));
    let ev = engine.evaluate(&m, t(4));
    assert_eq!(
        ev.iter().map(|e| e.to).collect::<Vec<_>>(),
        [AlertState::Resolved, AlertState::Resolved]
    );

    let mut fresh = engine_with(&["failover_not_ready"]);
    let mut m = model();
    proxy(&mut m, None, None);
    assert!(
        fresh.evaluate(&m, t(0)).is_empty(),
        "unknown readiness never fires"
    );
}

fn hot(
    engine: &mut Engine,
    m: &mut Model,
    temp: f64,
    s: u64,
) -> Vec<swarmglass::alerts::AlertEvent> {
    set_gpu(m, |g| g.temp_c = Some(temp));
    engine.evaluate(m, t(s))
}

#[test]
fn acknowledged_alerts_stay_firing_and_are_not_notified_again() {
    let (mut engine, ..) = only("gpu_temp_high", Duration::ZERO);
    let mut m = model();
    hot(&mut engine, &mut m, 95.0, 0);
    let key = AlertKey::new("gpu_temp_high", gpu_subject());
    assert!(engine.acknowledge(&key));
    assert!(
        !engine.acknowledge(&AlertKey::new("vram_full", gpu_subject())),
        "nothing to acknowledge"
    );
    let a = engine.firing().next().unwrap();
    assert!(a.acknowledged);
    assert_eq!(
        engine.worst(),
        Some(Severity::Critical),
        "acknowledged alerts still count"
    );
    let ev = hot(&mut engine, &mut m, 50.0, 1);
    assert_eq!(ev[0].to, AlertState::Resolved);
    assert_eq!(ev[0].suppressed, Some(Suppression::Acknowledged));
    assert!(!ev[0].is_notifiable());
    // The next episode is a new alert: notified again.
    let ev = hot(&mut engine, &mut m, 95.0, 2);
    assert!(ev[0].is_notifiable(), "{ev:?}");
    assert!(!engine.firing().next().unwrap().acknowledged);
}

#[test]
fn silences_suppress_notifications_until_they_end() {
    let (mut engine, ..) = only("gpu_temp_high", Duration::ZERO);
    let mut m = model();
    let until = engine.silence(
        SilenceTarget::Rule {
            rule: "gpu_temp_high".into(),
        },
        t(0),
        Duration::from_secs(600),
    );
    assert_eq!(until, t(600));
    let ev = hot(&mut engine, &mut m, 95.0, 10);
    assert_eq!(ev[0].to, AlertState::Firing);
    assert_eq!(
        ev[0].suppressed,
        Some(Suppression::Silenced { until: t(600) })
    );
    assert!(!ev[0].is_notifiable());
    let a = engine.firing().next().unwrap();
    assert_eq!(
        a.silenced_until,
        Some(t(600)),
        "still visible, marked silenced"
    );
    hot(&mut engine, &mut m, 50.0, 20);
    // After the silence ends, alerts notify again and the silence is gone.
    let ev = hot(&mut engine, &mut m, 95.0, 600);
    assert!(ev[0].is_notifiable(), "{ev:?}");
    assert!(engine.silences().is_empty());
    assert_eq!(engine.firing().next().unwrap().silenced_until, None);

    // A subject silence covers every rule about that subject, and nothing else.
    let (mut engine, ..) = only("gpu_temp_high", Duration::ZERO);
    let mut m = model();
    engine.silence(
        SilenceTarget::Subject {
            subject: Subject::Node { node: "a".into() },
        },
        t(0),
        Duration::from_secs(60),
    );
    assert!(
        hot(&mut engine, &mut m, 95.0, 1)[0].is_notifiable(),
        "a node silence does not cover its GPU"
    );
    engine.silence(
        SilenceTarget::Subject {
            subject: gpu_subject(),
        },
        t(1),
        Duration::from_secs(60),
    );
    assert_eq!(engine.firing().next().unwrap().silenced_until, Some(t(61)));
    assert!(!hot(&mut engine, &mut m, 50.0, 2)[0].is_notifiable());
    assert!(engine.unsilence(&SilenceTarget::Subject {
        subject: gpu_subject()
    }));
    assert!(hot(&mut engine, &mut m, 95.0, 3)[0].is_notifiable());
}

#[test]
fn history_is_bounded_and_the_snapshot_serializes() {
    let (engine, ..) = only("gpu_temp_high", Duration::ZERO);
    let mut engine = engine.with_history_capacity(3);
    let mut m = model();
    for s in 0..6 {
        hot(&mut engine, &mut m, if s % 2 == 0 { 95.0 } else { 50.0 }, s);
    }
    let h: Vec<_> = engine.history().map(|e| (e.to, e.at)).collect();
    assert_eq!(
        h,
        [
            (AlertState::Resolved, t(3)),
            (AlertState::Firing, t(4)),
            (AlertState::Resolved, t(5))
        ]
    );

    hot(&mut engine, &mut m, 95.0, 6);
    let json = serde_json::to_value(engine.snapshot()).unwrap();
    assert_eq!(json["worst"], "critical");
    let f = &json["firing"][0];
    assert_eq!(
        (
            f["rule"].as_str(),
            f["state"].as_str(),
            f["severity"].as_str()
        ),
        (Some("gpu_temp_high"), Some("firing"), Some("critical"))
    );
    assert_eq!(f["subject"]["kind"], "gpu");
    assert_eq!(f["value"], 95.0);
    assert!(
        f["firing_since"]
            .as_str()
            .unwrap()
            .starts_with("2023-11-14T22:13:26"),
        "{f}"
    );
    let ev = serde_json::to_value(engine.history().last().unwrap()).unwrap();
    assert_eq!(
        (ev["from"].as_str(), ev["to"].as_str()),
        (Some("inactive"), Some("firing"))
    );
}

#[test]
fn severity_and_worst_follow_the_rules() {
    let mut engine = engine_with(&["gpu_temp_high", "vram_full"]);
    let mut m = model();
    set_gpu(&mut m, |g| g.mem_used_bytes = Some(9_900));
    engine.evaluate(&m, t(0));
    assert_eq!(engine.worst(), Some(Severity::Warning));
    set_gpu(&mut m, |g| {
        g.mem_used_bytes = Some(9_900);
        g.temp_c = Some(99.0);
    });
    engine.evaluate(&m, t(1));
    assert_eq!(engine.worst(), Some(Severity::Critical));
    assert_eq!(engine.firing().count(), 2);
}

/// One Nexus event for the agent rules, received at `at` (seconds).
fn agent_event(m: &mut Model, json: &str, at: u64) {
    use swarmglass::model::input::EventUpdate;
    use swarmglass::model::input::SourceUpdate;
    use swarmglass::sources::events::nexus::{Frame, parse_frame};
    let Frame::Event(event) = parse_frame(json.as_bytes()).unwrap() else {
        panic!("not an event: {json}")
    };
    let update = EventUpdate::Event {
        source: SourceId::new("swarm", SourceKind::NexusWs, "ws://x"),
        received_at: t(at),
        event,
    };
    m.apply(SourceUpdate::agents(update), t(at));
}

fn finished(m: &mut Model, n: usize, kind: &str, at: u64) {
    for i in 0..n {
        let json = format!(
            r#"{{"event_id":"{kind}-{at}-{i}","ts":"2023-11-14T22:13:{:02}+00:00","event_type":"{kind}","task_id":"t{i}","duration_ms":1000}}"#,
            at % 60
        );
        agent_event(m, &json, at);
    }
}

#[test]
fn task_failure_rate_below_at_and_above_and_na_without_finished_tasks() {
    let mut e = engine_with(&["task_failure_rate"]);
    let mut m = model();
    assert!(
        e.evaluate(&m, t(1)).is_empty(),
        "no finished task: n/a never fires"
    );
    // 9 completed, 1 failed: 10 % < 20 %.
    finished(&mut m, 9, "task_completed", 2);
    finished(&mut m, 1, "task_failed", 2);
    assert!(
        e.evaluate(&m, t(3)).is_empty(),
        "10 % is below the threshold"
    );
    // One more failure: 2 of 11 = 18.2 %, still below; then 3 of 12 = 25 % — fires.
    finished(&mut m, 1, "task_failed", 4);
    assert!(e.evaluate(&m, t(5)).is_empty());
    finished(&mut m, 1, "task_failed", 6);
    let ev = e.evaluate(&m, t(7));
    assert_eq!(
        transitions(&ev),
        [(
            "task_failure_rate".to_owned(),
            Subject::Cluster,
            AlertState::Firing
        )]
    );
    assert!(ev[0].message.contains("25.0%"), "{}", ev[0].message);
    assert_eq!(ev[0].severity, Severity::Critical);
    assert!(e.evaluate(&m, t(8)).is_empty(), "transitions only");
}

#[test]
fn worker_stale_fires_when_heartbeats_stop_and_names_the_worker() {
    let mut e = engine_with(&["worker_stale"]);
    let mut m = model();
    assert!(e.evaluate(&m, t(1)).is_empty(), "no worker source: n/a");
    for w in ["w1", "w2"] {
        agent_event(
            &mut m,
            &format!(
                r#"{{"event_id":"hb-{w}","ts":"2023-11-14T22:13:20+00:00","event_type":"worker_heartbeat","worker_id":"{w}"}}"#
            ),
            0,
        );
    }
    assert!(e.evaluate(&m, t(10)).is_empty(), "both heard from 10 s ago");
    agent_event(
        &mut m,
        r#"{"event_id":"hb-w1-2","ts":"2023-11-14T22:13:50+00:00","event_type":"worker_heartbeat","worker_id":"w1"}"#,
        30,
    );
    // w2 has been silent for 40 s (> 30 s): stale.
    let ev = e.evaluate(&m, t(40));
    assert_eq!(
        transitions(&ev),
        [(
            "worker_stale".to_owned(),
            Subject::Cluster,
            AlertState::Firing
        )]
    );
    assert!(
        ev[0].message.contains("w2") && !ev[0].message.contains("w1"),
        "{}",
        ev[0].message
    );
}
