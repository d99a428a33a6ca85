//! Unit tests of the line lexer.

// A failed expectation is the test failure itself.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::borrow::Cow;

use super::*;

fn prom(line: &str) -> Result<(SampleLine<'_>, Vec<Label<'_>>), LexError> {
    let mut labels = Vec::new();
    sample_line(line, false, &mut labels).map(|s| (s, labels))
}

fn om(line: &str) -> Result<(SampleLine<'_>, Vec<Label<'_>>), LexError> {
    let mut labels = Vec::new();
    sample_line(line, true, &mut labels).map(|s| (s, labels))
}

#[test]
fn plain_sample_borrows_everything() {
    let (s, labels) =
        prom(r#"vllm:num_requests_running{model_name="opt",le="+Inf"} 3 1700"#).expect("valid");
    assert!(matches!(s.name, Cow::Borrowed("vllm:num_requests_running")));
    assert_eq!(s.value, 3.0);
    assert_eq!(s.ts_ms, Some(1700));
    assert_eq!(labels.len(), 2);
    assert!(
        labels
            .iter()
            .all(|(k, v)| matches!((k, v), (Cow::Borrowed(_), Cow::Borrowed(_))))
    );
    assert_eq!(labels[1], (Cow::Borrowed("le"), Cow::Borrowed("+Inf")));
}

#[test]
fn prometheus_whitespace_is_lenient() {
    for line in [
        r#"m {a="1"} 2"#,
        r#"m{ a = "1" , } 2"#,
        r#"m{a="1"}2"#,
        "m{a=\"1\"}\t2  \t",
        "m\t2",
        r#"m{a="1" b="3"} 2"#,
    ] {
        let (s, labels) = prom(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!((s.name.as_ref(), s.value), ("m", 2.0), "{line:?}");
        assert!(
            labels.iter().all(|(k, v)| k == "a" && v == "1" || k == "b"),
            "{line:?}"
        );
    }
}

#[test]
fn quoted_names_and_escapes() {
    let (s, labels) = prom(r#"{"a.b","c\"d"="x\ny\\z"} 1"#).expect("valid");
    assert_eq!(s.name, "a.b");
    assert_eq!(labels[0].0, "c\"d");
    assert_eq!(labels[0].1, "x\ny\\z");
    assert!(matches!(labels[0].1, Cow::Owned(_)));
    // Strict escapes in Prometheus text, unknown ones kept verbatim in OpenMetrics.
    assert!(prom(r#"m{a="\t"} 1"#).is_err());
    let (_, labels) = om(r#"m{a="b\\a\z # "} 1"#).expect("valid OpenMetrics");
    assert_eq!(labels[0].1, "b\\a\\z # ");
}

#[test]
fn label_values_keep_delimiters() {
    let line = "m{a=\"x,y=z}\",b=\"# \",c=\"\0\"} 1";
    let (_, labels) = prom(line).expect("valid");
    assert_eq!(labels[0].1, "x,y=z}");
    assert_eq!(labels[1].1, "# ");
    assert_eq!(labels[2].1, "\0");
}

#[test]
fn sample_errors() {
    for (line, why) in [
        ("a", "missing value"),
        ("a ", "missing value"),
        ("a true", "invalid value"),
        (r#"a{b='c'} 1"#, "expected '\"'"),
        (r#"a{b="c} 1"#, "unterminated"),
        (r#"a{="c"} 1"#, "label name"),
        (r#"a{b="1",b="2"} 1"#, "duplicate"),
        (r#"a{__name__="x"} 1"#, "reserved"),
        (r#"{a="ok"} 1"#, "no metric name"),
        (r#"{"x","y"} 1"#, "more than one"),
        ("a 1 2 3", "after the timestamp"),
        ("a 1 2.5", "integer timestamp"),
        ("a\0{b=\"c\"} 1", "after metric name"),
        ("-a 1", "invalid metric name"),
        (r#"a{b="c",,d="e"} 1"#, "label name"),
        (r#"a{b="c"+} 1"#, "after a label value"),
    ] {
        let err = prom(line)
            .err()
            .unwrap_or_else(|| panic!("{line:?} should fail"));
        assert!(err.contains(why), "{line:?}: {err}");
    }
}

#[test]
fn openmetrics_sample_grammar() {
    let (s, _) = om(r#"a_bucket{le="+Inf"} 3 1.5 # {trace="x"} 0.5 2"#).expect("valid");
    assert_eq!((s.value, s.ts_ms, s.exemplar), (3.0, Some(1500), true));
    let (s, _) = om(r#"a_total 1 # {} 1"#).expect("valid");
    assert!(s.exemplar && s.ts_ms.is_none());
    for bad in [
        "a  1",
        "a 1 ",
        "a{b=\"1\"}1",
        r#"a{b="1",} 1"#,
        r#"a{b="1"c="2"} 1"#,
        "a 1 #",
        "a 1 # {}",
        "a 1 #{} 1",
        "a 1 # {} 1 ",
        "a 1 1 x",
        "a 1 NaN",
        "a\t1",
        "a.b 1",
    ] {
        assert!(om(bad).is_err(), "{bad:?} should fail");
    }
    let long = format!(r#"a_total 1 # {{a="{}"}} 1"#, "x".repeat(128));
    assert!(om(&long).is_err(), "exemplar over 128 characters");
}

#[test]
fn prometheus_comments() {
    assert_eq!(prom_comment("# HELP"), Ok(Meta::Comment));
    assert_eq!(prom_comment("# HELP "), Ok(Meta::Comment));
    assert_eq!(prom_comment("# NOTE anything"), Ok(Meta::Comment));
    assert_eq!(prom_comment("# TYPE x"), Ok(Meta::Comment));
    assert_eq!(prom_comment("# HELP x"), Ok(Meta::Help("x".into(), None)));
    assert_eq!(
        prom_comment("# HELP x "),
        Ok(Meta::Help("x".into(), Some("".into())))
    );
    assert_eq!(
        prom_comment("#    TYPE    x:y   gauge \t"),
        Ok(Meta::Type("x:y".into(), "gauge"))
    );
    assert_eq!(
        prom_comment("# \tTYPE \"a.b\" counter"),
        Ok(Meta::Type("a.b".into(), "counter"))
    );
    assert_eq!(
        prom_comment(r"# HELP x a\nb\\c\q"),
        Ok(Meta::Help("x".into(), Some("a\nb\\c\\q".into())))
    );
    assert!(prom_comment("# TYPE #").is_err());
    assert!(prom_comment("# HELP #").is_err());
    assert!(prom_comment("# TYPE met-ric counter").is_err());
    assert!(prom_comment("# TYPE \"m\\t\" counter").is_err());
}

#[test]
fn openmetrics_metadata() {
    assert_eq!(om_meta("# EOF"), Ok(Meta::Eof));
    assert_eq!(
        om_meta("# HELP a "),
        Ok(Meta::Help("a".into(), Some("".into())))
    );
    assert_eq!(om_meta("# UNIT a_s s"), Ok(Meta::Unit("a_s".into(), "s")));
    assert_eq!(
        om_meta(r#"# HELP a x\"y"#),
        Ok(Meta::Help("a".into(), Some("x\"y".into())))
    );
    for bad in [
        "#EOF",
        "# EOF ",
        "# HELP",
        "# HELP a",
        "# HELP a\t",
        "# FOO a x",
        "#a_sum 0",
    ] {
        assert!(om_meta(bad).is_err(), "{bad:?} should fail");
    }
}

#[test]
fn help_unescaping_borrows_when_possible() {
    assert!(matches!(
        unescape_help("plain text", false),
        Cow::Borrowed("plain text")
    ));
    assert_eq!(unescape_help(r"a\\b\nc\", false), "a\\b\nc\\");
    assert_eq!(unescape_help(r#"q\""#, false), "q\\\"");
    assert_eq!(unescape_help(r#"q\""#, true), "q\"");
}

#[test]
fn duplicates_in_huge_label_sets() {
    let many: Vec<String> = (0..100).map(|i| format!("l{i}=\"v\"")).collect();
    let line = format!("m{{{}}} 1", many.join(","));
    assert_eq!(prom(&line).expect("valid").1.len(), 100);
    let line = format!("m{{{},l7=\"again\"}} 1", many.join(","));
    let err = prom(&line).expect_err("duplicate");
    assert!(err.contains("duplicate label name \"l7\""), "{err}");
}

#[test]
fn a_line_named_like_the_previous_sample_reads_the_same() {
    let mut labels = Vec::new();
    for (line, same, name) in [
        ("abc 1", true, "abc"),
        ("abc{a=\"1\"} 1", true, "abc"),
        ("abc\t1", true, "abc"),
        ("abcd 1", false, "abcd"),
        ("abc:x 1", false, "abc:x"),
        ("ab 1", false, "ab"),
        ("{\"abc\"} 1", false, "abc"),
    ] {
        let s = sample_line_after(line, false, "abc", &mut labels).expect("valid");
        let plain = sample_line(line, false, &mut labels).expect("valid");
        assert_eq!((s.same_name, s.name.as_ref()), (same, name), "{line:?}");
        assert_eq!(s.name, plain.name, "{line:?}");
        assert_eq!(s.bare_name, !line.starts_with('{'), "{line:?}");
    }
    assert!(sample_line_after("abc-x 1", false, "abc", &mut labels).is_err());
}
