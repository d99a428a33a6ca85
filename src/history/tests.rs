//! The store against hand-computed values, at explicit times.

use std::time::{Duration, SystemTime};

use super::catalog::{self as c, SeriesKey};
use super::codec::GAP;
use super::export::{self, Format, Request};
use super::query::{plot, values_at};
use super::store::{HOUR_MS, MinuteRow, Retention, Store, WINDOW_MS, minute_rows};
use super::{History, HistoryError, HistorySettings, from_unix_ms, rewind, unix_ms};
use crate::model::{Model, ModelSettings};
use crate::testdata;

/// 2023-11-14 22:00:00 UTC: a whole hour, so windows and minutes start on it.
const T0: i64 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS;

fn key(node: &str) -> SeriesKey {
    SeriesKey::new(&c::GPU_UTIL, &[("node", node), ("gpu", "GPU-1")])
}

fn store(dir: &std::path::Path) -> Store {
    Store::open(dir, Retention::default()).unwrap()
}

#[test]
fn minute_rollups_are_min_max_mean_last() {
    // 0..120 s: minute 0 holds 0..59 with a gap at 30, minute 1 holds 60..119.
    let ticks: Vec<i64> = (0..120).map(|s| T0 + s * 1000).collect();
    let col: Vec<i64> = (0..120)
        .map(|s| if s == 30 { GAP } else { s * 10 })
        .collect();
    let rows = minute_rows(&ticks, &col);
    let sum0: i64 = (0..60).filter(|s| *s != 30).map(|s| s * 10).sum();
    assert_eq!(
        rows,
        vec![
            MinuteRow {
                t_ms: T0,
                min: 0,
                max: 590,
                mean: (sum0 as f64 / 59.0).round() as i64,
                last: 590
            },
            MinuteRow {
                t_ms: T0 + 60_000,
                min: 600,
                max: 1190,
                mean: 895,
                last: 1190
            },
        ]
    );
    // And through the store: a closed window's minutes read back the same.
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let id = s.id_of(key("n1"));
    for (t, v) in ticks.iter().zip(&col) {
        let vals: Vec<(u32, i64)> = if *v == GAP { vec![] } else { vec![(id, *v)] };
        s.push_tick(*t, &vals).unwrap();
    }
    s.close_window().unwrap();
    assert_eq!(s.minute_rows(id, T0, T0 + HOUR_MS).unwrap(), rows);
}

fn fill(s: &mut Store, id: u32, from_s: i64, to_s: i64) {
    for sec in from_s..to_s {
        s.push_tick(T0 + sec * 1000, &[(id, sec % 100)]).unwrap();
    }
}

#[test]
fn a_reopened_store_has_closed_windows_and_the_flushed_open_one() {
    let dir = tempfile::tempdir().unwrap();
    let id;
    {
        let mut s = store(dir.path());
        id = s.id_of(key("n1"));
        // 7 minutes: one closed window and 2 minutes in the open one, flushed.
        fill(&mut s, id, 0, 420);
        s.flush().unwrap();
        // Not flushed: lost, as a kill -9 would lose it.
        fill(&mut s, id, 420, 423);
    }
    let s = store(dir.path());
    assert_eq!(s.id(&key("n1")), Some(id));
    let pts = s.raw_points(id, T0, T0 + 3_600_000).unwrap();
    assert_eq!(pts.len(), 420, "closed window + flushed ticks");
    assert_eq!(pts[0], (T0, 0));
    assert_eq!(pts[419], (T0 + 419_000, 19));
    let info = s.info();
    assert_eq!((info.raw_windows, info.series), (1, 1));
}

#[test]
fn gaps_are_kept_as_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let id = s.id_of(key("n1"));
    fill(&mut s, id, 0, 60);
    // 30 s without the series (the source was down), then back.
    for sec in 60..90 {
        s.push_tick(T0 + sec * 1000, &[]).unwrap();
    }
    fill(&mut s, id, 90, 120);
    let pts = plot(&s, id, T0, T0 + 120_000, 1000, Duration::from_secs(1)).unwrap();
    let gaps: Vec<&(i64, Option<f64>)> = pts.iter().filter(|p| p.1.is_none()).collect();
    assert_eq!(gaps.len(), 1, "{pts:?}");
    assert_eq!(gaps[0].0, T0 + 60_000);
    assert_eq!(pts.len(), 60 + 1 + 30, "60 points, the gap, 30 points");
    // At screen resolution (10 points over 2 min) the gap is still there.
    let coarse = plot(&s, id, T0, T0 + 120_000, 10, Duration::from_secs(1)).unwrap();
    assert!(coarse.iter().any(|p| p.1.is_none()), "{coarse:?}");
    assert!(coarse.len() <= 12, "{coarse:?}");
}

