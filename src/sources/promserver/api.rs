//! The Prometheus HTTP query API's answers (`/api/v1/query`, `/api/v1/query_range`), as served
//! by Prometheus, VictoriaMetrics, Thanos and Mimir: decoding, value strings (`"NaN"`,
//! `"+Inf"`), the error envelope and the series cap. Pure: bytes in, series or a reason out.
//! An instant answer's labels borrow from the answer's bytes (a fleet's refresh is 100,000
//! series: a copy of every label was most of the decoding).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

/// A series' labels, sorted by name, borrowed from the answer where no escape had to be undone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Labels<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Labels<'a> {
    /// The value of label `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_ref().cmp(name))
            .ok()
            .map(|i| self.0[i].1.as_ref())
    }

    /// Every label, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The same labels, owning their text.
    #[must_use]
    pub fn into_owned(self) -> Labels<'static> {
        Labels(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

impl<'a, K: Into<Cow<'a, str>>, V: Into<Cow<'a, str>>> FromIterator<(K, V)> for Labels<'a> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut v: Vec<(Cow<'a, str>, Cow<'a, str>)> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        Self(v)
    }
}

/// A string of the answer, borrowed unless it held an escape.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Labels<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of label names and values")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Labels<'a>, M::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some((Text(k), Text(val))) = m.next_entry::<Text<'a>, Text<'a>>()? {
                    v.push((k, val));
                }
                Ok(v.into_iter().collect())
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// One series of an instant query: its labels (without `__name__` unless the query kept it) and
/// its value.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSeries<'a> {
    /// Labels, sorted by name.
    pub labels: Labels<'a>,
    /// The value; `NaN` when the server said `"NaN"`.
    pub value: f64,
}

impl InstantSeries<'_> {
    /// The same series, owning its labels.
    #[must_use]
    pub fn into_owned(self) -> InstantSeries<'static> {
        InstantSeries {
            labels: self.labels.into_owned(),
            value: self.value,
        }
    }
}

/// One series of a range query: labels and `(unix ms, value)` points, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    /// Labels, sorted by name.
    pub labels: BTreeMap<String, String>,
    /// Points, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The server said the query failed (`"status":"error"`).
    #[error("the server refused the query ({error_type}): {error}")]
    Refused {
        /// `errorType`: `bad_data`, `timeout`, `execution`, …
        error_type: String,
        /// The server's message.
        error: String,
    },
    /// Not the API's JSON at all.
    #[error(
        "not a Prometheus query API answer ({0}); is the URL the server's base (e.g. http://prometheus:9090), not a /metrics page or a UI path?"
    )]
    NotApi(String),
    /// A result of another type than asked for.
    #[error("expected a {expected} result, got {got}")]
    WrongType {
        /// What the query asks for.
        expected: &'static str,
        /// What came.
        got: String,
    },
    /// More series than allowed.
    #[error(
        "{got} series, more than `max_series` = {cap}; narrow `match`/`jobs`, or raise `max_series`"
    )]
    TooManySeries {
        /// Series in the answer.
        got: usize,
        /// The cap in force.
        cap: usize,
    },
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: String,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data<'a> {
    Vector(#[serde(borrow)] Vec<RawInstant<'a>>),
    Matrix(Vec<RawRange>),
    Scalar(serde::de::IgnoredAny),
    String(serde::de::IgnoredAny),
}

impl Data<'_> {
    fn name(&self) -> &'static str {
        match self {
            Self::Vector(_) => "vector",
            Self::Matrix(_) => "matrix",
            Self::Scalar(_) => "scalar",
            Self::String(_) => "string",
        }
    }
}

#[derive(Deserialize)]
struct RawInstant<'a> {
    #[serde(default, borrow)]
    metric: Labels<'a>,
    #[serde(borrow)]
    value: (f64, Text<'a>),
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// A value string as the API writes it: a decimal, `NaN`, `+Inf`, `-Inf`. Anything else is
/// `NaN` (no value), never a made-up number.
#[must_use]
pub fn value_of(s: &str) -> f64 {
    s.parse::<f64>().unwrap_or(f64::NAN)
}

fn envelope(body: &[u8]) -> Result<Data<'_>, ApiError> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| {
        let mut why = e.to_string();
        why.truncate(160);
        ApiError::NotApi(why)
    })?;
    if env.status != "success" {
        return Err(ApiError::Refused {
            error_type: env.error_type.unwrap_or_else(|| "unknown".to_owned()),
            error: env.error.unwrap_or_else(|| "no reason given".to_owned()),
        });
    }
    env.data
        .ok_or_else(|| ApiError::NotApi("\"status\":\"success\" without \"data\"".to_owned()))
}

