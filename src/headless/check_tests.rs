//! Unit tests of `check.rs` (kept apart to keep that file small).

#![allow(clippy::unwrap_used)]

use super::*;

fn lines(r: &CheckReport) -> Vec<(usize, &str)> {
    r.errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect()
}

#[test]
fn duplicate_series_are_errors_at_their_second_line() {
    let body = concat!(
        "# TYPE a gauge\n",
        "a{x=\"1\",y=\"2\"} 1\n",
        "a{x=\"2\"} 1\n",
        "a{y=\"2\",x=\"1\"} 3\n",
        "b 1\n",
        "b 2\n",
    );
    let r = check("t", body.as_bytes(), None);
    let errs = lines(&r);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].0, 4, "the label order does not make a new series");
    assert!(
        errs[0].1.contains("duplicate series a{x=\"1\",y=\"2\"}")
            || errs[0].1.contains("duplicate series a{y=\"2\",x=\"1\"}")
    );
    assert!(errs[0].1.contains("first at line 2"), "{errs:?}");
    assert_eq!(errs[1].0, 6);
    assert_eq!(r.error_count(), 2);
}

#[test]
fn unsorted_and_falling_buckets_are_errors_with_lines() {
    let body = concat!(
        "# TYPE h histogram\n",
        "h_bucket{le=\"0.5\"} 9\n",
        "h_bucket{le=\"0.1\"} 5\n",
        "h_bucket{le=\"+Inf\"} 10\n",
        "h_sum 1\n",
        "h_count 10\n",
        "h_bucket{m=\"b\",le=\"0.1\"} 5\n",
        "h_bucket{m=\"b\",le=\"0.5\"} 3\n",
        "h_bucket{m=\"b\",le=\"0.5\"} 3\n",
        "h_bucket{m=\"c\",le=\"0.1\"} -1\n",
    );
    let r = check("t", body.as_bytes(), None);
    let errs = lines(&r);
    assert_eq!(errs.len(), 4, "{errs:#?}");
    assert_eq!(errs[0].0, 3);
    assert!(
        errs[0]
            .1
            .contains("out of order: le=\"0.1\" after le=\"0.5\" (line 2)")
    );
    assert_eq!(errs[1].0, 8);
    assert!(errs[1].1.contains("count goes down"), "{errs:?}");
    assert_eq!(errs[2].0, 9);
    assert!(errs[2].1.contains("duplicate series"), "{errs:?}");
    assert_eq!(errs[3].0, 10);
    assert!(
        errs[3].1.contains("negative"),
        "the parser's own error: {errs:?}"
    );
}

#[test]
fn a_big_input_read_in_chunks_reports_what_a_whole_read_does() {
    // Families of ~1,000 lines, the whole well over many chunks, one error deep inside, a
    // duplicate across chunks and a histogram whose family spans chunk ends.
    let mut body = String::new();
    let mut bad_line = 0;
    let mut n = 0;
    let mut push = |body: &mut String, line: String| {
        body.push_str(&line);
        body.push('\n');
        n += 1;
        n
    };
    for f in 0..60 {
        push(&mut body, format!("# HELP fam{f} Family {f}."));
        push(&mut body, format!("# TYPE fam{f} histogram"));
        for s in 0..300 {
            for (le, c) in [("0.1", 1), ("1", 2), ("+Inf", 3)] {
                push(
                    &mut body,
                    format!(
                        "fam{f}_bucket{{series=\"{s:05}\",pad=\"{:040}\",le=\"{le}\"}} {c}",
                        0
                    ),
                );
            }
        }
        push(&mut body, format!("fam{f}_sum 1"));
        push(&mut body, format!("fam{f}_count 3"));
        if f == 41 {
            bad_line = push(&mut body, "broken{label=\"x\" 2".to_owned());
        }
    }
    let dup = push(&mut body, "fam3_sum 1".to_owned());
    assert!(body.len() > 10 * CHUNK_BYTES, "{}", body.len());
    let r = check("t", body.as_bytes(), None);
    assert_eq!(r.lines, n);
    assert_eq!(r.bytes, body.len() as u64);
    let names: Vec<&str> = r.families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names.len(),
        60,
        "fam3_sum late in the body is fam3's: {names:?}"
    );
    assert_eq!(r.families[3].samples, 903);
    let fam7 = r.families.iter().find(|f| f.name == "fam7").unwrap();
    assert_eq!(fam7.samples, 902, "one family, whole, across chunk ends");
    assert_eq!(fam7.kind, MetricType::Histogram);
    let errs = lines(&r);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert_eq!(errs[0].0, bad_line);
    assert_eq!(errs[1].0, dup);
    assert!(errs[1].1.contains("duplicate series fam3_sum"));
    // The same body whole, as one family-sized chunk each, gives the same figures.
    let whole = prometheus::parse(body.as_bytes(), Format::Prometheus);
    assert_eq!(r.samples, whole.sample_count());
    assert_eq!(r.families.len(), whole.families.len());
    assert_eq!(whole.errors.len(), 1);
    assert_eq!(whole.errors[0].line, bad_line);
}