#[test]
fn the_disk_cap_drops_the_oldest_full_resolution_windows_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(
        dir.path(),
        Retention {
            max_disk_bytes: 20_000,
            ..Retention::default()
        },
    )
    .unwrap();
    let ids: Vec<u32> = (0..20).map(|n| s.id_of(key(&format!("n{n}")))).collect();
    // 30 minutes of noisy values: 6 windows, more than the cap holds.
    let mut x: i64 = 7;
    for sec in 0..1800 {
        let vals: Vec<(u32, i64)> = ids
            .iter()
            .map(|&id| {
                x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
                (id, x % 1000)
            })
            .collect();
        s.push_tick(T0 + sec * 1000, &vals).unwrap();
    }
    s.close_window().unwrap();
    let info = s.info();
    assert!(info.raw_windows < 6, "{info:?}");
    assert!(info.raw_windows >= 1, "the newest window is kept: {info:?}");
    assert!(info.raw_bytes + info.minute_bytes <= 20_000, "{info:?}");
    // The oldest went: the first tick left is in a later window.
    let first = s.raw_points(ids[0], T0, T0 + HOUR_MS).unwrap()[0].0;
    assert!(first >= T0 + WINDOW_MS, "{first}");
    // The minute tier still covers the dropped windows.
    assert_eq!(s.minute_rows(ids[0], T0, T0 + WINDOW_MS).unwrap().len(), 5);
}

#[test]
fn minute_data_older_than_its_retention_goes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(
        dir.path(),
        Retention {
            minute: Duration::from_secs(2 * 3600),
            ..Retention::default()
        },
    )
    .unwrap();
    let id = s.id_of(key("n1"));
    // One tick per 5-minute window for 4 hours.
    for w in 0..48 {
        s.push_tick(T0 + w * WINDOW_MS, &[(id, w)]).unwrap();
    }
    s.close_window().unwrap();
    let rows = s.minute_rows(id, T0, T0 + 5 * HOUR_MS).unwrap();
    assert!(
        rows.first().unwrap().t_ms >= T0 + HOUR_MS,
        "{:?}",
        rows.first()
    );
    assert_eq!(rows.last().unwrap().t_ms, T0 + 47 * WINDOW_MS);
}

#[test]
fn a_second_opener_is_told_the_store_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let _first = store(dir.path());
    match Store::open(dir.path(), Retention::default()) {
        Err(e @ HistoryError::InUse { .. }) => {
            assert!(e.to_string().contains("--data-dir"), "{e}");
        }
        Err(e) => panic!("expected in use, got {e}"),
        Ok(_) => panic!("a second open must fail"),
    }
}

#[test]
fn a_data_dir_that_is_a_file_is_a_clear_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = Store::open(file.path(), Retention::default())
        .err()
        .expect("a file is no directory");
    assert!(matches!(err, HistoryError::Dir { .. }), "{err}");
    assert!(err.to_string().contains("--no-history"), "{err}");
}

fn recorded(dir: &std::path::Path, minutes: u64) -> (History, SystemTime) {
    let start = from_unix_ms(T0);
    let mut h = History::open_in(dir, &HistorySettings::default()).unwrap();
    let mut model = Model::new(ModelSettings::default());
    for sec in 0..minutes * 60 {
        let t = sec as f64;
        testdata::apply_node(&mut model, 0, 2, start, t);
        let now = start + Duration::from_secs(sec);
        model.tick(now);
        assert!(h.record(&model, now).is_none());
    }
    (h, start)
}