/// Decode an instant query's answer: a vector of at most `max_series` series, their labels
/// borrowed from `body`.
///
/// # Errors
/// Not the API's JSON, a refused query, another result type, or too many series.
pub fn decode_vector(body: &[u8], max_series: usize) -> Result<Vec<InstantSeries<'_>>, ApiError> {
    match envelope(body)? {
        Data::Vector(v) if v.len() > max_series => Err(ApiError::TooManySeries {
            got: v.len(),
            cap: max_series,
        }),
        Data::Vector(v) => Ok(v
            .into_iter()
            .map(|r| InstantSeries {
                labels: r.metric,
                value: value_of(&r.value.1.0),
            })
            .collect()),
        other => Err(ApiError::WrongType {
            expected: "vector",
            got: other.name().to_owned(),
        }),
    }
}

/// Decode a range query's answer: a matrix of at most `max_series` series.
///
/// # Errors
/// Not the API's JSON, a refused query, another result type, or too many series.
pub fn decode_matrix(body: &[u8], max_series: usize) -> Result<Vec<RangeSeries>, ApiError> {
    match envelope(body)? {
        Data::Matrix(m) if m.len() > max_series => Err(ApiError::TooManySeries {
            got: m.len(),
            cap: max_series,
        }),
        Data::Matrix(m) => Ok(m
            .into_iter()
            .map(|r| RangeSeries {
                labels: r.metric,
                points: r
                    .values
                    .into_iter()
                    .filter(|(t, _)| t.is_finite())
                    .map(|(t, v)| (unix_ms(t), value_of(&v)))
                    .collect(),
            })
            .collect()),
        other => Err(ApiError::WrongType {
            expected: "matrix",
            got: other.name().to_owned(),
        }),
    }
}

/// A bucket's `le` label as a bound: a decimal or `+Inf`; `None` for anything else.
#[must_use]
pub fn value_of_le(le: &str) -> Option<f64> {
    let v = value_of(le);
    (!v.is_nan()).then_some(v)
}

/// Unix seconds (with a fraction) as whole milliseconds, saturating.
#[allow(clippy::cast_possible_truncation)]
fn unix_ms(t: f64) -> i64 {
    // `as` saturates for out-of-range floats; `t` is finite here.
    (t * 1000.0).round() as i64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_with_nan_and_inf_values() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"instance":"a:9400","job":"dcgm"},"value":[1700000000.5,"42.5"]},
            {"metric":{"instance":"b:9400"},"value":[1700000000.5,"NaN"]},
            {"metric":{},"value":[1700000000.5,"+Inf"]}]}}"#;
        let v = decode_vector(body, 10).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].value, 42.5);
        assert_eq!(v[0].labels.get("job"), Some("dcgm"));
        assert_eq!(v[0].labels.get("instance"), Some("a:9400"));
        assert_eq!(v[0].labels.get("gpu"), None);
        assert!(v[1].value.is_nan());
        assert_eq!(v[2].value, f64::INFINITY);
    }

    /// Labels borrow the answer's bytes unless an escape had to be undone; either way they read
    /// as the server wrote them, sorted by name.
    #[test]
    fn labels_borrow_the_answer_and_undo_escapes() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"model_name":"m\"x\\y","job":"vllm","instance":"a:8000"},"value":[1,"1"]}]}}"#;
        let v = decode_vector(body, 10).unwrap();
        let l = &v[0].labels;
        assert_eq!(l.get("model_name"), Some("m\"x\\y"));
        let names: Vec<&str> = l.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["instance", "job", "model_name"]);
        assert!(matches!(l.0[0].1, Cow::Borrowed("a:8000")));
        assert!(matches!(l.0[2].1, Cow::Owned(_)));
        let owned = v[0].clone().into_owned();
        assert_eq!(owned, v[0]);
    }

    #[test]
    fn a_matrix_keeps_points_in_order_in_ms() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"instance":"a"},"values":[[1700000000,"1"],[1700000001.25,"2"]]}]}}"#;
        let m = decode_matrix(body, 10).unwrap();
        assert_eq!(
            m[0].points,
            vec![(1_700_000_000_000, 1.0), (1_700_000_001_250, 2.0)]
        );
    }

    #[test]
    fn errors_say_what_the_server_said() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        let e = decode_vector(body, 10).unwrap_err();
        assert!(e.to_string().contains("bad_data"), "{e}");
        assert!(e.to_string().contains("parse error at char 3"), "{e}");
        let e = decode_vector(b"<html>Prometheus</html>", 10).unwrap_err();
        assert!(matches!(e, ApiError::NotApi(_)), "{e}");
        assert!(e.to_string().contains("server's base"), "{e}");
        let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}"#;
        assert_eq!(
            decode_vector(scalar, 10).unwrap_err(),
            ApiError::WrongType {
                expected: "vector",
                got: "scalar".into()
            }
        );
    }

    #[test]
    fn the_series_cap_is_an_error_that_says_what_to_do() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}"#;
        let e = decode_vector(body, 1).unwrap_err();
        assert_eq!(e, ApiError::TooManySeries { got: 2, cap: 1 });
        assert!(e.to_string().contains("max_series"));
    }

    #[test]
    fn odd_value_strings_are_no_value() {
        assert!(value_of("twelve").is_nan());
        assert_eq!(value_of("-Inf"), f64::NEG_INFINITY);
        assert_eq!(value_of("1e3"), 1000.0);
    }
}