#[test]
fn a_family_longer_than_a_chunk_keeps_its_type() {
    // 20,000 buckets of one series family: no metadata line to cut before, so the metadata is
    // carried into the next chunks.
    let mut body = String::from("# TYPE big histogram\n");
    for i in 0..20_000 {
        body.push_str(&format!("big_bucket{{i=\"{i:06}\",le=\"+Inf\"}} 1\n"));
    }
    assert!(body.len() > 2 * CHUNK_BYTES);
    let r = check("t", body.as_bytes(), None);
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    assert_eq!(r.families.len(), 1, "{:?}", r.families);
    assert_eq!(r.families[0].kind, MetricType::Histogram);
    assert_eq!(r.families[0].samples, 20_000);
}

#[test]
fn openmetrics_in_chunks_has_no_false_eof_errors() {
    let mut body = String::new();
    for f in 0..800 {
        body.push_str(&format!("# TYPE c{f} counter\n# HELP c{f} A counter.\n"));
        for s in 0..40 {
            body.push_str(&format!("c{f}_total{{s=\"{s:04}\",pad=\"{:020}\"}} 1\n", 0));
        }
    }
    body.push_str("# EOF\n");
    assert!(body.len() > 4 * CHUNK_BYTES);
    let r = check("t", body.as_bytes(), None);
    assert_eq!(r.format, "openmetrics");
    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    assert_eq!(r.samples, 800 * 40);
    // Without its # EOF it is Prometheus text.
    let r = check("t", body.trim_end_matches("# EOF\n").as_bytes(), None);
    assert_eq!(r.format, "prometheus");
}

#[test]
fn errors_and_series_are_bounded_and_counted() {
    let body = "x 1\n".repeat(MAX_ERRORS_LISTED + 500);
    let r = check("t", body.as_bytes(), None);
    assert_eq!(r.errors.len(), MAX_ERRORS_LISTED);
    assert_eq!(r.errors_not_listed, 499);
    assert_eq!(r.error_count(), MAX_ERRORS_LISTED + 499);
    let text = render_check(&r);
    assert!(
        text.contains("… and 499 more error(s)"),
        "{}",
        &text[text.len() - 300..]
    );
    assert!(text.contains(&format!("{} error(s)", MAX_ERRORS_LISTED + 499)));
}

#[test]
fn a_line_without_end_is_skipped_not_held() {
    let mut body = b"a 1\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
    body.extend_from_slice(b"\nb 2\n");
    let r = check("t", &body, None);
    let errs = lines(&r);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, 2);
    assert!(errs[0].1.contains("longer than 16 MiB"), "{errs:?}");
    assert_eq!(r.samples, 2);
    assert_eq!(r.lines, 3);
}

#[test]
fn cut_points_fall_before_metadata_groups() {
    assert_eq!(
        cut_point(b"a 1\nb 2\n# HELP c x\n# TYPE c gauge\nc 1\n"),
        Some(8)
    );
    assert_eq!(cut_point(b"# TYPE c gauge\nc 1\nc{a=\"1\"} 2\n"), Some(30));
    assert_eq!(cut_point(b"no newline"), None);
    assert_eq!(
        leading_metadata(b"# HELP a x\n# TYPE a gauge\na 1\n"),
        b"# HELP a x\n# TYPE a gauge\n"
    );
    assert_eq!(leading_metadata(b"# EOF\n"), b"");
    assert_eq!(line_count(b"a\nb"), 2);
    assert_eq!(line_count(b"a\nb\n"), 2);
}

/// Timeouts and caps cannot be changed on the command line: the hints say what to do
/// instead, and never name a config key.
#[test]
fn hints_name_only_what_the_command_offers() {
    let timeout = fetch_hint(&SourceError::Timeout {
        url: "http://h/metrics".into(),
        timeout_ms: 10_000,
    });
    assert!(
        timeout.contains("metrics check waits 10 s") && timeout.contains("metrics check -"),
        "{timeout}"
    );
    let big = fetch_hint(&SourceError::BodyTooLarge {
        url: "http://h/metrics".into(),
        cap_bytes: http::DEFAULT_MAX_BODY_BYTES,
    });
    assert!(big.contains("save it to a file"), "{big}");
    for m in [&timeout, &big] {
        for key in ["`timeout`", "max_body_bytes", "bearer_token_env"] {
            assert!(!m.contains(key), "{m}");
        }
    }
}

#[test]
fn a_byte_order_mark_is_no_part_of_the_first_name() {
    let r = check("t", b"\xEF\xBB\xBFup 1\nb 2\n", None);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.families[0].name, "up");
    assert_eq!(r.bytes, 12, "the mark is read, just not parsed");
}