#[test]
fn export_writes_json_and_csv_with_labels_and_points() {
    let dir = tempfile::tempdir().unwrap();
    let (h, start) = recorded(dir.path(), 3);
    let req = |format| Request {
        from_ms: unix_ms(start),
        to_ms: unix_ms(start) + 180_000,
        step: Some(Duration::from_secs(60)),
        matcher: Some(regex::Regex::new(r#"^gpu_temp_c\{.*index="1""#).unwrap()),
        format,
    };
    let mut json = Vec::new();
    let n = export::export(h.store(), &req(Format::Json), &mut json).unwrap();
    assert_eq!(n, 1);
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let s = &v[0];
    assert_eq!(s["name"], "gpu_temp_c");
    assert_eq!(s["labels"]["node"], testdata::node_name(0));
    assert_eq!(s["labels"]["index"], "1");
    assert_eq!(s["unit"], "°C");
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 3, "one mean per minute: {points:?}");
    assert_eq!(points[0][0], unix_ms(start));
    let mut csv = Vec::new();
    export::export(h.store(), &req(Format::Csv), &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "series,unix_ms,value");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with("\"gpu_temp_c{gpu=\"\"GPU-"),
        "{}",
        lines[1]
    );
    // The same value in both.
    let last_csv: f64 = lines[1].rsplit(',').next().unwrap().parse().unwrap();
    assert!((last_csv - points[0][1].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn rewind_shows_each_gpu_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (h, start) = recorded(dir.path(), 7);
    // The GPU's temperature at 100 s, from the test data itself.
    let at_s = 100.0;
    let expected = testdata::dcgm_scrape(0, 2, at_s).gpus[1].temp_c.unwrap();
    let model = rewind::model_at(
        h.store(),
        start + Duration::from_secs(100),
        &ModelSettings::default(),
    )
    .unwrap();
    let views = model.views();
    assert_eq!(views.gpus.len(), 2);
    let gpu1 = views.gpus.iter().find(|g| g.gpu.index == Some(1)).unwrap();
    assert_eq!(gpu1.gpu.temp_c, Some(expected));
    assert_eq!(&*gpu1.node, testdata::node_name(0).as_str());
    assert_eq!(views.inference.len(), 1);
    // Every series has a value at that moment.
    let all = values_at(h.store(), unix_ms(start) + 100_000, rewind::LOOKBACK).unwrap();
    assert!(all.len() > 20, "{}", all.len());
}

#[test]
fn a_cap_smaller_than_one_window_is_one_clear_error_and_recording_stops() {
    let dir = tempfile::tempdir().unwrap();
    let settings = HistorySettings {
        retention: Retention {
            max_disk_bytes: 500,
            ..Retention::default()
        },
        ..HistorySettings::default()
    };
    let mut h = History::open_in(dir.path(), &settings).unwrap();
    let start = from_unix_ms(T0);
    let mut model = Model::new(ModelSettings::default());
    let mut errors = Vec::new();
    // 6 minutes: the first window closes at 5 min and does not fit.
    for sec in 0..360 {
        testdata::apply_node(&mut model, 0, 2, start, sec as f64);
        let now = start + Duration::from_secs(sec);
        errors.extend(h.record(&model, now));
    }
    assert_eq!(errors.len(), 1, "said once: {errors:?}");
    let text = errors[0].to_string();
    assert!(text.contains("smaller than one 5-minute window"), "{text}");
    assert!(text.contains("max_disk"), "{text}");
    assert!(h.failed().is_some());
}

#[test]
fn rewind_brings_back_the_proxys_view_of_that_moment() {
    use crate::model::input::SourceUpdate;
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open_in(dir.path(), &HistorySettings::default()).unwrap();
    let start = from_unix_ms(T0);
    let mut model = Model::new(ModelSettings::default());
    model.register(testdata::status_id(), Duration::from_secs(1));
    for sec in 0..30 {
        let now = start + Duration::from_secs(sec);
        for i in 0..2 {
            testdata::apply_node(&mut model, i, 1, start, sec as f64);
        }
        // Node 1 drops out of the proxy's healthy list after 20 s: failover is no longer ready.
        let mut status = testdata::status(2);
        if sec >= 20 {
            status.nodes[1].healthy = Some(false);
            status.failover_ready = Some(false);
        }
        model.apply(
            SourceUpdate::Status {
                source: testdata::status_id(),
                at: now,
                result: Ok(status),
            },
            now,
        );
        model.tick(now);
        assert!(h.record(&model, now).is_none());
    }
    let at = |s: u64| {
        rewind::model_at(
            h.store(),
            start + Duration::from_secs(s),
            &ModelSettings::default(),
        )
        .unwrap()
    };
    let before = at(10);
    let c = &before.views().cluster;
    assert_eq!(
        (
            c.failover_ready,
            c.active_node.as_deref(),
            c.nodes_up,
            c.nodes_total
        ),
        (Some(true), Some(testdata::node_name(0).as_str()), 2, 2)
    );
    let after = at(25);
    let c = &after.views().cluster;
    assert_eq!((c.failover_ready, c.nodes_up), (Some(false), 1), "{c:?}");
}
